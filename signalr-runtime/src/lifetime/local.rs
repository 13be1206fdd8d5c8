//! The lifetime manager of one process: connections, groups and users in memory.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use super::index::Index;
use super::{BoxFuture, ConnectionHandle, HubLifetimeManager, PendingResults, Target};
use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult, ProtocolError};
use crate::outbound::{Outbound, TryPushError};
use crate::protocol::{HubMessage, Invocation, Protocol, Value};

/// The connections of one hub in this process, its groups, and its users' connections: the
/// default [`HubLifetimeManager`], and what managers spanning processes use for their own
/// connections.
#[derive(Debug, Default)]
pub struct LocalLifetimeManager {
    connections: RwLock<HashMap<ConnectionId, ConnectionHandle>>,
    groups: RwLock<Index>,
    users: RwLock<Index>,
    /// Numbers the server's own invocation ids (`s1`, `s2`, ... as ASP.NET Core does, so they
    /// never collide with the ids clients choose).
    next_result_id: AtomicU64,
}

/// What a connection's departure emptied, so a backplane can drop its subscriptions.
#[derive(Debug, Default)]
#[cfg_attr(
    not(feature = "redis"),
    expect(dead_code, reason = "only the Redis backplane reads it")
)]
pub(crate) struct Departure {
    /// Groups with no member here any more.
    pub(crate) groups: Vec<String>,
    /// The connection's user, if it was that user's last connection here.
    pub(crate) users: Vec<String>,
}

/// The outcome of a group change on this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
    /// The connection is not connected here.
    NotHere,
    /// Done; the group still has other members here (or had them before).
    Changed,
    /// Done, and the connection is the group's first member here (add) or was its last
    /// (remove).
    FirstOrLast,
}

impl LocalLifetimeManager {
    /// Makes a connection reachable; `true` if it is its user's first connection here.
    pub(crate) fn add(&self, handle: ConnectionHandle) -> bool {
        let mut first_of_user = false;
        if let (Some(user), Ok(mut users)) = (&handle.user, self.users.write()) {
            first_of_user = users.add(user, &handle.id);
        }
        if let Ok(mut connections) = self.connections.write()
            && connections.insert(handle.id.clone(), handle).is_none()
        {
            crate::stats::registered(true);
        }
        first_of_user
    }

    /// Whether connection `id` is connected to this process.
    pub fn contains(&self, id: &ConnectionId) -> bool {
        self.connections
            .read()
            .is_ok_and(|connections| connections.contains_key(id))
    }

    /// The handle of connection `id`, if it is connected to this process.
    #[cfg(feature = "redis")]
    pub(crate) fn handle(&self, id: &ConnectionId) -> Option<ConnectionHandle> {
        self.connections.read().ok()?.get(id).cloned()
    }

    /// Forgets a connection and takes it out of its groups; says which groups and user have no
    /// connection here any more.
    pub(crate) fn remove(&self, id: &ConnectionId) -> Departure {
        if let Ok(mut connections) = self.connections.write()
            && connections.remove(id).is_some()
        {
            crate::stats::registered(false);
        }
        let mut emptied = [&self.groups, &self.users].map(|index| {
            index
                .write()
                .map(|mut index| index.remove_connection(id))
                .unwrap_or_default()
        });
        Departure {
            users: std::mem::take(&mut emptied[1]),
            groups: std::mem::take(&mut emptied[0]),
        }
    }

    /// Adds connection `id` to group `group`.
    pub(crate) fn add_to_group(&self, id: &ConnectionId, group: &str) -> Membership {
        self.change_group(id, |groups| groups.add(group, id))
    }

    /// Takes connection `id` out of group `group`.
    pub(crate) fn remove_from_group(&self, id: &ConnectionId, group: &str) -> Membership {
        self.change_group(id, |groups| groups.remove(group, id))
    }

    /// Applies `change` (which says whether it filled or emptied the group) if connection `id`
    /// is here.
    fn change_group(
        &self,
        id: &ConnectionId,
        change: impl FnOnce(&mut Index) -> bool,
    ) -> Membership {
        // The connections lock is held while the group changes, so a connection cannot leave
        // (and have its groups cleaned) in between.
        let Ok(connections) = self.connections.read() else {
            return Membership::NotHere;
        };
        if !connections.contains_key(id) {
            return Membership::NotHere;
        }
        if self
            .groups
            .write()
            .is_ok_and(|mut groups| change(&mut groups))
        {
            Membership::FirstOrLast
        } else {
            Membership::Changed
        }
    }

