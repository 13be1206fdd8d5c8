//! Echo over Long Polling and Server-Sent Events: one invocation in flight per connection,
//! each sent with a POST and answered through a poll or the event stream.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Window;
use crate::child::Server;
use crate::client::codec::payload;
use crate::client::http::{self, EventStream, Http};
use crate::client::{Call, Incoming, Proto};
use crate::stats::{Latencies, Sample};

const PAYLOAD: usize = 32;

/// An HTTP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpTransport {
    /// Long Polling.
    LongPolling,
    /// Server-Sent Events.
    ServerSentEvents,
}

impl HttpTransport {
    /// The name in the table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            HttpTransport::LongPolling => "longpolling",
            HttpTransport::ServerSentEvents => "sse",
        }
    }
}

/// Where a connection's server-to-client messages come from.
enum Downlink {
    Polls(Http),
    Events(EventStream),
}

/// One connection: its token, a kept-alive connection for POSTs, and its downlink.
struct Link {
    query: String,
    post: Http,
    down: Downlink,
}

impl Link {
    async fn open(addr: SocketAddr, transport: HttpTransport) -> Result<Link, String> {
        let token = http::negotiate(addr).await?;
        let query = format!("?id={token}");
        let down = match transport {
            HttpTransport::LongPolling => {
                let mut poll = Http::connect(addr).await?;
                // The first poll only starts the connection.
                let (status, _) = poll.request("GET", &query, "", b"").await?;
                if status != 200 {
                    return Err(format!("first poll answered {status}"));
                }
                Downlink::Polls(poll)
            }
            HttpTransport::ServerSentEvents => {
                Downlink::Events(Http::connect(addr).await?.events(&token).await?)
            }
        };
        let mut link = Link {
            post: Http::connect(addr).await?,
            query,
            down,
        };
        let handshake = Proto::Json.handshake().unwrap_or_default();
        link.send(handshake.as_bytes()).await?;
        let answer = link.receive().await?;
        if !answer.starts_with(b"{}\x1e") {
            return Err(format!(
                "handshake refused: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
        Ok(link)
    }

    async fn send(&mut self, body: &[u8]) -> Result<(), String> {
        let (status, _) = self
            .post
            .request("POST", &self.query, "Content-Type: text/plain\r\n", body)
            .await?;
        if status != 200 {
            return Err(format!("POST answered {status}"));
        }
        Ok(())
    }

    /// The next non-empty batch of frames from the server.
    async fn receive(&mut self) -> Result<Vec<u8>, String> {
        loop {
            let data = match &mut self.down {
                Downlink::Polls(poll) => {
                    let (status, body) = poll.request("GET", &self.query, "", b"").await?;
                    if status != 200 {
                        return Err(format!("poll answered {status}"));
                    }
                    body
                }
                Downlink::Events(events) => events.next().await?,
            };
            if !data.is_empty() {
                return Ok(data);
            }
        }
    }
}

pub(super) async fn run(
    server: &Server,
    transport: HttpTransport,
    conns: usize,
    duration: Duration,
) -> Result<Sample, String> {
    let mut links = Vec::with_capacity(conns);
    for _ in 0..conns {
        links.push(Link::open(server.addr, transport).await?);
    }
    let window = Window::open(server);
    let deadline = window.start + duration;
    let tasks: Vec<_> = links
        .into_iter()
        .map(|link| tokio::spawn(echo(link, deadline)))
        .collect();
    let mut latencies = Latencies::default();
    let mut count = 0;
    for task in tasks {
        let (answered, times) = task.await.map_err(|e| e.to_string())??;
        count += answered;
        latencies.merge(times);
    }
    let (elapsed, cpu) = window.close(server);
    Ok(Sample::throughput(
        count,
        elapsed,
        cpu,
        latencies,
        server.peak(),
        0,
    ))
}

async fn echo(mut link: Link, deadline: Instant) -> Result<(u64, Latencies), String> {
    let mut text = String::new();
    payload(0, PAYLOAD, &mut text);
    let mut frame = Vec::new();
    let mut latencies = Latencies::default();
    let mut answered = 0_u64;
    let mut id = 0_u64;
    while Instant::now() < deadline {
        id += 1;
        Proto::Json.encode(Call::Echo(&text), Some(id), &mut frame);
        let sent = Instant::now();
        link.send(&frame).await?;
        let mut done = false;
        while !done {
            let data = link.receive().await?;
            Proto::Json.scan(&data, |message| done |= message == Incoming::Completion);
        }
        latencies.record(sent.elapsed());
        answered += 1;
    }
    Ok((answered, latencies))
}
