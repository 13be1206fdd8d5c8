//! Stateful reconnect's bookkeeping for one connection (HubProtocol.md, "Stateful Reconnect"):
//! sequence ids both ways, the messages the client has not acknowledged, and the acks owed to it.
//!
//! Only trackable messages count: Invocation, StreamItem, Completion, StreamInvocation and
//! CancelInvocation. Every frame the writer takes from the outbound queue after the handshake
//! answer is exactly one of those (Pings, Acks, Sequences and the Close are made by the writer
//! itself), so the writer numbers frames, not parsed messages.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::error::ProtocolError;
use crate::protocol::HubMessage;

/// What the reader and the writer of a stateful-reconnect connection share.
#[derive(Debug)]
pub(super) struct Stateful {
    /// The highest inbound sequence id processed: what the next Ack says.
    latest_received: AtomicU64,
    sent: Mutex<Sent>,
    /// Bytes of unacknowledged messages beyond which the writer takes no more.
    limit: usize,
    /// Wakes the writer when an Ack brings the unacknowledged bytes under the limit.
    room: Notify,
}

/// Messages sent and not yet acknowledged, oldest first.
#[derive(Debug, Default)]
struct Sent {
    frames: VecDeque<(u64, Bytes)>,
    bytes: usize,
    /// Trackable messages sent so far: the last one's sequence id.
    total: u64,
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

    fn sent(&self) -> MutexGuard<'_, Sent> {
        // Every change keeps `frames`, `bytes` and `total` consistent before the next can
        // panic; a poisoned lock is used as it is.
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writer: `frame` (one trackable message) is being sent; keep it until acknowledged.
    pub(super) fn record(&self, frame: &Bytes) {
        if frame.is_empty() {
            // A message that could not be serialized is not sent, and has no id.
            return;
        }
        let mut sent = self.sent();
        sent.total += 1;
        let id = sent.total;
        sent.bytes += frame.len();
        sent.frames.push_back((id, frame.clone()));
    }

    /// Writer: whether more may be sent before the client acknowledges some.
    pub(super) fn has_room(&self) -> bool {
        self.sent().bytes < self.limit
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

    /// Reader: the client has every message up to `sequence_id`.
    pub(super) fn acknowledge(&self, sequence_id: u64) {
        let mut sent = self.sent();
        let before = sent.bytes;
        while let Some((id, frame)) = sent.frames.front() {
            if *id > sequence_id {
                break;
            }
            let length = frame.len();
            sent.bytes -= length;
            sent.frames.pop_front();
        }
        let freed = before >= self.limit && sent.bytes < self.limit;
        drop(sent);
        if freed {
            self.room.notify_one();
        }
    }

    /// Writer, on a new transport: the Sequence id to announce (the first unacknowledged
    /// message's, or the next one's when all are acknowledged) and the messages to send again.
    pub(super) fn replay(&self) -> (u64, Vec<Bytes>) {
        let sent = self.sent();
        let first = sent.frames.front().map_or(sent.total + 1, |(id, _)| *id);
        let frames = sent.frames.iter().map(|(_, frame)| frame.clone()).collect();
        (first, frames)
    }

    /// Writer: the Ack owed to the client, if it has sent something since `last` was acked.
    pub(super) fn ack_due(&self, last: &mut u64) -> Option<u64> {
        let latest = self.latest_received.load(Ordering::Acquire);
        (latest > *last).then(|| {
            *last = latest;
            latest
        })
    }
}

/// The reader's side: the shared state and its own count of what the client sent.
#[derive(Debug)]
pub(super) struct Resumable {
    pub(super) shared: std::sync::Arc<Stateful>,
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
            message => Ok(self.inbound.is_new(message, &self.shared)),
        }
    }
}

/// The reader's count of the client's trackable messages.
#[derive(Debug)]
pub(super) struct Inbound {
    /// The id the client's next trackable message has.
    next: u64,
    /// The highest id processed.
    latest: u64,
}

