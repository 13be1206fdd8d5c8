//! A hub's server connections to the service: which are up, sending on them, acknowledgements,
//! and keeping each one connected (see [`session`] for one connection's life).

mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::AccessKey;
use super::protocol::{AckStatus, ServiceMessage};
use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult};
use crate::shutdown::Shutdown;
use crate::transport::Endpoint;

/// The longest wait between two attempts to connect: the delay doubles from
/// `ServiceOptions::reconnect_delay` while the service refuses or cannot be reached.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);

/// The server connections of one mounted hub.
pub(super) struct HubLink {
    name: String,
    slots: Vec<Slot>,
    next_slot: AtomicUsize,
    next_ack: AtomicI32,
    acks: Mutex<HashMap<i32, oneshot::Sender<AckStatus>>>,
}

/// One server connection, connected or waiting to reconnect.
#[derive(Default)]
struct Slot {
    writer: Mutex<Option<mpsc::Sender<Bytes>>>,
    /// The client connections the service opened on it, and where their bytes go.
    clients: Mutex<HashMap<ConnectionId, mpsc::Sender<Bytes>>>,
}

impl std::fmt::Debug for HubLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubLink")
            .field("hub", &self.name)
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes an acknowledgement's waiter out of the table however the wait ends (answered, timed
/// out, or the waiting call dropped).
struct AckGuard<'a> {
    link: &'a HubLink,
    ack_id: i32,
}

impl Drop for AckGuard<'_> {
    fn drop(&mut self) {
        lock(&self.link.acks).remove(&self.ack_id);
    }
}

impl HubLink {
    pub(super) fn new(name: String, count: usize) -> Arc<Self> {
        Arc::new(HubLink {
            name,
            slots: (0..count).map(|_| Slot::default()).collect(),
            next_slot: AtomicUsize::new(0),
            next_ack: AtomicI32::new(1),
            acks: Mutex::new(HashMap::new()),
        })
    }

    /// Whether client connection `id` came through this link.
    pub(super) fn holds(&self, id: &ConnectionId) -> bool {
        self.slots
            .iter()
            .any(|slot| lock(&slot.clients).contains_key(id))
    }

    /// The writer of `origin`'s server connection, or else of the next connected one.
    fn writer_for(&self, origin: Option<&ConnectionId>) -> Option<mpsc::Sender<Bytes>> {
        if let Some(origin) = origin {
            let owner = self
                .slots
                .iter()
                .find(|slot| lock(&slot.clients).contains_key(origin));
            if let Some(writer) = owner.and_then(|slot| lock(&slot.writer).clone()) {
                return Some(writer);
            }
        }
        let start = self.next_slot.fetch_add(1, Ordering::Relaxed);
        (0..self.slots.len()).find_map(|offset| {
            let index = start.wrapping_add(offset) % self.slots.len().max(1);
            self.slots
                .get(index)
                .and_then(|slot| lock(&slot.writer).clone())
        })
    }

    /// Sends one framed service message.
    ///
    /// # Errors
    ///
    /// When no server connection of the hub is up.
    pub(super) async fn post(&self, origin: Option<&ConnectionId>, frame: Bytes) -> HubResult<()> {
        let writer = self.writer_for(origin).ok_or_else(|| self.unavailable())?;
        writer.send(frame).await.map_err(|_| self.unavailable())
    }

    fn unavailable(&self) -> HubError {
        HubError::new(format!(
            "Hub '{}' has no connection to the service.",
            self.name
        ))
    }

    /// Sends the message `build` makes with a fresh ack id and waits for the service's `Ack`,
    /// for at most `timeout` in all.
    pub(super) async fn request(
        &self,
        origin: Option<&ConnectionId>,
        timeout: Duration,
        build: impl FnOnce(i32) -> ServiceMessage,
    ) -> HubResult<AckStatus> {
        let ack_id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        lock(&self.acks).insert(ack_id, answer);
        let _forget = AckGuard { link: self, ack_id };
        let exchange = async {
            self.post(origin, build(ack_id).to_bytes()).await?;
            answered
                .await
                .map_err(|_| HubError::new("The server connection to the service ended."))
        };
        tokio::time::timeout(timeout, exchange).await.map_err(|_| {
            HubError::new(format!(
                "The service did not acknowledge within {timeout:?}."
            ))
        })?
    }

    /// Hands the service's answer to the waiter of `ack_id`, if it still waits.
    fn acknowledge(&self, ack_id: i32, status: AckStatus) {
        if let Some(waiter) = lock(&self.acks).remove(&ack_id) {
            let _ = waiter.send(status);
        }
    }
}

/// Where a hub's server connections go, and how they prove who they are.
pub(super) struct Settings {
    pub(super) url: String,
    pub(super) audience: String,
    pub(super) key: AccessKey,
    pub(super) reconnect_delay: Duration,
    pub(super) shutdown: Shutdown,
}

/// Starts every server connection of `link`, serving clients with `endpoint`.
pub(super) fn start<E: Endpoint>(
    runtime: &tokio::runtime::Handle,
    link: &Arc<HubLink>,
    endpoint: &Arc<E>,
    settings: Settings,
) {
    let settings = Arc::new(settings);
    for index in 0..link.slots.len() {
        runtime.spawn(keep_connected(
            Arc::clone(link),
            index,
            Arc::clone(endpoint),
            Arc::clone(&settings),
        ));
    }
}

/// Keeps server connection `index` up: after every drop, its clients are let go and it
/// connects again, waiting longer each time the service cannot be reached; stops for good
/// once a graceful shutdown has started.
async fn keep_connected<E: Endpoint>(
    link: Arc<HubLink>,
    index: usize,
    endpoint: Arc<E>,
    settings: Arc<Settings>,
) {
    let Some(slot) = link.slots.get(index) else {
        return;
    };
    let mut delay = settings.reconnect_delay;
    loop {
        let session = session::Session {
            link: &link,
            slot,
            endpoint: &endpoint,
            settings: &settings,
        };
        let ended = session.run().await;
        match &ended.error {
            None => tracing::info!(hub = %link.name, "a server connection ended"),
            Some(error) => tracing::warn!(hub = %link.name, %error, "server connection failed"),
        }
        if ended.established {
            delay = settings.reconnect_delay;
        }
        lock(&slot.writer).take();
        // Dropping their senders ends the clients' connections here; the service has closed
        // them on its side.
        lock(&slot.clients).clear();
        if settings.shutdown.is_stopping() {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = delay
            .saturating_mul(2)
            .min(MAX_RECONNECT_DELAY.max(settings.reconnect_delay));
    }
}
