//! Bursts: one WebSocket message or POST body full of broadcasts reaches every client that keeps
//! reading, whole and in order, on every transport (clients that stop reading: `slow_clients`).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use signalr_runtime::HubOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// How long every reader together may take to receive a whole burst; a debug build needs well
/// under a second for 10 000 records, so only a lost or stuck message gets near it.
const BURST_PATIENCE: Duration = Duration::from_secs(8);

/// The transports a test client can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    WebSockets,
    ServerSentEvents,
    LongPolling,
}

/// One connection to `/hub`, past its handshake. Its transport is read all the time, as fast as
/// it can be, by a task of its own: every hub message received, without its record separator,
/// comes through `records`, which ends when the transport does.
struct Client {
    name: String,
    outgoing: Outgoing,
    records: mpsc::UnboundedReceiver<String>,
}

enum Outgoing {
    WebSocket(SplitSink<Ws, Message>),
    /// POSTs to the connection of this token.
    Http(SocketAddr, String),
}

impl Client {
    async fn open(addr: SocketAddr, via: Via, name: &str) -> Client {
        let (records, received) = mpsc::unbounded_channel();
        let outgoing = match via {
            Via::WebSockets => {
                let (sink, stream) = connect_ready(addr).await.split();
                tokio::spawn(read_websocket(stream, records));
                Outgoing::WebSocket(sink)
            }
            Via::ServerSentEvents => {
                let token = negotiate_token(addr, "/hub").await;
                let events = event_stream(addr, &token).await;
                tokio::spawn(read_events(events, records));
                post_taken(addr, &token, HANDSHAKE).await;
                Outgoing::Http(addr, token)
            }
            Via::LongPolling => {
                let token = negotiate_token(addr, "/hub").await;
                assert_eq!(
                    poll(addr, &token).await,
                    (200, String::new()),
                    "the first poll returns at once"
                );
                post_taken(addr, &token, HANDSHAKE).await;
                tokio::spawn(read_polls(addr, token.clone(), records));
                Outgoing::Http(addr, token)
            }
        };
        let mut client = Client {
            name: format!("{name} ({via:?})"),
            outgoing,
            records: received,
        };
        // connect_ready has read the WebSocket's handshake answer already; the HTTP
        // transports' answer arrives as the first record. Once a client has it, it is
        // registered and receives broadcasts.
        if via != Via::WebSockets {
            assert_eq!(client.next_record().await, Some("{}".to_owned()));
        }
        client
    }

    /// Sends `text` as one WebSocket message or one POST body.
    async fn send(&mut self, text: &str) {
        match &mut self.outgoing {
            Outgoing::WebSocket(sink) => {
                tokio::time::timeout(PATIENCE, sink.send(Message::text(text)))
                    .await
                    .expect("the server did not take the message")
                    .unwrap();
            }
            Outgoing::Http(addr, token) => post_taken(*addr, token, text).await,
        }
    }

    async fn next_record(&mut self) -> Option<String> {
        tokio::time::timeout(PATIENCE, self.records.recv())
            .await
            .unwrap_or_else(|_| panic!("{}: nothing received", self.name))
    }

    /// Whether `Notified("m0")` to `Notified("m{count - 1}")` arrive before `deadline`, in
    /// order, with nothing in between but Pings; if not, what went wrong.
    async fn receive_burst(&mut self, count: usize, deadline: Instant) -> Result<(), String> {
        let name = &self.name;
        let mut next = 0;
        while next < count {
            let Ok(record) = tokio::time::timeout_at(deadline, self.records.recv()).await else {
                return Err(format!("{name}: only {next} of {count} messages arrived"));
            };
            let Some(record) = record else {
                return Err(format!(
                    "{name}: the transport ended after {next} of {count} messages"
                ));
            };
            if record == notified(next) {
                next += 1;
            } else if record != "{\"type\":6}" {
                return Err(format!(
                    "{name}: after {next} of {count} messages, {record} instead of m{next}"
                ));
            }
        }
        Ok(())
    }

    /// Asserts that the next record, Pings aside, is `expected`.
    async fn expect(&mut self, expected: &str) {
        loop {
            match self.next_record().await {
                Some(ping) if ping == "{\"type\":6}" => {}
                Some(record) => {
                    assert_eq!(record, expected, "{}", self.name);
                    return;
                }
                None => panic!("{}: the transport ended instead of {expected}", self.name),
            }
        }
    }
}