impl Default for Inbound {
    fn default() -> Self {
        Inbound { next: 1, latest: 0 }
    }
}

impl Inbound {
    /// Whether `message` is new (to be processed) rather than a resent duplicate; counts it.
    pub(super) fn is_new(&mut self, message: &HubMessage, shared: &Stateful) -> bool {
        if !trackable(message) {
            return true;
        }
        let id = self.next;
        self.next += 1;
        if id <= self.latest {
            return false;
        }
        self.latest = id;
        shared.latest_received.store(id, Ordering::Release);
        true
    }

    /// The client's Sequence after it reattached: its next message has id `sequence_id`.
    pub(super) fn restart_at(&mut self, sequence_id: u64) -> Result<(), ProtocolError> {
        if sequence_id > self.next {
            return Err(ProtocolError::SequenceAhead);
        }
        self.next = sequence_id;
        Ok(())
    }
}

/// Whether a message counts in the sequence (HubProtocol.md, "Stateful Reconnect").
fn trackable(message: &HubMessage) -> bool {
    matches!(
        message,
        HubMessage::Invocation(_)
            | HubMessage::StreamItem(_)
            | HubMessage::Completion(_)
            | HubMessage::StreamInvocation(_)
            | HubMessage::CancelInvocation(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Ack, CancelInvocation};

    fn frame(size: usize) -> Bytes {
        Bytes::from(vec![b'x'; size])
    }

    #[test]
    fn what_is_acknowledged_is_forgotten_and_the_rest_replayed_from_its_id() {
        let stateful = Stateful::new(100);
        assert_eq!(stateful.replay(), (1, Vec::new()));
        for size in [10, 20, 30] {
            stateful.record(&frame(size));
        }
        stateful.acknowledge(1);
        let (first, frames) = stateful.replay();
        assert_eq!(first, 2);
        assert_eq!(frames.iter().map(Bytes::len).collect::<Vec<_>>(), [20, 30]);
        stateful.acknowledge(3);
        assert_eq!(stateful.replay(), (4, Vec::new()));
    }

    #[tokio::test]
    async fn the_writer_waits_for_an_ack_when_the_limit_is_reached() {
        let stateful = std::sync::Arc::new(Stateful::new(25));
        stateful.record(&frame(20));
        assert!(stateful.has_room());
        stateful.record(&frame(20));
        assert!(!stateful.has_room());
        let waiting = tokio::spawn({
            let stateful = std::sync::Arc::clone(&stateful);
            async move { stateful.room().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        stateful.acknowledge(1);
        waiting.await.unwrap();
        assert!(stateful.has_room());
    }

    #[test]
    fn resent_messages_are_dropped_and_a_sequence_ahead_is_refused() {
        let shared = Stateful::new(100);
        let mut inbound = Inbound::default();
        let cancel = HubMessage::CancelInvocation(CancelInvocation {
            headers: Default::default(),
            invocation_id: "1".to_owned(),
        });
        let ack = HubMessage::Ack(Ack { sequence_id: 1 });
        assert!(inbound.is_new(&cancel, &shared));
        assert!(inbound.is_new(&cancel, &shared));
        assert!(inbound.is_new(&ack, &shared), "not counted");
        let mut last = 0;
        assert_eq!(shared.ack_due(&mut last), Some(2));
        assert_eq!(shared.ack_due(&mut last), None);
        // The client lost our Ack and sends both again, then one new message.
        inbound.restart_at(1).unwrap();
        assert!(!inbound.is_new(&cancel, &shared));
        assert!(!inbound.is_new(&cancel, &shared));
        assert!(inbound.is_new(&cancel, &shared));
        assert_eq!(shared.ack_due(&mut last), Some(3));
        assert_eq!(inbound.restart_at(5), Err(ProtocolError::SequenceAhead));
    }
}
