//! A hub context typed by one client trait offers that trait's methods, client results
//! included, on every target.

use signalr_runtime::hub::{HubContext, TypedHubContext};
use signalr_runtime::{HubResult, SignalR, hub, hub_client};

#[hub]
trait Chat {
    async fn echo(&self, text: String) -> String;
}

#[hub_client]
trait ChatClient {
    async fn notice(&self, text: String);
    async fn confirm(&self, question: String) -> bool;
}

struct Room;

impl Chat for Room {
    async fn echo(&self, text: String) -> String {
        text
    }
}

async fn announce(chat: &TypedHubContext<ChatClientContract>) -> HubResult<bool> {
    chat.all().notice("restarting".to_owned()).await?;
    chat.group("admins").notice("backups done".to_owned()).await?;
    chat.user("ada").notice("hello".to_owned()).await?;
    chat.client("some-id".into()).confirm("sure?".to_owned()).await
}

fn main() {
    let mut signalr = SignalR::new().hub("/chat", Room.into_hub());
    let context: HubContext = signalr.context::<ChatHub<Room>>();
    let typed = context.typed::<ChatClientContract>();
    let _ = announce(&typed);
}