/// Asserts that every client receives the whole burst of `count` messages before `deadline`;
/// reports each client that does not.
async fn expect_bursts(
    clients: impl IntoIterator<Item = &mut Client>,
    count: usize,
    deadline: Instant,
) {
    let mut failures = Vec::new();
    for client in clients {
        if let Err(failure) = client.receive_burst(count, deadline).await {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What every client receives for the burst's record `i`.
fn notified(i: usize) -> String {
    format!("{{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"m{i}\"]}}")
}

/// `count` non-blocking invocations of `Shout("m{i}")` (to every connection, the sender's own
/// included), each followed by the record separator.
fn burst(count: usize) -> String {
    (0..count)
        .map(|i| format!("{{\"type\":1,\"target\":\"Shout\",\"arguments\":[\"m{i}\"]}}\u{1e}"))
        .collect()
}

/// The records of a WebSocket until it closes.
async fn read_websocket(mut stream: SplitStream<Ws>, records: mpsc::UnboundedSender<String>) {
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Binary(bytes) => String::from_utf8(bytes.to_vec()).unwrap(),
            Message::Close(_) => return,
            _ => continue,
        };
        if !forward(&text, &records) {
            return;
        }
    }
}

/// Sends each record of `text` on; `false` once nobody listens.
fn forward(text: &str, records: &mpsc::UnboundedSender<String>) -> bool {
    text.split('\u{1e}')
        .filter(|record| !record.is_empty())
        .all(|record| records.send(record.to_owned()).is_ok())
}

/// Polls until the server says the connection has ended (or the test stops listening).
async fn read_polls(addr: SocketAddr, token: String, records: mpsc::UnboundedSender<String>) {
    while !records.is_closed() {
        let (status, body) = poll(addr, &token).await;
        if status != 200 || !forward(&body, &records) {
            return;
        }
    }
}

/// The records of an SSE response (chunked, as an HTTP/1.1 response of unknown length is) until
/// it ends.
async fn read_events(mut stream: TcpStream, records: mpsc::UnboundedSender<String>) {
    let mut raw = Vec::new();
    let mut body = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut ended = false;
    while !ended {
        // Whole chunks out of `raw`, into `body`, up to the last one (of size 0).
        while let Some(line_end) = find(&raw, b"\r\n") {
            let size = std::str::from_utf8(&raw[..line_end]).unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            let end = line_end + 2 + size + 2;
            if size == 0 {
                ended = true;
                break;
            }
            if raw.len() < end {
                break;
            }
            body.extend_from_slice(&raw[line_end + 2..end - 2]);
            raw.drain(..end);
        }
        // Whole events out of `body`: their `data:` lines are the payload; `:` lines are
        // comments (the opening one).
        while let Some(event_end) = find(&body, b"\r\n\r\n") {
            let event = String::from_utf8(body.drain(..event_end + 4).collect()).unwrap();
            let payload: Vec<&str> = event
                .split("\r\n")
                .filter_map(|line| line.strip_prefix("data: "))
                .collect();
            if !forward(&payload.join("\n"), &records) {
                return;
            }
        }
        if !ended {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => ended = true,
                Ok(read) => raw.extend_from_slice(&buf[..read]),
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// POSTs `body`, which must be taken (200).
async fn post_taken(addr: SocketAddr, token: &str, body: &str) {
    let path = format!("/hub?id={token}");
    let (status, answer) = http_with(addr, "POST", &path, &[], body.as_bytes()).await;
    assert_eq!(status, 200, "POST of {} bytes: {answer}", body.len());
}

/// Opens an SSE stream; returns it after the response headers.
async fn event_stream(addr: SocketAddr, token: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /hub?id={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Byte by byte, so that nothing of the body is read with the head.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(PATIENCE, stream.read_u8())
            .await
            .expect("no response head")
            .unwrap();
        head.push(byte);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    stream
}

/// The server of these tests: Long Polling's polls return within a second when there is
/// nothing to say, so that a poll never outlasts a test's patience.
async fn serve_for_bursts() -> SocketAddr {
    serve(HubOptions::default().long_poll_timeout(Duration::from_secs(1))).await
}

/// Connects the readers (each one `via` its transport), then a sender `via` the sender's
/// transport, which sends a burst of `count` broadcasts in one WebSocket message or POST body.
/// Everyone, the sender included (the broadcasts are to all), must receive every message in
/// order, and the sender must still be connected afterwards.
async fn a_burst_reaches_every_reader(sender: Via, readers: &[Via], count: usize) {
    let addr = serve_for_bursts().await;
    let mut clients = Vec::new();
    for (i, &via) in readers.iter().enumerate() {
        clients.push(Client::open(addr, via, &format!("reader {i}")).await);
    }
    let mut sender = Client::open(addr, sender, "sender").await;
    let started = Instant::now();
    sender.send(&burst(count)).await;
    let deadline = started + BURST_PATIENCE;
    expect_bursts(clients.iter_mut().chain([&mut sender]), count, deadline).await;
    sender
        .send("{\"type\":1,\"invocationId\":\"after\",\"target\":\"Echo\",\"arguments\":[\"still here\"]}\u{1e}")
        .await;
    sender
        .expect("{\"type\":3,\"invocationId\":\"after\",\"result\":\"still here\"}")
        .await;
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn a_burst_of_1100_records_in_one_websocket_message_reaches_every_reader() {
    a_burst_reaches_every_reader(Via::WebSockets, &[Via::WebSockets], 1100).await;
}

#[tokio::test]
async fn a_burst_of_10000_records_in_one_websocket_message_reaches_every_reader() {
    // About 500 KB: within the WebSocket layer's limit of one message (1 MiB by default).
    a_burst_reaches_every_reader(Via::WebSockets, &[Via::WebSockets], 10_000).await;
}

#[tokio::test]
async fn a_burst_of_1100_records_in_one_server_sent_events_post_reaches_every_reader() {
    let readers = [Via::WebSockets, Via::ServerSentEvents];
    a_burst_reaches_every_reader(Via::ServerSentEvents, &readers, 1100).await;
}

#[tokio::test]
async fn a_burst_of_10000_records_in_one_server_sent_events_post_reaches_every_reader() {
    // About 500 KB: within the limit of one POST body (1 MiB).
    let readers = [Via::WebSockets, Via::ServerSentEvents];
    a_burst_reaches_every_reader(Via::ServerSentEvents, &readers, 10_000).await;
}

#[tokio::test]
async fn a_burst_of_1100_records_in_one_long_polling_post_reaches_every_reader() {
    let readers = [Via::WebSockets, Via::LongPolling];
    a_burst_reaches_every_reader(Via::LongPolling, &readers, 1100).await;
}

#[tokio::test]
async fn a_burst_of_10000_records_in_one_long_polling_post_reaches_every_reader() {
    let readers = [Via::WebSockets, Via::LongPolling];
    a_burst_reaches_every_reader(Via::LongPolling, &readers, 10_000).await;
}
