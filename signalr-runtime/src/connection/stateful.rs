//! Stateful reconnect on the server's side of one connection: what its reader and writer share
//! of the sequence bookkeeping (`crate::sequence`).
//!
//! Every frame the writer takes from the outbound queue after the handshake answer is exactly
//! one trackable message (Pings, Acks, Sequences and the Close are made by the writer itself),
//! so the writer numbers frames, not parsed messages.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::error::ProtocolError;
use crate::protocol::HubMessage;
use crate::sequence::{Inbound, Unacknowledged};

/// How many bytes of the client's messages the reader sets aside, while it waits for room for
/// its answers, to reach the Acks behind them.
const DEFERRED_BYTES: usize = 256 * 1024;

/// What the reader and the writer of a stateful-reconnect connection share.
#[derive(Debug)]
pub(super) struct Stateful {
    /// The highest inbound sequence id processed: what the next Ack says.
    latest_received: AtomicU64,
    /// What the last Ack said; reset when the client reattaches, as its Ack may have been lost.
    acked: AtomicU64,
    sent: Mutex<Unacknowledged>,
    /// Bytes of unacknowledged messages beyond which the writer takes no more.
    limit: usize,
    /// Wakes the writer when an Ack brings the unacknowledged bytes under the limit.
    room: Notify,
    /// How long the writer waits for an Ack with its buffer full before it gives the client up
    /// (the client timeout: a client may stay silent that long, and no longer).
    pub(super) ack_within: Duration,
    /// How long the writer waits for the client's next WebSocket (the disconnect timeout).
    pub(super) reattach_within: Duration,
}

impl Stateful {
    /// Keeps up to about `limit` bytes of unacknowledged messages.
    pub(super) fn new(limit: usize, ack_within: Duration, reattach_within: Duration) -> Self {
        Stateful {
            latest_received: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            sent: Mutex::default(),
            limit,
            room: Notify::new(),
            ack_within,
            reattach_within,
        }
    }

    fn sent(&self) -> MutexGuard<'_, Unacknowledged> {
        // Every change leaves the record consistent before the next can panic; a poisoned lock
        // is used as it is.
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writer: `frame` (one trackable message) is being sent; keep it until acknowledged.
    pub(super) fn record(&self, frame: &Bytes) {
        // A message that could not be serialized is not sent, and has no id.
        if !frame.is_empty() {
            self.sent().record(frame.clone());
        }
    }

    /// Writer: whether more may be sent before the client acknowledges some.
    pub(super) fn has_room(&self) -> bool {
        self.sent().bytes() < self.limit
    }

    /// Writer: completes when an Ack has made room.
    pub(super) async fn room(&self) {
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if self.has_room() {
                return;
            }
            room.await;
        }
    }

    /// Writer, on a new transport: the Sequence id and the messages to send again.
    pub(super) fn replay(&self) -> (u64, Vec<Bytes>) {
        self.sent().replay()
    }

    /// Writer: the Ack owed to the client, if it has sent something since the last Ack (or
    /// reattached since).
    pub(super) fn ack_due(&self) -> Option<u64> {
        let latest = self.latest_received.load(Ordering::Acquire);
        let last = self.acked.swap(latest, Ordering::AcqRel);
        (latest != last).then_some(latest)
    }

    /// Reader: the client has every message up to `sequence_id`.
    fn acknowledge(&self, sequence_id: u64) {
        let mut sent = self.sent();
        let before = sent.bytes();
        sent.acknowledge(sequence_id);
        let freed = before >= self.limit && sent.bytes() < self.limit;
        drop(sent);
        if freed {
            self.room.notify_one();
        }
    }
}

/// The reader's side: the shared state and its own count of what the client sent.
#[derive(Debug)]
pub(super) struct Resumable {
    pub(super) shared: Arc<Stateful>,
    pub(super) inbound: Inbound,
    /// Messages read past, with their sizes, while the reader waited for room (see
    /// [`Resumable::set_aside`]); handled before anything else is read.
    deferred: VecDeque<(HubMessage, usize)>,
    deferred_bytes: usize,
}

