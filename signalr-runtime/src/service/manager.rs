//! The lifetime manager of a hub served through a service: every send becomes a service
//! message, on the server connection that keeps it in order.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use super::link::HubLink;
use super::protocol::{
    AckStatus, BroadcastData, GroupBroadcastData, GroupChangeWithAck, MultiConnectionData,
    MultiGroupBroadcastData, MultiUserData, Payloads, ServiceMessage, UserData,
};
use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult};
use crate::lifetime::{
    BoxFuture, ConnectionHandle, HubLifetimeManager, LocalLifetimeManager, Target,
};
use crate::protocol::{HubMessage, Protocol, Value};

/// One hub type's connections, wherever the service holds them; `local` knows the ones this
/// server serves (for client results and their protocols).
#[derive(Debug)]
pub(super) struct ServiceLifetimeManager {
    local: LocalLifetimeManager,
    /// One link per path the hub type is mounted at.
    links: RwLock<Vec<Arc<HubLink>>>,
    ack_timeout: Duration,
}

impl ServiceLifetimeManager {
    pub(super) fn new(ack_timeout: Duration) -> Self {
        ServiceLifetimeManager {
            local: LocalLifetimeManager::default(),
            links: RwLock::new(Vec::new()),
            ack_timeout,
        }
    }

    pub(super) fn add_link(&self, link: Arc<HubLink>) {
        self.links
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(link);
    }

