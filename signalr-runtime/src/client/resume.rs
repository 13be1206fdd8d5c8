//! Stateful reconnect on the client's side (`with_stateful_reconnect`): what the session keeps
//! to take a new WebSocket in place of one that dropped, and to replay what the server missed.

use bytes::Bytes;

use super::ClientError;
use super::net::Net;
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
    /// The connection's cookies (a load balancer's affinity cookie brings the next WebSocket
    /// to the same server).
    net: Net,
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
        net: Net,
    ) -> Self {
        Resume {
            url,
            headers,
            net,
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
                // The server resends what it had no Ack for, perhaps because the Ack was lost
                // with the old WebSocket: it is owed one again, even if nothing new comes.
                self.acked = 0;
                Ok(false)
            }
            // A Close counts whenever it comes.
            HubMessage::Close(_) => Ok(true),
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
            transport::open(Transport::WebSockets, &self.url, &self.headers, &self.net).await?;
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
        Resume::new(url, Vec::new(), Protocol::Json, 100, Net::default())
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

    /// The first frame the client sends on its next WebSocket, with `protocol`, after it sent
    /// three trackable messages and the server acknowledged the first.
    async fn reattach_frame(protocol: Protocol, messages: [&[u8]; 3]) -> Vec<u8> {
        use futures_util::StreamExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            socket.next().await.unwrap().unwrap().into_data().to_vec()
        });
        let url = HubUrl::parse(&format!("http://127.0.0.1:{port}/hub?id=x")).unwrap();
        let mut resume = Resume::new(url, Vec::new(), protocol, 1000, Net::default());
        let done = HubMessage::Completion(Completion::new(
            "1".to_owned(),
            crate::protocol::Outcome::Void,
        ));
        for message in messages {
            resume.record(&done, message);
        }
        assert!(
            !resume
                .admit(&HubMessage::Ack(Ack { sequence_id: 1 }))
                .unwrap()
        );
        let _transport = resume.reattach().await.unwrap();
        server.await.unwrap()
    }

    #[tokio::test]
    async fn a_reattach_sends_the_sequence_then_what_the_server_did_not_acknowledge() {
        // The bytes the official clients read (HubProtocol.md's examples).
        let json = reattach_frame(Protocol::Json, [b"A\x1e", b"B\x1e", b"C\x1e"]).await;
        assert_eq!(json, b"{\"type\":9,\"sequenceId\":2}\x1eB\x1eC\x1e");
        let msgpack = reattach_frame(Protocol::MessagePack, [b"\x01A", b"\x01B", b"\x01C"]).await;
        assert_eq!(msgpack, b"\x03\x92\x09\x02\x01B\x01C");
    }

    #[test]
    fn the_ack_names_the_last_message_received() {
        let mut resume = resume();
        let done = HubMessage::Completion(Completion::new(
            "1".to_owned(),
            crate::protocol::Outcome::Void,
        ));
        for _ in 0..3 {
            assert!(resume.admit(&done).unwrap());
        }
        let ack = resume.ack_due().unwrap();
        let mut json = Vec::new();
        Protocol::Json.write(&ack, &mut json).unwrap();
        assert_eq!(json, b"{\"type\":8,\"sequenceId\":3}\x1e");
        let mut msgpack = Vec::new();
        Protocol::MessagePack.write(&ack, &mut msgpack).unwrap();
        assert_eq!(msgpack, b"\x03\x92\x08\x03");
    }
}
