//! Stateful reconnect on the server's side of one connection: what its reader and writer share
//! of the sequence bookkeeping (`crate::sequence`).
//!
//! Every frame the writer takes from the outbound queue after the handshake answer is exactly
//! one trackable message (Pings, Acks, Sequences and the Close are made by the writer itself),
//! so the writer numbers frames, not parsed messages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::error::ProtocolError;
use crate::protocol::HubMessage;
use crate::sequence::{Inbound, Unacknowledged};

/// What the reader and the writer of a stateful-reconnect connection share.
#[derive(Debug)]
pub(super) struct Stateful {
    /// The highest inbound sequence id processed: what the next Ack says.
    latest_received: AtomicU64,
    sent: Mutex<Unacknowledged>,
    /// Bytes of unacknowledged messages beyond which the writer takes no more.
    limit: usize,
    /// Wakes the writer when an Ack brings the unacknowledged bytes under the limit.
    room: Notify,
}

impl Stateful {
    /// Keeps up to about `limit` bytes of unacknowledged messages.
    pub(super) fn new(limit: usize) -> Self {
        Stateful {
            latest_received: AtomicU64::new(0),
            sent: Mutex::default(),
            limit,
            room: Notify::new(),
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

    /// Writer: the Ack owed to the client, if it has sent something since `last` was acked.
    pub(super) fn ack_due(&self, last: &mut u64) -> Option<u64> {
        let latest = self.latest_received.load(Ordering::Acquire);
        (latest > *last).then(|| {
            *last = latest;
            latest
        })
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
}

impl Resumable {
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
        let stateful = Arc::new(Stateful::new(25));
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
        let mut reader = Resumable {
            shared: Arc::clone(&stateful),
            inbound: Inbound::default(),
        };
        let ack = HubMessage::Ack(Ack { sequence_id: 1 });
        assert_eq!(reader.admit(&ack), Ok(false));
        waiting.await.unwrap();
        assert!(stateful.has_room());
    }

    #[test]
    fn acks_are_owed_for_what_the_client_sent() {
        let shared = Arc::new(Stateful::new(100));
        let mut reader = Resumable {
            shared: Arc::clone(&shared),
            inbound: Inbound::default(),
        };
        let cancel = HubMessage::CancelInvocation(CancelInvocation {
            headers: Default::default(),
            invocation_id: "1".to_owned(),
        });
        let mut last = 0;
        assert_eq!(shared.ack_due(&mut last), None);
        assert_eq!(reader.admit(&cancel), Ok(true));
        assert_eq!(reader.admit(&cancel), Ok(true));
        assert_eq!(shared.ack_due(&mut last), Some(2));
        assert_eq!(shared.ack_due(&mut last), None);
    }
}
