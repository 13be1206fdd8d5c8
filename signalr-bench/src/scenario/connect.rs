//! Connection setup: negotiate (hub only, unless skipped), connect and handshake, a few at a
//! time (the connection rate) or many at once and kept open (a reconnect storm after a deploy).

use std::time::Instant;

use super::Window;
use crate::child::Server;
use crate::client::{Proto, http, ws};
use crate::stats::{Latencies, Sample};

/// Connections being opened at any moment.
const PARALLEL: usize = 8;

/// How the connections are opened.
#[derive(Debug, Clone, Copy)]
pub(super) struct Setup {
    /// Connections opened.
    pub(super) count: usize,
    /// Connections being opened at any moment.
    pub(super) in_flight: usize,
    /// Negotiate first (the hub).
    pub(super) negotiate: bool,
    /// Negotiate with the raw server too, which answers a fixed body (see `server::raw`).
    pub(super) raw_negotiates: bool,
    /// Keep every connection open until the last one is up, as clients coming back after a
    /// deploy do; otherwise each is dropped once open.
    pub(super) keep: bool,
}

/// The rate of opening `count` connections, `PARALLEL` at a time, each dropped once open; the
/// raw server answers a negotiate first when `raw_negotiates`.
pub(super) async fn run(
    server: &Server,
    proto: Proto,
    count: usize,
    raw_negotiates: bool,
) -> Result<Sample, String> {
    let setup = Setup {
        count,
        in_flight: PARALLEL,
        negotiate: true,
        raw_negotiates,
        keep: false,
    };
    open_all(server, proto, setup).await
}

/// Opens connections as `setup` says; the sample's rate is connections per second, its
/// latencies those of opening one.
pub(super) async fn open_all(
    server: &Server,
    proto: Proto,
    setup: Setup,
) -> Result<Sample, String> {
    let Setup {
        count,
        in_flight,
        negotiate,
        raw_negotiates,
        keep,
    } = setup;
    let addr = server.addr;
    let window = Window::open(server);
    let mut latencies = Latencies::default();
    let mut pending = tokio::task::JoinSet::new();
    let mut opened = 0_u64;
    // The open connections of a storm, kept until the last one is up.
    let mut kept = Vec::new();
    let mut finish = |done: Result<Result<(std::time::Duration, _), String>, _>| {
        let (took, link) = done.map_err(|e: tokio::task::JoinError| e.to_string())??;
        latencies.record(took);
        opened += 1;
        if keep {
            kept.push(link);
        }
        Ok::<(), String>(())
    };
    for _ in 0..count {
        if pending.len() >= in_flight
            && let Some(done) = pending.join_next().await
        {
            finish(done)?;
        }
        pending.spawn(async move {
            let start = Instant::now();
            let negotiates = match proto {
                Proto::Raw => raw_negotiates,
                _ => negotiate,
            };
            let token = if negotiates {
                Some(http::negotiate(addr).await?)
            } else {
                None
            };
            // The rate is of opening; a connection not kept is dropped at once, and closing is
            // the server's business.
            let link = ws::connect(addr, proto, token.as_deref()).await?;
            Ok((start.elapsed(), link))
        });
    }
    while let Some(done) = pending.join_next().await {
        finish(done)?;
    }
    let (elapsed, cpu) = window.close(server);
    drop(kept);
    Ok(Sample::throughput(
        opened,
        elapsed,
        cpu,
        latencies,
        server.peak(),
        count as u64 - opened,
    ))
}
