//! A generated hub mounts like any other: `SignalR::new().hub(path, Impl.into_hub())`.

use signalr_runtime::{SignalR, hub};

#[hub]
pub trait Echo {
    async fn echo(&self, text: String) -> String;
}

#[derive(Debug, Default, Clone)]
pub struct EchoImpl;

impl Echo for EchoImpl {
    async fn echo(&self, text: String) -> String {
        text
    }
}

mod nested {
    #[signalr_runtime::hub]
    pub(crate) trait Other {
        async fn ping(&self) -> bool;
    }

    pub(crate) struct OtherImpl;

    impl Other for OtherImpl {
        async fn ping(&self) -> bool {
            true
        }
    }
}

use nested::Other as _;

fn main() {
    let _router: axum::Router = SignalR::new()
        .hub("/h", EchoImpl.into_hub())
        .hub("/other", nested::OtherImpl.into_hub())
        .hub("/adapter", EchoHub(EchoImpl))
        .into_router();
}
