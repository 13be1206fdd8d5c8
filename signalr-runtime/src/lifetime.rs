//! Which connections a hub has, and delivery of one message to a set of them.

mod client_results;
mod index;

pub(crate) use client_results::PendingResults;

use index::Index;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use tokio::sync::watch;

use crate::connection::{ConnectionId, request_close};
use crate::error::{HubError, ProtocolError};
use crate::outbound::{Outbound, TryPushError};
use crate::protocol::{Close, HubMessage, Invocation, Protocol, Value};

/// The receivers of a message.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    All,
    AllExcept(Vec<ConnectionId>),
    Connection(ConnectionId),
    Connections(Vec<ConnectionId>),
    /// The members of any of these groups, minus the excluded connections.
    Groups(Vec<String>, Vec<ConnectionId>),
    /// The connections of any of these users.
    Users(Vec<String>),
}

/// What the registry needs to reach one connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle {
    pub(crate) protocol: Protocol,
    pub(crate) outbound: Outbound,
    pub(crate) closing: watch::Sender<Option<Close>>,
    pub(crate) pending: Arc<PendingResults>,
    /// The user the connection belongs to, if it was authenticated.
    pub(crate) user: Option<String>,
}

/// The connections of one hub in this process, its groups, and its users' connections.
#[derive(Debug, Default)]
pub(crate) struct ConnectionRegistry {
    connections: RwLock<HashMap<ConnectionId, ConnectionHandle>>,
    groups: RwLock<Index>,
    users: RwLock<Index>,
    /// Numbers the server's own invocation ids (`s1`, `s2`, ... as ASP.NET Core does, so they
    /// never collide with the ids clients choose).
    next_result_id: AtomicU64,
    /// Connections being served, from before their handshake until their Close is written:
    /// what a graceful shutdown waits for.
    serving: AtomicUsize,
    /// Set by [`ConnectionRegistry::close_all`]: connections added later are closed at once.
    closed_with: Mutex<Option<Close>>,
}

