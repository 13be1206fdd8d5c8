//! With the runtime's `client` feature, `#[hub]` gives a typed proxy that calls the hub and
//! `#[hub_client]` a way to register an implementation of the client trait on a connection.

use serde::{Deserialize, Serialize};
use signalr_runtime::client::{ClientError, HubConnection, HubStream};
use signalr_runtime::hub::ClientStream;
use signalr_runtime::stream::{self, Stream, StreamExt};
use signalr_runtime::{HubCx, HubResult, hub, hub_client};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Message {
    user: String,
    text: String,
}

/// A type the server only ever sends: its proxy method cannot be called, but the hub still
/// compiles with the client feature on.
#[derive(Debug, Serialize)]
struct ServerOnly {
    secret: u32,
}

#[hub]
trait Chat {
    async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()>;
    async fn echo(&self, text: String) -> String;
    #[hub(name = "Roll")]
    async fn roll_die(&self, sides: u32) -> HubResult<u64>;
    async fn last(&self) -> Option<Message>;
    fn history(&self, count: u32) -> impl Stream<Item = Message> + Send;
    async fn paste(&self, lines: ClientStream<String>) -> HubResult<u32>;
    async fn server_only(&self) -> ServerOnly;
}

#[hub_client]
trait ChatClient {
    async fn receive_message(&self, user: String, text: String);
    async fn receive(&self, message: Message);
    async fn confirm(&self, question: String) -> bool;
}

struct Printer;

impl ChatClient for Printer {
    async fn receive_message(&self, user: String, text: String) {
        println!("{user}: {text}");
    }

    async fn receive(&self, message: Message) {
        println!("{message:?}");
    }

    async fn confirm(&self, _question: String) -> bool {
        true
    }
}

async fn use_everything(connection: &HubConnection) -> Result<(), ClientError> {
    ChatClientHandlers(Printer).register(connection);
    let chat = ChatProxy::new(connection);
    chat.send_message("me".to_owned(), "hi".to_owned()).await?;
    let echoed: String = chat.echo("x".to_owned()).await?;
    let rolled: u64 = chat.roll_die(6).await?;
    let last: Option<Message> = chat.last().await?;
    let mut history: HubStream<Message> = chat.history(10).await?;
    while let Some(message) = history.next().await {
        let _: Message = message?;
    }
    let pasted: u32 = chat
        .paste(stream::iter(["a".to_owned(), "b".to_owned()]))
        .await?;
    let _ = (echoed, rolled, last, pasted);
    // The proxy type names the default connection type.
    let _typed: ChatProxy = chat.clone();
    Ok(())
}

fn main() {
    let _ = use_everything;
}