    fn links(&self) -> Vec<Arc<HubLink>> {
        self.links
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn send_from(
        &self,
        origin: Option<&ConnectionId>,
        target: &Target,
        message: &HubMessage,
    ) -> HubResult<()> {
        // A single connection of this server: through its own outbound queue, after its
        // handshake answer (which its writer sends first) and the completions queued before.
        if let Target::Connection(id) = target
            && self.local.contains(id)
        {
            return self
                .local
                .send_local(target, message)
                .await
                .map_err(|error| HubError::new(error.to_string()));
        }
        let payloads = payloads(message)?;
        let message = match target {
            Target::All => broadcast(&[], payloads),
            Target::AllExcept(excluded) => broadcast(excluded, payloads),
            Target::Connection(id) => {
                let message = multi_connection(std::slice::from_ref(id), payloads);
                return self.post_once(origin, &message).await;
            }
            Target::Connections(ids) => {
                let message = multi_connection(ids, payloads);
                return self.post_once(origin, &message).await;
            }
            Target::Groups(groups, excluded) => {
                return self
                    .send_to_groups(origin, groups, excluded, payloads)
                    .await;
            }
            Target::Users(users) => match users.as_slice() {
                [user] => ServiceMessage::UserData(UserData {
                    user_id: user.clone(),
                    payloads,
                }),
                _ => ServiceMessage::MultiUserData(MultiUserData {
                    user_ids: users.clone(),
                    payloads,
                }),
            },
        };
        self.post(origin, &message).await
    }

    /// Groups with exclusions travel one message per group (the service's message for several
    /// groups has no exclusions): a connection in two of them then hears it twice, as with
    /// ASP.NET Core's Redis backplane.
    async fn send_to_groups(
        &self,
        origin: Option<&ConnectionId>,
        groups: &[String],
        excluded: &[ConnectionId],
        payloads: Payloads,
    ) -> HubResult<()> {
        if excluded.is_empty() && groups.len() > 1 {
            let message = ServiceMessage::MultiGroupBroadcastData(MultiGroupBroadcastData {
                groups: groups.to_vec(),
                payloads,
            });
            return self.post(origin, &message).await;
        }
        for group in groups {
            let message = ServiceMessage::GroupBroadcastData(GroupBroadcastData {
                group: group.clone(),
                excluded: ids(excluded),
                payloads: payloads.clone(),
            });
            self.post(origin, &message).await?;
        }
        Ok(())
    }

    /// Sends a message for connections named by id once, through the link that holds `origin`
    /// (or else the first): the service finds connections by id whatever their hub.
    async fn post_once(
        &self,
        origin: Option<&ConnectionId>,
        message: &ServiceMessage,
    ) -> HubResult<()> {
        let links = self.links();
        let held = origin.and_then(|origin| links.iter().find(|link| link.holds(origin)));
        match held.or_else(|| links.first()) {
            Some(link) => link.post(origin, message.to_bytes()).await,
            None => Err(HubError::new("The hub is not linked to the service.")),
        }
    }

    /// Sends a message for the hub's clients (all, groups, users) once through every path's
    /// link, since the service keeps those per hub path; on `origin`'s server connection where
    /// it has one.
    async fn post(&self, origin: Option<&ConnectionId>, message: &ServiceMessage) -> HubResult<()> {
        let frame = message.to_bytes();
        for link in self.links() {
            link.post(origin, frame.clone()).await?;
        }
        Ok(())
    }

    async fn change_group(&self, id: &ConnectionId, group: &str, join: bool) -> HubResult<()> {
        let links = self.links();
        let link = links
            .iter()
            .find(|link| link.holds(id))
            .or_else(|| links.first())
            .ok_or_else(|| HubError::new("The hub is not linked to the service."))?;
        let change = |ack_id| GroupChangeWithAck {
            connection_id: id.as_str().to_owned(),
            group: group.to_owned(),
            ack_id,
        };
        let status = link
            .request(Some(id), self.ack_timeout, |ack_id| {
                if join {
                    ServiceMessage::JoinGroupWithAck(change(ack_id))
                } else {
                    ServiceMessage::LeaveGroupWithAck(change(ack_id))
                }
            })
            .await?;
        match status {
            // A connection that is not there has no group to change, as on a single server.
            AckStatus::Ok | AckStatus::NotFound => Ok(()),
            other => Err(HubError::new(format!(
                "The service could not change group '{group}' of connection '{id}': {other:?}."
            ))),
        }
    }
}

/// `message` serialized once per protocol, keyed as the service expects.
fn payloads(message: &HubMessage) -> HubResult<Payloads> {
    Protocol::ALL
        .iter()
        .map(|protocol| {
            let frame = protocol
                .encode(message)
                .map_err(|error| HubError::new(error.to_string()))?;
            Ok((protocol.name().to_owned(), frame))
        })
        .collect()
}

fn ids(ids: &[ConnectionId]) -> Vec<String> {
    ids.iter().map(|id| id.as_str().to_owned()).collect()
}

fn broadcast(excluded: &[ConnectionId], payloads: Payloads) -> ServiceMessage {
    ServiceMessage::BroadcastData(BroadcastData {
        excluded: ids(excluded),
        payloads,
    })
}

fn multi_connection(connections: &[ConnectionId], payloads: Payloads) -> ServiceMessage {
    ServiceMessage::MultiConnectionData(MultiConnectionData {
        connection_ids: ids(connections),
        payloads,
    })
}

impl HubLifetimeManager for ServiceLifetimeManager {
    fn on_connected(&self, connection: ConnectionHandle) -> BoxFuture<'_, ()> {
        self.local.on_connected(connection)
    }

    fn on_disconnected<'a>(&'a self, id: &'a ConnectionId) -> BoxFuture<'a, ()> {
        self.local.on_disconnected(id)
    }

    fn send<'a>(
        &'a self,
        target: &'a Target,
        message: &'a HubMessage,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.send_from(None, target, message))
    }

    fn send_from<'a>(
        &'a self,
        origin: &'a ConnectionId,
        target: &'a Target,
        message: &'a HubMessage,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.send_from(Some(origin), target, message))
    }

    fn add_to_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.change_group(id, group, true))
    }

    fn remove_from_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.change_group(id, group, false))
    }

    fn invoke<'a>(
        &'a self,
        id: &'a ConnectionId,
        method: &'a str,
        arguments: Vec<Value>,
    ) -> BoxFuture<'a, HubResult<Value>> {
        if !self.local.contains(id) {
            return Box::pin(std::future::ready(Err(HubError::new(format!(
                "Connection '{id}' is not served by this server: client results through a \
                 service reach this server's connections only."
            )))));
        }
        self.local.invoke(id, method, arguments)
    }
}
