//! Lifecycle hooks are declared in the hub trait and are not callable methods.

use signalr_runtime::hub::Hub;
use signalr_runtime::{HubCx, HubResult, SignalR, hub};

#[hub]
trait Room {
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()>;
    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>);
    async fn echo(&self, text: String) -> String;
}

struct Impl;

impl Room for Impl {
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()> {
        let _ = cx.connection_id();
        Ok(())
    }
    async fn on_disconnected(&self, _cx: &HubCx, error: Option<&str>) {
        let _ = error.map(str::len);
    }
    async fn echo(&self, text: String) -> String {
        text
    }
}

fn main() {
    let names: Vec<_> = <RoomHub<Impl> as Hub>::methods().iter().map(|method| method.name()).collect();
    assert_eq!(names, ["Echo"]);
    let mut signalr = SignalR::new().hub("/room", Impl.into_hub());
    let _context = signalr.context::<RoomHub<Impl>>();
}
