//! INTEROP.md's own hub, `/scenarios`: connection targeting, groups, users, lifecycle, client
//! results, sending from outside the hub, and a slow counting stream (for stateful reconnect: a
//! stream that flows while the connection's socket is cut).
//!
//! Every send delivers client method `Receive(message)`. A connection's user comes from
//! [`identity`](crate::identity) through `HubOptions::authenticate`; anonymous connections are
//! allowed and have none.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use signalr_runtime::hub::HubContext;
use signalr_runtime::stream::{self, Stream, StreamExt};
use signalr_runtime::{ConnectionId, HubCx, HubResult, hub, hub_client};

/// What clients call on `/scenarios`.
#[hub]
pub(crate) trait Scenario {
    /// Tells every other connection that this one has gone: `Left(connectionId)`.
    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>);

    /// The caller's connection id.
    async fn get_connection_id(&self, cx: &HubCx) -> String;

    /// The caller's user, or null for an anonymous connection.
    async fn get_user_identifier(&self, cx: &HubCx) -> Option<String>;

    /// Adds the caller to `group`.
    async fn join_group(&self, cx: &HubCx, group: String) -> HubResult<()>;

    /// Removes the caller from `group`.
    async fn leave_group(&self, cx: &HubCx, group: String) -> HubResult<()>;

    /// Adds connection `connection_id`, which may live on another server, to `group`; returns
    /// once its server has done it.
    async fn add_to_group(&self, cx: &HubCx, connection_id: String, group: String)
    -> HubResult<()>;

    /// Takes connection `connection_id`, which may live on another server, out of `group`.
    async fn remove_from_group(
        &self,
        cx: &HubCx,
        connection_id: String,
        group: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on every connection.
    async fn send_to_all(&self, cx: &HubCx, message: String) -> HubResult<()>;

    /// `Receive(message)` on every connection but the caller.
    async fn send_to_others(&self, cx: &HubCx, message: String) -> HubResult<()>;

    /// `Receive(message)` on the caller.
    async fn send_to_caller(&self, cx: &HubCx, message: String) -> HubResult<()>;

    /// `Receive(message)` on one connection.
    async fn send_to_connection(
        &self,
        cx: &HubCx,
        connection_id: String,
        message: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on the listed connections.
    async fn send_to_connections(
        &self,
        cx: &HubCx,
        connection_ids: Vec<String>,
        message: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on every connection but the listed ones.
    async fn send_to_all_except(
        &self,
        cx: &HubCx,
        excluded_ids: Vec<String>,
        message: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on the members of `group`.
    async fn send_to_group(&self, cx: &HubCx, group: String, message: String) -> HubResult<()>;

    /// `Receive(message)` on the members of any of `groups`, once each.
    async fn send_to_groups(
        &self,
        cx: &HubCx,
        groups: Vec<String>,
        message: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on the members of `group` but the listed connections.
    async fn send_to_group_except(
        &self,
        cx: &HubCx,
        group: String,
        excluded_ids: Vec<String>,
        message: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on the members of `group` but the caller.
    async fn send_to_others_in_group(
        &self,
        cx: &HubCx,
        group: String,
        message: String,
    ) -> HubResult<()>;

    /// `Receive(message)` on every connection of `user`.
    async fn send_to_user(&self, cx: &HubCx, user: String, message: String) -> HubResult<()>;

    /// `Receive(message)` on every connection of the listed users.
    async fn send_to_users(&self, cx: &HubCx, users: Vec<String>, message: String)
    -> HubResult<()>;

    /// Asks connection `connection_id` `Ask(question)` and returns its answer, or the text of
    /// the error it answered with (or of why it could not answer).
    async fn ask_client(&self, cx: &HubCx, connection_id: String, question: String) -> String;
    /// Streams 1 to `to`, one number every `interval_ms` milliseconds (at most a minute).
    fn count(&self, to: u32, interval_ms: u64) -> impl Stream<Item = u32> + Send;
}

/// What `/scenarios` calls on clients.
#[hub_client]
pub(crate) trait ScenarioClient {
    /// A message sent by one of the hub's methods or by `POST /scenarios/broadcast`.
    async fn receive(&self, message: String);

    /// Connection `connection_id` has disconnected.
    async fn left(&self, connection_id: String);

    /// `AskClient`'s question; the answer is a client result.
    async fn ask(&self, question: String) -> String;
}

/// The `/scenarios` hub. It keeps no state: groups and users live in the runtime.
#[derive(Debug, Default)]
pub(crate) struct Scenarios;

/// Connection ids from their text.
fn ids(ids: Vec<String>) -> impl Iterator<Item = ConnectionId> {
    ids.into_iter().map(ConnectionId::from)
}

impl Scenario for Scenarios {
    async fn on_disconnected(&self, cx: &HubCx, _error: Option<&str>) {
        // Nobody to tell may be left, and a failing receiver is no reason to stop the others.
        let _ = cx
            .clients()
            .others()
            .left(cx.connection_id().to_string())
            .await;
    }

    async fn get_connection_id(&self, cx: &HubCx) -> String {
        cx.connection_id().to_string()
    }

    async fn get_user_identifier(&self, cx: &HubCx) -> Option<String> {
        cx.user_identifier().map(str::to_owned)
    }

    async fn join_group(&self, cx: &HubCx, group: String) -> HubResult<()> {
        cx.groups().add(cx.connection_id(), &group).await
    }

    async fn leave_group(&self, cx: &HubCx, group: String) -> HubResult<()> {
        cx.groups().remove(cx.connection_id(), &group).await
    }

    async fn add_to_group(
        &self,
        cx: &HubCx,
        connection_id: String,
        group: String,
    ) -> HubResult<()> {
        let id = ConnectionId::from(connection_id);
        cx.groups().add(&id, &group).await
    }

    async fn remove_from_group(
        &self,
        cx: &HubCx,
        connection_id: String,
        group: String,
    ) -> HubResult<()> {
        let id = ConnectionId::from(connection_id);
        cx.groups().remove(&id, &group).await
    }

    async fn send_to_all(&self, cx: &HubCx, message: String) -> HubResult<()> {
        cx.clients().all().receive(message).await
    }

    async fn send_to_others(&self, cx: &HubCx, message: String) -> HubResult<()> {
        cx.clients().others().receive(message).await
    }

    async fn send_to_caller(&self, cx: &HubCx, message: String) -> HubResult<()> {
        cx.clients().caller().receive(message).await
    }

    async fn send_to_connection(
        &self,
        cx: &HubCx,
        connection_id: String,
        message: String,
    ) -> HubResult<()> {
        let target = ConnectionId::from(connection_id);
        cx.clients().client(target).receive(message).await
    }

    async fn send_to_connections(
        &self,
        cx: &HubCx,
        connection_ids: Vec<String>,
        message: String,
    ) -> HubResult<()> {
        cx.clients()
            .clients(ids(connection_ids))
            .receive(message)
            .await
    }

    async fn send_to_all_except(
        &self,
        cx: &HubCx,
        excluded_ids: Vec<String>,
        message: String,
    ) -> HubResult<()> {
        cx.clients()
            .all_except(ids(excluded_ids))
            .receive(message)
            .await
    }

    async fn send_to_group(&self, cx: &HubCx, group: String, message: String) -> HubResult<()> {
        cx.clients().group(group).receive(message).await
    }

    async fn send_to_groups(
        &self,
        cx: &HubCx,
        groups: Vec<String>,
        message: String,
    ) -> HubResult<()> {
        cx.clients().groups(groups).receive(message).await
    }

    async fn send_to_group_except(
        &self,
        cx: &HubCx,
        group: String,
        excluded_ids: Vec<String>,
        message: String,
    ) -> HubResult<()> {
        cx.clients()
            .group_except(group, ids(excluded_ids))
            .receive(message)
            .await
    }

    async fn send_to_others_in_group(
        &self,
        cx: &HubCx,
        group: String,
        message: String,
    ) -> HubResult<()> {
        cx.clients().others_in_group(group).receive(message).await
    }

    async fn send_to_user(&self, cx: &HubCx, user: String, message: String) -> HubResult<()> {
        cx.clients().user(user).receive(message).await
    }

    async fn send_to_users(
        &self,
        cx: &HubCx,
        users: Vec<String>,
        message: String,
    ) -> HubResult<()> {
        cx.clients().users(users).receive(message).await
    }

    async fn ask_client(&self, cx: &HubCx, connection_id: String, question: String) -> String {
        let target = ConnectionId::from(connection_id);
        match cx.clients().client(target).ask(question).await {
            Ok(answer) => answer,
            Err(error) => error.message().to_owned(),
        }
    }

    fn count(&self, to: u32, interval_ms: u64) -> impl Stream<Item = u32> + Send {
        let interval = Duration::from_millis(interval_ms.min(60_000));
        stream::iter(1..=to).then(move |number| async move {
            tokio::time::sleep(interval).await;
            number
        })
    }
}

/// `POST /scenarios/broadcast`: the body, as text, to every connection of `/scenarios`.
pub(crate) async fn broadcast(State(hub): State<HubContext>, body: String) -> StatusCode {
    match hub.all().receive(body).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use signalr_runtime::contract::{HubContract, Manifest};

    use super::{ScenarioClientContract, ScenarioContract};

    #[test]
    fn the_hub_has_every_method_of_interop_md() {
        let manifest = Manifest::new()
            .with::<ScenarioContract>()
            .with::<ScenarioClientContract>();
        let names = |hub: &HubContract| -> Vec<String> {
            hub.methods
                .iter()
                .map(|method| method.name.clone())
                .collect()
        };
        assert_eq!(
            names(&manifest.hubs()[0]),
            [
                "GetConnectionId",
                "GetUserIdentifier",
                "JoinGroup",
                "LeaveGroup",
                "AddToGroup",
                "RemoveFromGroup",
                "SendToAll",
                "SendToOthers",
                "SendToCaller",
                "SendToConnection",
                "SendToConnections",
                "SendToAllExcept",
                "SendToGroup",
                "SendToGroups",
                "SendToGroupExcept",
                "SendToOthersInGroup",
                "SendToUser",
                "SendToUsers",
                "AskClient",
                "Count",
            ]
        );
        assert_eq!(names(&manifest.hubs()[1]), ["Receive", "Left", "Ask"]);
    }
}
