//! Which connections a hub has, and delivery of one message to a set of them.

use std::collections::HashMap;
use std::sync::RwLock;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use crate::connection::{ConnectionId, request_close};
use crate::error::ProtocolError;
use crate::protocol::{Close, HubMessage, Protocol};

/// The receivers of a message.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    All,
    AllExcept(Vec<ConnectionId>),
    Connection(ConnectionId),
    Connections(Vec<ConnectionId>),
}

impl Target {
    fn includes(&self, id: &ConnectionId) -> bool {
        match self {
            Target::All => true,
            Target::AllExcept(excluded) => !excluded.contains(id),
            Target::Connection(only) => only == id,
            Target::Connections(ids) => ids.contains(id),
        }
    }
}

/// What the registry needs to reach one connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle {
    pub(crate) protocol: Protocol,
    pub(crate) outbound: mpsc::Sender<Bytes>,
    pub(crate) closing: watch::Sender<Option<Close>>,
}

/// The connections of one hub endpoint in this process.
#[derive(Debug, Default)]
pub(crate) struct ConnectionRegistry {
    connections: RwLock<HashMap<ConnectionId, ConnectionHandle>>,
}

impl ConnectionRegistry {
    pub(crate) fn add(&self, id: ConnectionId, handle: ConnectionHandle) {
        if let Ok(mut connections) = self.connections.write() {
            connections.insert(id, handle);
        }
    }

    pub(crate) fn remove(&self, id: &ConnectionId) {
        if let Ok(mut connections) = self.connections.write() {
            connections.remove(id);
        }
    }

    /// Queues `message` for every connection of `target`, serialized once per protocol.
    pub(crate) fn send(&self, target: &Target, message: &HubMessage) -> Result<(), ProtocolError> {
        let mut encoded: [Option<Bytes>; Protocol::ALL.len()] = Default::default();
        let Ok(connections) = self.connections.read() else {
            return Ok(());
        };
        let mut deliver = |id: &ConnectionId, handle: &ConnectionHandle| {
            let slot = encoded.get_mut(handle.protocol.index());
            let frame = match slot {
                Some(Some(frame)) => frame.clone(),
                Some(slot) => {
                    let mut out = Vec::new();
                    handle.protocol.write(message, &mut out)?;
                    slot.insert(Bytes::from(out)).clone()
                }
                None => return Ok(()),
            };
            if handle.outbound.try_send(frame).is_err() {
                // Full (a client that does not read) or closed (already leaving): either way the
                // connection cannot take more, and buffering without bound is not an option.
                tracing::debug!(connection = %id, "outbound queue full; closing the connection");
                request_close(
                    &handle.closing,
                    Close {
                        error: None,
                        allow_reconnect: true,
                    },
                );
            }
            Ok(())
        };
        match target {
            Target::Connection(id) => match connections.get(id) {
                Some(handle) => deliver(id, handle),
                None => Ok(()),
            },
            _ => connections
                .iter()
                .filter(|(id, _)| target.includes(id))
                .try_for_each(|(id, handle)| deliver(id, handle)),
        }
    }
}
