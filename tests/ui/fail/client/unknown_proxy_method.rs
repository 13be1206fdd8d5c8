//! A proxy has exactly the hub's methods.

use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::{HubResult, hub};

#[hub]
trait Chat {
    async fn send_message(&self, user: String, text: String) -> HubResult<()>;
}

async fn call(connection: &HubConnection) -> Result<(), ClientError> {
    ChatProxy::new(connection)
        .send_mesage("me".to_owned(), "hi".to_owned())
        .await
}

fn main() {
    let _ = call;
}
