//! Parameters may have the names the generated code uses for its own locals.

use signalr_runtime::hub::Hub;
use signalr_runtime::{HubCx, HubResult, hub, hub_client};

#[hub]
trait Shadows {
    async fn bound(&self, args: String, hub: u32, output: bool, value: i8) -> String;
    async fn matched(&self, error: String, value: u8) -> HubResult<String>;
    async fn context(&self, cx: &HubCx, args: u32, index: u32) -> HubResult<()>;
    /// A user type named like the generic parameters of generated code.
    async fn typed(&self, h: H) -> H;
}

/// Named `H`, as generated code's type parameters often are.
#[derive(serde::Serialize, serde::Deserialize)]
struct H(u32);

#[hub_client]
trait ShadowsClient {
    async fn notify(&self, args: String, values: u32, name: String);
}

struct Impl;

impl Shadows for Impl {
    async fn bound(&self, args: String, hub: u32, output: bool, value: i8) -> String {
        format!("{args}{hub}{output}{value}")
    }
    async fn matched(&self, error: String, value: u8) -> HubResult<String> {
        Ok(format!("{error}{value}"))
    }
    async fn context(&self, cx: &HubCx, args: u32, index: u32) -> HubResult<()> {
        cx.clients()
            .caller()
            .notify(args.to_string(), index, String::new())
            .await
    }
    async fn typed(&self, h: H) -> H {
        h
    }
}

fn main() {
    assert_eq!(<ShadowsHub<Impl> as Hub>::methods().len(), 4);
}
