//! Only an implementation of the client trait can be registered as its handlers.

use signalr_runtime::client::HubConnection;
use signalr_runtime::hub_client;

#[hub_client]
trait ChatClient {
    async fn receive_message(&self, user: String, text: String);
}

struct NotAClient;

fn register(connection: &HubConnection) {
    ChatClientHandlers(NotAClient).register(connection);
}

fn main() {
    let _ = register;
}