impl Resumable {
    pub(super) fn new(shared: Arc<Stateful>) -> Self {
        Resumable {
            shared,
            inbound: Inbound::default(),
            deferred: VecDeque::new(),
            deferred_bytes: 0,
        }
    }

    /// While the reader waits for room for its answers, the writer may be waiting for the
    /// client's Ack to make it: the reader reads on, applies Acks at once (they commute with
    /// everything else) and sets the other messages aside, in order, up to a budget.
    pub(super) fn set_aside(&mut self, message: HubMessage, size: usize) {
        if let HubMessage::Ack(ack) = &message {
            self.shared.acknowledge(ack.sequence_id);
        } else {
            self.deferred_bytes += size;
            self.deferred.push_back((message, size));
        }
    }

    /// Whether more may be set aside.
    pub(super) fn can_set_aside(&self) -> bool {
        self.deferred_bytes < DEFERRED_BYTES
    }

    /// The oldest message set aside.
    pub(super) fn next_set_aside(&mut self) -> Option<HubMessage> {
        let (message, size) = self.deferred.pop_front()?;
        self.deferred_bytes -= size;
        Some(message)
    }

    /// Acts on `message` where stateful reconnect has a say: `Err` ends the connection,
    /// `Ok(false)` means the message is not for the hub (an Ack, a Sequence, a duplicate).
    pub(super) fn admit(&mut self, message: &HubMessage) -> Result<bool, ProtocolError> {
        match message {
            HubMessage::Ack(ack) => {
                self.shared.acknowledge(ack.sequence_id);
                Ok(false)
            }
            HubMessage::Sequence(sequence) => {
                self.inbound.restart_at(sequence.sequence_id)?;
                // The client resends what it had no Ack for, perhaps because the Ack was lost
                // with the old WebSocket: it is owed one again, even if nothing new comes.
                self.shared.acked.store(0, Ordering::Release);
                Ok(false)
            }
            message => {
                let new = self.inbound.is_new(message);
                self.shared
                    .latest_received
                    .store(self.inbound.latest(), Ordering::Release);
                Ok(new)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Ack, CancelInvocation};

    fn frame(size: usize) -> Bytes {
        Bytes::from(vec![b'x'; size])
    }

    #[tokio::test]
    async fn the_writer_waits_for_an_ack_when_the_limit_is_reached() {
        let stateful = Arc::new(Stateful::new(25, Duration::MAX, Duration::MAX));
        stateful.record(&frame(20));
        assert!(stateful.has_room());
        stateful.record(&frame(20));
        assert!(!stateful.has_room());
        let waiting = tokio::spawn({
            let stateful = Arc::clone(&stateful);
            async move { stateful.room().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let mut reader = Resumable::new(Arc::clone(&stateful));
        let ack = HubMessage::Ack(Ack { sequence_id: 1 });
        assert_eq!(reader.admit(&ack), Ok(false));
        waiting.await.unwrap();
        assert!(stateful.has_room());
    }

    #[test]
    fn acks_are_owed_for_what_the_client_sent() {
        let shared = Arc::new(Stateful::new(100, Duration::MAX, Duration::MAX));
        let mut reader = Resumable::new(Arc::clone(&shared));
        let cancel = HubMessage::CancelInvocation(CancelInvocation {
            headers: Default::default(),
            invocation_id: "1".to_owned(),
        });
        assert_eq!(shared.ack_due(), None);
        assert_eq!(reader.admit(&cancel), Ok(true));
        assert_eq!(reader.admit(&cancel), Ok(true));
        assert_eq!(shared.ack_due(), Some(2));
        assert_eq!(shared.ack_due(), None);
        // The client reattaches and resends both: its lost Ack is owed again.
        let sequence = HubMessage::Sequence(crate::protocol::Sequence { sequence_id: 1 });
        assert_eq!(reader.admit(&sequence), Ok(false));
        assert_eq!(reader.admit(&cancel), Ok(false));
        assert_eq!(shared.ack_due(), Some(2));
    }
}
