//! Leak tests: what thousands of connections leave behind on the server, measured by a global
//! allocator that counts the bytes the process holds. A binary of its own, so that no other
//! test allocates while one measures.

#![allow(
    missing_docs,
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../e2e/support.rs"]
mod support;

use std::alloc::System;
use std::time::Duration;

use cap::Cap;
use tokio::time::Instant;

use support::*;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// Connections opened at once.
const CONCURRENCY: usize = 50;

/// How much more the process may hold after the measured connections than before them: the
/// reused-id leak held ~5 KB per connection (50 MB for 10 000); this allows 100 bytes.
const MARGIN: usize = 1 << 20;

/// Opens connections `range`, each sending the reused-id pattern, reading the refusal and
/// closing; `CONCURRENCY` at a time.
async fn reuse_ids(addr: std::net::SocketAddr, range: std::ops::Range<usize>) {
    let workers = (0..CONCURRENCY).map(|worker| {
        let range = range.clone();
        tokio::spawn(async move {
            for i in range.skip(worker).step_by(CONCURRENCY) {
                let mut ws = connect_ready(addr).await;
                for message in reuse_pattern(&format!("leak-{i}")) {
                    send(&mut ws, &message).await;
                }
                // The answer for `x` shows the server has read all three messages.
                assert!(recv(&mut ws).await.contains("\"invocationId\":\"x\""));
                ws.close(None).await.unwrap();
            }
        })
    });
    for worker in futures_util::future::join_all(workers).await {
        worker.unwrap();
    }
}

/// Waits until every `Tracked` stream has ended and the process holds at most `limit` bytes;
/// the bytes it holds then, or what it held last when that does not happen within `patience`.
async fn settle(limit: usize, patience: Duration) -> Result<usize, String> {
    let deadline = Instant::now() + patience;
    loop {
        let streams = live_streams().lock().unwrap().len();
        let held = HEAP.allocated();
        if streams == 0 && held <= limit {
            return Ok(held);
        }
        if Instant::now() >= deadline {
            return Err(format!("{streams} streams alive, {held} bytes held"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_connections_that_reuse_an_invocation_id_leave_no_stream_and_no_memory() {
    const CONNECTIONS: usize = 10_000;
    let addr = serve(Default::default()).await;
    // Tables that grow to the load's size once (maps, tokio's slabs) do so here.
    reuse_ids(addr, 0..1000).await;
    let before = settle(usize::MAX, PATIENCE).await.unwrap();

    reuse_ids(addr, 1000..1000 + CONNECTIONS).await;
    match settle(before + MARGIN, Duration::from_secs(10)).await {
        Ok(after) => eprintln!(
            "{CONNECTIONS} connections: {before} bytes held before, {after} after ({:+})",
            after as i64 - before as i64
        ),
        Err(state) => panic!(
            "{CONNECTIONS} connections left something behind: {state}; {before} bytes held before"
        ),
    }
    assert_server_healthy(addr).await;
}
