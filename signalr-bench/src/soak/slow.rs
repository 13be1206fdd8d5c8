//! Slow consumers: connections that ask for far more than their socket buffers hold and stop
//! reading. The server must cut each off (WebSockets and Server-Sent Events: its send timeout;
//! Long Polling: no poll within the disconnect timeout) and go on with everyone else.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::timeout;

use super::link::Transport;
use crate::client::http::{self, Http};
use crate::client::{Call, ws};

/// One echo's payload: half the hub's largest message.
const PAYLOAD: usize = 16 * 1024;

/// At most this much is asked for: far beyond loopback socket buffers.
const MOST: usize = 64 * 1024 * 1024;

/// A send that takes longer than this means the server stopped reading: asking stops.
const STUCK: Duration = Duration::from_secs(2);

/// How long the consumer then stays silent: the server's send timeout and disconnect timeout
/// (10 s and 15 s by default) and some.
pub(crate) const SILENCE: Duration = Duration::from_secs(20);

/// What one slow consumer found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    /// Bytes of echoes it asked for before the server stopped taking them.
    pub(crate) asked: usize,
    /// Whether the server had ended the connection after [`SILENCE`].
    pub(crate) cut_off: bool,
}

/// Runs one slow consumer over `transport`.
pub(crate) async fn run(addr: SocketAddr, transport: Transport) -> Result<Outcome, String> {
    let text = "x".repeat(PAYLOAD);
    let mut asked = 0;
    let mut id = 0;
    match transport {
        Transport::WsJson | Transport::WsMsgPack => {
            let (mut tx, mut rx) = ws::connect(addr, transport.proto(), None).await?;
            while asked < MOST {
                id += 1;
                match timeout(STUCK, tx.call(Call::Echo(&text), Some(id))).await {
                    Ok(Ok(())) => asked += PAYLOAD,
                    _ => break,
                }
            }
            tokio::time::sleep(SILENCE).await;
            // Now read: what the socket buffers held, then the end if it was cut off.
            let drained = timeout(Duration::from_secs(10), async {
                while rx.next_frame().await.is_some() {}
            })
            .await;
            Ok(Outcome {
                asked,
                cut_off: drained.is_ok(),
            })
        }
        Transport::Sse | Transport::LongPolling => {
            let token = http::negotiate(addr).await?;
            let query = format!("?id={token}");
            // Held and never read.
            let mut downlink = Http::connect(addr).await?;
            let _events = if transport == Transport::Sse {
                Some(downlink.events(&token).await?)
            } else {
                let (status, _) = downlink.request("GET", &query, "", b"").await?;
                if status != 200 {
                    return Err(format!("first poll answered {status}"));
                }
                None
            };
            let mut post = Http::connect(addr).await?;
            let handshake = crate::client::Proto::Json.handshake().unwrap_or_default();
            post.request("POST", &query, "", handshake.as_bytes())
                .await?;
            let mut frame = Vec::new();
            while asked < MOST {
                id += 1;
                crate::client::Proto::Json.encode(Call::Echo(&text), Some(id), &mut frame);
                match timeout(STUCK, post.request("POST", &query, "", &frame)).await {
                    Ok(Ok((200, _))) => asked += PAYLOAD,
                    _ => break,
                }
            }
            tokio::time::sleep(SILENCE).await;
            // A connection the server has ended answers 404 to a POST.
            let mut check = Http::connect(addr).await?;
            let status = timeout(
                Duration::from_secs(10),
                check.request("POST", &query, "", b"{\"type\":6}\x1e"),
            )
            .await;
            let cut_off = !matches!(status, Ok(Ok((200, _))));
            Ok(Outcome { asked, cut_off })
        }
    }
}