/// Counts one connection as being served until dropped.
#[derive(Debug)]
pub(crate) struct Serving(Arc<ConnectionRegistry>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.serving.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ConnectionRegistry {
    pub(crate) fn add(&self, id: ConnectionId, handle: ConnectionHandle) {
        if let (Some(user), Ok(mut users)) = (&handle.user, self.users.write()) {
            users.add(user, &id);
        }
        if let Ok(mut connections) = self.connections.write() {
            // Checked under the connections lock, which close_all holds while it sets this: a
            // connection is closed either by close_all's sweep or here, never by neither.
            if let Some(close) = self.closed_with.lock().ok().and_then(|close| close.clone()) {
                request_close(&handle.closing, close);
            }
            connections.insert(id, handle);
        }
    }

    /// Counts a connection as served from now until the guard is dropped.
    pub(crate) fn serving(self: &Arc<Self>) -> Serving {
        self.serving.fetch_add(1, Ordering::SeqCst);
        Serving(Arc::clone(self))
    }

    /// How many connections are being served (including ones still writing their Close).
    pub(crate) fn served(&self) -> usize {
        self.serving.load(Ordering::SeqCst)
    }

    /// Forgets a connection, and takes it out of its groups.
    pub(crate) fn remove(&self, id: &ConnectionId) {
        if let Ok(mut connections) = self.connections.write() {
            connections.remove(id);
        }
        for index in [&self.groups, &self.users] {
            if let Ok(mut index) = index.write() {
                index.remove_connection(id);
            }
        }
    }

    /// Asks every connection to close with `close`.
    pub(crate) fn close_all(&self, close: &Close) {
        if let Ok(connections) = self.connections.read() {
            if let Ok(mut closed_with) = self.closed_with.lock() {
                *closed_with = Some(close.clone());
            }
            for handle in connections.values() {
                request_close(&handle.closing, close.clone());
            }
        }
    }

    /// Adds connection `id` to group `group` (a connection that is not here is ignored).
    pub(crate) fn add_to_group(&self, id: &ConnectionId, group: &str) {
        // The connections lock is held while the group changes, so a connection cannot leave
        // (and have its groups cleaned) in between.
        let Ok(connections) = self.connections.read() else {
            return;
        };
        if let (true, Ok(mut groups)) = (connections.contains_key(id), self.groups.write()) {
            groups.add(group, id);
        }
    }

    /// Takes connection `id` out of group `group`.
    pub(crate) fn remove_from_group(&self, id: &ConnectionId, group: &str) {
        if let Ok(mut groups) = self.groups.write() {
            groups.remove(group, id);
        }
    }

    /// Invokes `method` on connection `id` and waits for the client's answer.
    pub(crate) async fn invoke(
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
            return Err(HubError::new(format!(
                "Connection '{id}' is not connected."
            )));
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
        if handle.outbound.push(frame).await.is_err() {
            return Err(HubError::new(format!("Connection '{id}' disconnected.")));
        }
        match answer.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(HubError::new(error)),
            Err(_) => Err(HubError::new(format!("Connection '{id}' disconnected."))),
        }
    }

    /// Queues `message` for every connection of `target`, serialized once per protocol; waits
    /// for the receivers whose queues are full to make room (see [`crate::outbound`]).
    pub(crate) async fn send(
        &self,
        target: &Target,
        message: &HubMessage,
    ) -> Result<(), ProtocolError> {
        let mut late = Vec::new();
        self.enqueue(target, message, &mut late)?;
        // The receivers that are behind, all at once: one slow reader delays the sender by its
        // own wait, not by the sum of every slow reader's.
        if !late.is_empty() {
            let waits = late
                .iter()
                .map(|(outbound, frame)| outbound.push(frame.clone()));
            futures_util::future::join_all(waits).await;
        }
        Ok(())
    }

    /// Queues `message` for every connection of `target` that has room; the others, with their
    /// frame, go to `late`.
    fn enqueue(
        &self,
        target: &Target,
        message: &HubMessage,
        late: &mut Vec<(Outbound, Bytes)>,
    ) -> Result<(), ProtocolError> {
        let mut encoded: [Option<Bytes>; Protocol::ALL.len()] = Default::default();
        let Ok(connections) = self.connections.read() else {
            return Ok(());
        };
        let mut deliver = |handle: &ConnectionHandle| {
            let slot = encoded.get_mut(handle.protocol.index());
            let frame = match slot {
                Some(Some(frame)) => frame.clone(),
                Some(slot) => slot.insert(handle.protocol.encode(message)?).clone(),
                None => return Ok(()),
            };
            match handle.outbound.try_push(frame) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> (ConnectionHandle, watch::Receiver<Option<Close>>) {
        let (outbound, _) = crate::outbound::outbound(1);
        let (closing, closed) = watch::channel(None);
        let handle = ConnectionHandle {
            protocol: Protocol::Json,
            outbound,
            closing,
            pending: Arc::default(),
            user: None,
        };
        (handle, closed)
    }

    #[test]
    fn a_connection_added_after_close_all_is_closed_at_once() {
        let registry = ConnectionRegistry::default();
        let (early, early_closed) = handle();
        registry.add(ConnectionId::from("early"), early);
        let close = Close {
            error: None,
            allow_reconnect: true,
        };
        registry.close_all(&close);
        assert_eq!(*early_closed.borrow(), Some(close.clone()));
        // A connection whose request passed the shutdown check before close_all ran.
        let (late, late_closed) = handle();
        registry.add(ConnectionId::from("late"), late);
        assert_eq!(*late_closed.borrow(), Some(close));
    }

    #[test]
    fn serving_counts_until_dropped() {
        let registry = Arc::new(ConnectionRegistry::default());
        let first = registry.serving();
        let second = registry.serving();
        assert_eq!(registry.served(), 2);
        drop(first);
        assert_eq!(registry.served(), 1);
        drop(second);
        assert_eq!(registry.served(), 0);
    }
}
