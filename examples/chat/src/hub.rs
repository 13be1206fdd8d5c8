//! The chat hub: what clients may call, what the server calls on them, and the room itself.

use std::hash::{BuildHasher, Hasher};

use signalr_runtime::{HubCx, HubError, HubResult, hub, hub_client};

/// What chat clients may call.
#[hub]
pub(crate) trait Chat {
    /// Everyone, the sender included, receives `ReceiveMessage(user, text)`.
    async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()>;

    /// Returns `text` unchanged.
    async fn echo(&self, text: String) -> String;

    /// Greets the caller and tells everyone else with `UserJoined(name)`.
    async fn join(&self, cx: &HubCx, name: String) -> HubResult<String>;

    /// A number from 1 to `sides`.
    async fn roll(&self, sides: u32) -> Result<u64, InvalidDie>;

    /// The caller's connection id, as negotiate reported it.
    async fn get_connection_id(&self, cx: &HubCx) -> String;
}

/// What the server calls on chat clients.
#[hub_client]
pub(crate) trait ChatClient {
    /// A message for the room.
    async fn receive_message(&self, user: String, text: String);

    /// Someone joined the room.
    async fn user_joined(&self, name: String);
}

/// The chat room. It keeps no state: every message goes straight to the connected clients.
#[derive(Debug, Default)]
pub(crate) struct ChatRoom;

impl Chat for ChatRoom {
    async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()> {
        cx.clients().all().receive_message(user, text).await
    }

    async fn echo(&self, text: String) -> String {
        text
    }

    async fn join(&self, cx: &HubCx, name: String) -> HubResult<String> {
        let name = name.trim().to_owned();
        if name.is_empty() {
            return Err(HubError::new("A name is required."));
        }
        cx.clients().others().user_joined(name.clone()).await?;
        Ok(format!("Welcome, {name}!"))
    }

    async fn roll(&self, sides: u32) -> Result<u64, InvalidDie> {
        if sides == 0 {
            return Err(InvalidDie);
        }
        // Each RandomState is freshly keyed by the standard library: plenty for a dice game.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Ok(random % u64::from(sides) + 1)
    }

    async fn get_connection_id(&self, cx: &HubCx) -> String {
        cx.connection_id().to_string()
    }
}

/// A die with no sides: an internal error, whose details only reach clients when detailed
/// errors are on.
#[derive(Debug)]
pub(crate) struct InvalidDie;

impl std::fmt::Display for InvalidDie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a die needs at least one side")
    }
}

impl std::error::Error for InvalidDie {}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use signalr_runtime::contract::Manifest;

    use super::{ChatClientContract, ChatContract};

    #[test]
    fn the_contract_describes_every_method_with_schemas() {
        let manifest = Manifest::new()
            .with::<ChatContract>()
            .with::<ChatClientContract>();
        let json: serde_json::Value = serde_json::from_str(&manifest.to_json().unwrap()).unwrap();
        let hub = &json["hubs"][0];
        assert_eq!(
            (&hub["name"], &hub["role"]),
            (&json!("Chat"), &json!("hub"))
        );
        assert_eq!(hub["docs"], "What chat clients may call.");
        let names: Vec<_> = hub["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].clone())
            .collect();
        assert_eq!(
            names,
            ["SendMessage", "Echo", "Join", "Roll", "GetConnectionId"]
        );
        let send = &hub["methods"][0];
        assert_eq!(send["rustName"], "send_message");
        assert_eq!(
            send["params"],
            json!([
                { "name": "user", "type": { "rust": "String", "schema": { "type": "string" } } },
                { "name": "text", "type": { "rust": "String", "schema": { "type": "string" } } },
            ])
        );
        assert_eq!(send["result"], json!(null), "HubResult<()> has no result");
        let roll = &hub["methods"][3];
        assert_eq!(roll["result"]["rust"], "u64");
        assert_eq!(roll["result"]["schema"]["type"], "integer");
        let client = &json["hubs"][1];
        assert_eq!(
            (&client["name"], &client["role"]),
            (&json!("ChatClient"), &json!("client"))
        );
        assert_eq!(client["methods"][0]["name"], "ReceiveMessage");
    }
}
