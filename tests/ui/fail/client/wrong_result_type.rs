//! A proxy method returns the hub method's result type.

use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::hub;

#[hub]
trait Chat {
    async fn echo(&self, text: String) -> String;
}

async fn call(connection: &HubConnection) -> Result<u32, ClientError> {
    let count: u32 = ChatProxy::new(connection).echo("x".to_owned()).await?;
    Ok(count)
}

fn main() {
    let _ = call;
}