    /// Invokes `method` on connection `id` and waits for the client's answer.
    pub(crate) async fn invoke_local(
        &self,
        id: &ConnectionId,
        method: &str,
        arguments: Vec<Value>,
    ) -> Result<Value, HubError> {
        let handle = self
            .connections
            .read()
            .ok()
            .and_then(|connections| connections.get(id).cloned());
        let Some(handle) = handle else {
            return Err(HubError::new(format!("Connection '{id}' does not exist.")));
        };
        let invocation_id = format!(
            "s{}",
            self.next_result_id.fetch_add(1, Ordering::Relaxed) + 1
        );
        let mut call = Invocation::new(method, arguments);
        call.invocation_id = Some(invocation_id.clone());
        let frame = handle
            .protocol
            .encode(&HubMessage::Invocation(call))
            .map_err(|error| HubError::new(error.to_string()))?;
        let Some(answer) = handle.pending.wait_for(invocation_id.clone()) else {
            return Err(HubError::new("The client result could not be awaited."));
        };
        // Forget the id however this ends, the caller giving up included.
        let _forget = Forget {
            pending: &handle.pending,
            id: &invocation_id,
        };
        if handle.outbound.deliver(frame).await.is_err() {
            return Err(HubError::new(format!("Connection '{id}' disconnected.")));
        }
        super::client_results::settle(id, answer.await)
    }

    /// Queues `message` for every connection of `target`, serialized once per protocol; waits
    /// for the receivers whose queues are full to make room (see [`crate::outbound`]).
    pub(crate) async fn send_local(
        &self,
        target: &Target,
        message: &HubMessage,
    ) -> Result<(), ProtocolError> {
        let mut encoded: [Option<Bytes>; Protocol::ALL.len()] = Default::default();
        let mut frame_for = |protocol: Protocol| {
            let Some(slot) = encoded.get_mut(protocol.index()) else {
                return Ok(None);
            };
            if let Some(frame) = slot {
                return Ok(Some(frame.clone()));
            }
            Ok(Some(slot.insert(protocol.encode(message)?).clone()))
        };
        let mut late = Vec::new();
        self.enqueue(target, &mut frame_for, &mut late)?;
        wait_for_room(late).await;
        Ok(())
    }

    /// Queues frames already serialized for each protocol (by another server) for every
    /// connection of `target`; a connection whose protocol has no frame is skipped.
    #[cfg(feature = "redis")]
    pub(crate) async fn send_frames(
        &self,
        target: &Target,
        frames: &(dyn Fn(Protocol) -> Option<Bytes> + Sync),
    ) {
        let mut late = Vec::new();
        let mut frame_for = |protocol: Protocol| Ok(frames(protocol));
        if self.enqueue(target, &mut frame_for, &mut late).is_ok() {
            wait_for_room(late).await;
        }
    }

    /// Queues a frame from `frame_for` for every connection of `target` that has room; the
    /// others, with their frame, go to `late`.
    fn enqueue(
        &self,
        target: &Target,
        frame_for: &mut dyn FnMut(Protocol) -> Result<Option<Bytes>, ProtocolError>,
        late: &mut Vec<(Outbound, Bytes)>,
    ) -> Result<(), ProtocolError> {
        let Ok(connections) = self.connections.read() else {
            return Ok(());
        };
        let mut deliver = |handle: &ConnectionHandle| {
            let Some(frame) = frame_for(handle.protocol)? else {
                return Ok(());
            };
            match handle.outbound.try_deliver(frame) {
                // Closed: the connection is leaving, and nothing waits for this message.
                Ok(()) | Err(TryPushError::Closed) => {}
                Err(TryPushError::Full(frame)) => late.push((handle.outbound.clone(), frame)),
            }
            Ok(())
        };
        let mut deliver_to = |ids: &mut dyn Iterator<Item = &ConnectionId>| {
            ids.filter_map(|id| connections.get(id))
                .try_for_each(&mut deliver)
        };
        match target {
            // Straight from the map: looking each key up again cost a hash per delivery.
            Target::All => connections.values().try_for_each(&mut deliver),
            Target::AllExcept(excluded) => {
                deliver_to(&mut connections.keys().filter(|id| !excluded.contains(id)))
            }
            Target::Connection(id) => deliver_to(&mut std::iter::once(id)),
            Target::Connections(ids) => deliver_to(&mut unique(ids).into_iter()),
            Target::Groups(groups, excluded) => {
                let members = self
                    .groups
                    .read()
                    .map(|index| index.members(groups))
                    .unwrap_or_default();
                deliver_to(&mut members.iter().filter(|id| !excluded.contains(id)))
            }
            Target::Users(users) => {
                let members = self
                    .users
                    .read()
                    .map(|index| index.members(users))
                    .unwrap_or_default();
                deliver_to(&mut members.iter())
            }
        }
    }
}

