//! Stateful reconnect's sequence bookkeeping, the same on both ends of a connection
//! (HubProtocol.md, "Stateful Reconnect"): the peer's trackable messages counted so that
//! resent ones are dropped, and one's own kept until the peer acknowledges them.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::error::ProtocolError;
use crate::protocol::HubMessage;

/// The count of the peer's trackable messages.
#[derive(Debug)]
pub(crate) struct Inbound {
    /// The id the peer's next trackable message has.
    next: u64,
    /// The highest id processed: what an Ack says.
    latest: u64,
}

impl Default for Inbound {
    fn default() -> Self {
        Inbound { next: 1, latest: 0 }
    }
}

impl Inbound {
    /// Whether `message` is new (to be processed) rather than a resent duplicate; counts it.
    pub(crate) fn is_new(&mut self, message: &HubMessage) -> bool {
        if !message.is_trackable() {
            return true;
        }
        let id = self.next;
        self.next += 1;
        if id <= self.latest {
            return false;
        }
        self.latest = id;
        true
    }

    /// The highest id processed.
    pub(crate) fn latest(&self) -> u64 {
        self.latest
    }

    /// The peer's Sequence after a reattach: its next message has id `sequence_id`.
    pub(crate) fn restart_at(&mut self, sequence_id: u64) -> Result<(), ProtocolError> {
        if sequence_id > self.next {
            return Err(ProtocolError::SequenceAhead);
        }
        self.next = sequence_id;
        Ok(())
    }
}

/// One's own trackable messages, serialized, until the peer acknowledges them; oldest first.
#[derive(Debug, Default)]
pub(crate) struct Unacknowledged {
    frames: VecDeque<(u64, Bytes)>,
    bytes: usize,
    /// Trackable messages sent so far: the last one's sequence id.
    total: u64,
}

impl Unacknowledged {
    /// `frame` (one trackable message) is being sent: it gets the next id.
    pub(crate) fn record(&mut self, frame: Bytes) {
        self.total += 1;
        self.bytes += frame.len();
        self.frames.push_back((self.total, frame));
    }

    /// Bytes kept.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The peer has every message up to `sequence_id`.
    pub(crate) fn acknowledge(&mut self, sequence_id: u64) {
        while let Some((id, frame)) = self.frames.front() {
            if *id > sequence_id {
                break;
            }
            self.bytes -= frame.len();
            self.frames.pop_front();
        }
    }

    /// For a new transport: the Sequence id to announce (the first unacknowledged message's,
    /// or the next one's when all are acknowledged) and the messages to send again.
    pub(crate) fn replay(&self) -> (u64, Vec<Bytes>) {
        let first = self.frames.front().map_or(self.total + 1, |(id, _)| *id);
        let frames = self.frames.iter().map(|(_, frame)| frame.clone()).collect();
        (first, frames)
    }
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
        let mut sent = Unacknowledged::default();
        assert_eq!(sent.replay(), (1, Vec::new()));
        for size in [10, 20, 30] {
            sent.record(frame(size));
        }
        sent.acknowledge(1);
        assert_eq!(sent.bytes(), 50);
        let (first, frames) = sent.replay();
        assert_eq!(first, 2);
        assert_eq!(frames.iter().map(Bytes::len).collect::<Vec<_>>(), [20, 30]);
        sent.acknowledge(3);
        assert_eq!(sent.replay(), (4, Vec::new()));
        assert_eq!(sent.bytes(), 0);
    }

    #[test]
    fn resent_messages_are_dropped_and_a_sequence_ahead_is_refused() {
        let mut inbound = Inbound::default();
        let cancel = HubMessage::CancelInvocation(CancelInvocation {
            headers: Default::default(),
            invocation_id: "1".to_owned(),
        });
        let ack = HubMessage::Ack(Ack { sequence_id: 1 });
        assert!(inbound.is_new(&cancel));
        assert!(inbound.is_new(&cancel));
        assert!(inbound.is_new(&ack), "not counted");
        assert_eq!(inbound.latest(), 2);
        // The peer lost our Ack and sends both again, then one new message.
        inbound.restart_at(1).unwrap();
        assert!(!inbound.is_new(&cancel));
        assert!(!inbound.is_new(&cancel));
        assert!(inbound.is_new(&cancel));
        assert_eq!(inbound.latest(), 3);
        assert_eq!(inbound.restart_at(5), Err(ProtocolError::SequenceAhead));
    }
}
