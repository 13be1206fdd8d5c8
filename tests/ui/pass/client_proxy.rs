//! A `#[hub_client]` trait gives typed calls on every set of clients.

use serde::Serialize;
use signalr_runtime::{HubCx, HubResult, hub, hub_client};

#[derive(Debug, Clone, Serialize)]
struct Message {
    user: String,
    text: String,
}

#[hub]
trait Room {
    async fn say(&self, cx: &HubCx, user: String, text: String) -> HubResult<()>;
}

#[hub_client]
trait RoomClient {
    /// Documented client methods keep their docs on the proxy.
    async fn receive_message(&self, user: String, text: String);
    async fn receive(&self, message: Message);
    async fn ping(&self);
    #[hub(name = "Kick")]
    async fn kick_out(&self, reason: Option<String>) -> ();
    /// A client result: only one client can answer, and the answer is typed.
    async fn confirm(&self, question: String) -> bool;
}

struct Impl;

impl Room for Impl {
    async fn say(&self, cx: &HubCx, user: String, text: String) -> HubResult<()> {
        let clients = cx.clients();
        clients
            .others()
            .receive_message(user.clone(), text.clone())
            .await?;
        clients.caller().receive(Message { user, text }).await?;
        clients.all().ping().await?;
        let confirmed: bool = clients.caller().confirm("Leave?".to_owned()).await?;
        if confirmed {
            clients.others().kick_out(None).await?;
        }
        Ok(())
    }
}

/// A client written in Rust could implement the client trait itself.
struct RustClient;

impl RoomClient for RustClient {
    async fn receive_message(&self, _user: String, _text: String) {}
    async fn receive(&self, _message: Message) {}
    async fn ping(&self) {}
    async fn kick_out(&self, _reason: Option<String>) {}
    async fn confirm(&self, _question: String) -> bool {
        true
    }
}

fn main() {
    let _ = Impl.into_hub();
    let _ = RustClient;
}
