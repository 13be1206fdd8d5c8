//! A proxy method's parameters have the hub method's types.

use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn echo(&self, text: String) -> String;
}

async fn call(connection: &HubConnection) -> Result<String, ClientError> {
    ChatProxy::new(connection).echo(42).await
}

fn main() {
    let _ = call;
}