/// Waits for the receivers that were behind, all at once: one slow reader delays the sender by
/// its own wait (at most `HubOptions::slow_client_wait`), not by the sum of every slow reader's.
async fn wait_for_room(late: Vec<(Outbound, Bytes)>) {
    if !late.is_empty() {
        let waits = late
            .into_iter()
            .map(|(outbound, frame)| async move { outbound.deliver(frame).await });
        futures_util::future::join_all(waits).await;
    }
}

/// `ids` without repeats: a connection named twice receives the message once.
fn unique(ids: &[ConnectionId]) -> HashSet<&ConnectionId> {
    ids.iter().collect()
}

/// Removes a pending client result when its waiter goes away.
struct Forget<'a> {
    pending: &'a PendingResults,
    id: &'a str,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.pending.forget(self.id);
    }
}

impl HubLifetimeManager for LocalLifetimeManager {
    fn on_connected(&self, connection: ConnectionHandle) -> BoxFuture<'_, ()> {
        self.add(connection);
        Box::pin(std::future::ready(()))
    }

    fn on_disconnected<'a>(&'a self, id: &'a ConnectionId) -> BoxFuture<'a, ()> {
        self.remove(id);
        Box::pin(std::future::ready(()))
    }

    fn send<'a>(
        &'a self,
        target: &'a Target,
        message: &'a HubMessage,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(async move {
            self.send_local(target, message)
                .await
                .map_err(|error| HubError::new(error.to_string()))
        })
    }

    fn add_to_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>> {
        // A connection that is not (or no longer) here is ignored, as ASP.NET Core's default
        // manager does.
        self.add_to_group(id, group);
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove_from_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>> {
        self.remove_from_group(id, group);
        Box::pin(std::future::ready(Ok(())))
    }

    fn invoke<'a>(
        &'a self,
        id: &'a ConnectionId,
        method: &'a str,
        arguments: Vec<Value>,
    ) -> BoxFuture<'a, HubResult<Value>> {
        Box::pin(self.invoke_local(id, method, arguments))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::{Limits, outbound};

    fn handle(id: &str) -> (ConnectionHandle, crate::outbound::OutboundReceiver) {
        let (outbound, receiver) = outbound(Limits::buffer(1 << 16));
        let handle = ConnectionHandle {
            id: ConnectionId::from(id),
            protocol: Protocol::Json,
            outbound,
            pending: std::sync::Arc::default(),
            user: None,
        };
        (handle, receiver)
    }

    #[tokio::test]
    async fn group_changes_reach_only_connections_of_this_process() {
        let manager = LocalLifetimeManager::default();
        let (here, received) = handle("here");
        manager.on_connected(here).await;
        let elsewhere = ConnectionId::from("elsewhere");
        assert_eq!(
            manager.add_to_group(&elsewhere, "room"),
            Membership::NotHere
        );
        let here = ConnectionId::from("here");
        assert_eq!(manager.add_to_group(&here, "room"), Membership::FirstOrLast);
        assert_eq!(manager.add_to_group(&here, "room"), Membership::Changed);
        let message = HubMessage::Invocation(Invocation::new("Hi", Vec::new()));
        let room = Target::Groups(vec!["room".to_owned()], Vec::new());
        HubLifetimeManager::send(&manager, &room, &message)
            .await
            .unwrap();
        assert!(received.try_recv().is_some());
        let departure = manager.remove(&here);
        assert_eq!(departure.groups, vec!["room".to_owned()]);
        assert!(!manager.contains(&here));
    }
}
