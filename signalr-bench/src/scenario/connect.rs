//! Connection rate: negotiate (hub only), connect and handshake, a few at a time.

use std::time::Instant;

use super::Window;
use crate::child::Server;
use crate::client::{Proto, http, ws};
use crate::stats::{Latencies, Sample};

/// Connections being opened at any moment.
const PARALLEL: usize = 8;

pub(super) async fn run(server: &Server, proto: Proto, count: usize) -> Result<Sample, String> {
    let addr = server.addr;
    let window = Window::open(server);
    let mut latencies = Latencies::default();
    let mut pending = tokio::task::JoinSet::new();
    let mut opened = 0_u64;
    let mut finish = |done: Result<Result<std::time::Duration, String>, _>| {
        let took = done.map_err(|e: tokio::task::JoinError| e.to_string())??;
        latencies.record(took);
        opened += 1;
        Ok::<(), String>(())
    };
    for _ in 0..count {
        if pending.len() >= PARALLEL
            && let Some(done) = pending.join_next().await
        {
            finish(done)?;
        }
        pending.spawn(async move {
            let start = Instant::now();
            let token = match proto {
                Proto::Raw => None,
                _ => Some(http::negotiate(addr).await?),
            };
            // Dropped at once: the rate is of opening, and closing is the server's business.
            let _link = ws::connect(addr, proto, token.as_deref()).await?;
            Ok(start.elapsed())
        });
    }
    while let Some(done) = pending.join_next().await {
        finish(done)?;
    }
    let (elapsed, cpu) = window.close(server);
    Ok(Sample::throughput(
        opened,
        elapsed,
        cpu,
        latencies,
        server.peak(),
        count as u64 - opened,
    ))
}
