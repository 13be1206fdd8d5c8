//! The load client: its own lower-level SignalR client rather than the Rust client of issue #9.
//!
//! A benchmark client must cost the server's neighbour core as little as possible and be in
//! exact control of what goes on the wire: ten thousand idle connections with small buffers,
//! a chosen number of invocations in flight, fire-and-forget sends at a fixed schedule, and no
//! decoding beyond the message type and the load client's own timestamp. A general-purpose
//! client (typed results, reconnects, a task per connection for keep-alive) would measure itself.

pub(crate) mod codec;
pub(crate) mod http;
pub(crate) mod service;
pub(crate) mod ws;

pub(crate) use codec::{Call, Incoming, Proto};

/// Loopback source addresses the load client spreads its connections over.
const SOURCES: u8 = 32;

/// Which of [`SOURCES`] the next connection comes from.
static NEXT_SOURCE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// A TCP connection to `addr` from one of several loopback source addresses (127.0.0.2 to
/// 127.0.0.33, in turn). Real clients come from many addresses; from one, the 28 000 ephemeral
/// ports run short after a few storms (a hub connection takes two, negotiate and WebSocket, and
/// each stays in TIME_WAIT for a minute on the client), and the kernel's search for a free port
/// then slows connecting down by hundreds of milliseconds, in the client, whatever the server.
pub(crate) async fn connect_tcp(
    addr: std::net::SocketAddr,
) -> std::io::Result<tokio::net::TcpStream> {
    let turn = NEXT_SOURCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % SOURCES;
    let source = std::net::Ipv4Addr::new(127, 0, 0, 2 + turn);
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::from((source, 0)))?;
    let stream = socket.connect(addr).await?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}
