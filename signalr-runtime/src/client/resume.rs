//! Stateful reconnect on the client's side (`with_stateful_reconnect`): what the session keeps
//! to take a new WebSocket in place of one that dropped, and to replay what the server missed.

use bytes::Bytes;

use super::ClientError;
use super::transport::{self, Sink, Source};
use super::url::HubUrl;
use crate::Transport;
use crate::protocol::{Ack, HubMessage, Protocol, Sequence};
use crate::sequence::{Inbound, Unacknowledged};

/// A stateful-reconnect session's bookkeeping.
#[derive(Debug)]
pub(crate) struct Resume {
    /// The connection's WebSocket URL (with its token) and headers, for the next WebSocket.
    url: HubUrl,
    headers: Vec<(axum::http::HeaderName, String)>,
    protocol: Protocol,
    sent: Unacknowledged,
    /// Bytes of unacknowledged messages beyond which nothing more is sent.
    limit: usize,
    inbound: Inbound,
    /// The last Ack sent.
    acked: u64,
    /// After a reattach, nothing from the server counts until its Sequence (as the official
    /// clients do): what came before belongs to the old WebSocket.
    awaiting_sequence: bool,
}

impl Resume {
    pub(crate) fn new(
        url: HubUrl,
        headers: Vec<(axum::http::HeaderName, String)>,
        protocol: Protocol,
        limit: usize,
    ) -> Self {
        Resume {
            url,
            headers,
            protocol,
            sent: Unacknowledged::default(),
            limit,
            inbound: Inbound::default(),
            acked: 0,
            awaiting_sequence: false,
        }
    }

    /// Whether more may be sent before the server acknowledges some.
    pub(crate) fn has_room(&self) -> bool {
        self.sent.bytes() < self.limit
    }

    /// `frame` holds `message`, about to be sent: a trackable one is kept until acknowledged.
    pub(crate) fn record(&mut self, message: &HubMessage, frame: &[u8]) {
        if message.is_trackable() && !frame.is_empty() {
            self.sent.record(Bytes::copy_from_slice(frame));
        }
    }

    /// What a message from the server means here: `Ok(false)` when it is not for the session
    /// (an Ack, a Sequence, a resent duplicate, or anything before the Sequence that follows a
    /// reattach).
    pub(crate) fn admit(&mut self, message: &HubMessage) -> Result<bool, ClientError> {
        match message {
            HubMessage::Sequence(sequence) => {
                self.inbound.restart_at(sequence.sequence_id)?;
                self.awaiting_sequence = false;
                Ok(false)
            }
            _ if self.awaiting_sequence => Ok(false),
            HubMessage::Ack(ack) => {
                self.sent.acknowledge(ack.sequence_id);
                Ok(false)
            }
            message => Ok(self.inbound.is_new(message)),
        }
    }

    /// The Ack owed to the server, if it sent something since the last one.
    pub(crate) fn ack_due(&mut self) -> Option<HubMessage> {
        let latest = self.inbound.latest();
        (latest > self.acked).then(|| {
            self.acked = latest;
            HubMessage::Ack(Ack {
                sequence_id: latest,
            })
        })
    }

    /// Opens the next WebSocket to the same connection (no handshake: the connection goes on)
    /// and sends the Sequence and every message the server has not acknowledged over it.
    pub(crate) async fn reattach(&mut self) -> Result<(Sink, Source), ClientError> {
        let (mut sink, source) =
            transport::open(Transport::WebSockets, &self.url, &self.headers).await?;
        let (sequence_id, frames) = self.sent.replay();
        let mut frame = Vec::new();
        self.protocol
            .write(&HubMessage::Sequence(Sequence { sequence_id }), &mut frame)?;
        for message in frames {
            frame.extend_from_slice(&message);
        }
        sink.send(Bytes::from(frame), self.protocol.transfer_format())
            .await?;
        self.awaiting_sequence = true;
        Ok((sink, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Completion;

    fn resume() -> Resume {
        let url = HubUrl::parse("http://127.0.0.1:1/hub?id=x").unwrap();
        Resume::new(url, Vec::new(), Protocol::Json, 100)
    }

    #[test]
    fn after_a_reattach_nothing_counts_until_the_servers_sequence() {
        let mut resume = resume();
        let done = HubMessage::Completion(Completion::new(
            "1".to_owned(),
            crate::protocol::Outcome::Void,
        ));
        assert!(resume.admit(&done).unwrap());
        assert!(matches!(
            resume.ack_due(),
            Some(HubMessage::Ack(Ack { sequence_id: 1 }))
        ));
        assert!(resume.ack_due().is_none());
        resume.awaiting_sequence = true;
        assert!(!resume.admit(&done).unwrap(), "before the Sequence");
        let sequence = HubMessage::Sequence(Sequence { sequence_id: 1 });
        assert!(!resume.admit(&sequence).unwrap());
        assert!(!resume.admit(&done).unwrap(), "a duplicate of message 1");
        assert!(resume.admit(&done).unwrap(), "message 2");
    }

    #[test]
    fn only_trackable_messages_are_kept_and_acks_free_them() {
        let mut resume = resume();
        resume.record(&HubMessage::Ping, b"{\"type\":6}\x1e");
        assert!(resume.has_room());
        let done = HubMessage::Completion(Completion::new(
            "1".to_owned(),
            crate::protocol::Outcome::Void,
        ));
        resume.record(&done, &[b'x'; 60]);
        resume.record(&done, &[b'x'; 60]);
        assert!(!resume.has_room());
        assert!(
            !resume
                .admit(&HubMessage::Ack(Ack { sequence_id: 1 }))
                .unwrap()
        );
        assert!(resume.has_room());
    }
}
