//! `signalr-bench serve raw|hub`: the server process that the suite measures.
//!
//! It runs in its own process so that its CPU time and memory can be read from `/proc`, apart
//! from the load client's. It prints `listening on 127.0.0.1:PORT` once it accepts connections
//! (a hub on the Redis backplane: once Redis has answered too; a hub served through a service
//! connects to it in the background, and the service answers 503 until it has).

mod hub;
mod raw;

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

/// Which server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The raw tokio-tungstenite baseline.
    Raw,
    /// The SignalR hub under test.
    Hub,
}

impl Kind {
    /// The name used on the command line and in the table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Raw => "raw",
            Kind::Hub => "hub",
        }
    }
}

/// How the hub reaches beyond its own process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScaleOut {
    /// It holds its connections itself.
    None,
    /// On the Redis backplane at this URL.
    Redis(String),
    /// Served through the SignalR service of this connection string.
    Service(String),
}

/// Runs the server until the process is killed; both kinds get the same runtime. The hub
/// scales out as `scale_out` says, and records its metrics in a Prometheus recorder with
/// `metrics`.
pub(crate) fn run(
    kind: Kind,
    threads: usize,
    scale_out: &ScaleOut,
    metrics: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    if metrics {
        metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    }
    runtime.block_on(async move {
        // Connected before the address is printed, so a started hub is on the backplane.
        let router = match kind {
            Kind::Raw => None,
            Kind::Hub => Some(hub::router(scale_out).await?),
        };
        let listener = listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on {}", listener.local_addr()?)?;
        stdout.flush()?;
        match router {
            None => raw::serve(listener).await?,
            Some(router) => {
                use axum::serve::ListenerExt as _;
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(listener, router.into_make_service()).await?;
            }
        }
        Ok(())
    })
}

/// The pending connections the kernel keeps for the accept loop: a reconnect storm brings
/// hundreds at once, and tokio's `TcpListener::bind` asks for 128, past which the kernel drops
/// SYNs and the clients retry a second later (a 1 s tail in the storm rows, for raw and hub
/// alike, more for the server that accepts more slowly). Linux caps it at `net.core.somaxconn`.
const BACKLOG: u32 = 4096;

/// A listener on `addr` with a [`BACKLOG`] of pending connections.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}
