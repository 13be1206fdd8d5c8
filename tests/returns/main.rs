//! What 10 000 connections leave in the runtime's tables once they have closed: the
//! connections being served, the lifetime manager's registry, the negotiate tokens (the runtime's
//! `stats` gauges) and the tasks alive in the runtime (each connection's timers belong to its
//! tasks). A binary of its own, so that no other test's connections are counted.

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

use std::net::SocketAddr;
use std::time::Duration;

use signalr_runtime::__private::{Held, held};
use signalr_runtime::HubOptions;
use tokio::time::Instant;

use support::*;

/// Connections opened at once.
const CONCURRENCY: usize = 50;

/// How long an unused negotiate token lives here (the default is 15 s).
const EXPIRY: Duration = Duration::from_millis(500);

/// One connection, as `kind` says: negotiated then a WebSocket (0), a WebSocket without
/// negotiation (1), Long Polling (2), or a negotiation never followed by a transport (3), whose
/// token expires. Every connection that opens makes a call before it closes.
async fn one(addr: SocketAddr, kind: usize) {
    match kind {
        0 => {
            let token = negotiate_token(addr, "/hub").await;
            let mut ws = connect(addr, &format!("?id={token}")).await;
            send(&mut ws, HANDSHAKE).await;
            assert_eq!(recv(&mut ws).await, "{}\u{1e}");
            echo(&mut ws).await;
        }
        1 => {
            let mut ws = connect_ready(addr).await;
            echo(&mut ws).await;
        }
        2 => {
            let token = long_polling(addr).await;
            assert_eq!(
                http(addr, "DELETE", &format!("/hub?id={token}")).await.0,
                202
            );
        }
        _ => {
            negotiate_token(addr, "/hub").await;
        }
    }
}

async fn echo(ws: &mut Ws) {
    send(
        ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"x\"]}\u{1e}",
    )
    .await;
    assert!(recv(ws).await.contains("\"result\":\"x\""));
    ws.close(None).await.unwrap();
}

/// Opens and closes connections `range`, `CONCURRENCY` at a time, of every kind in turn.
async fn churn(addr: SocketAddr, range: std::ops::Range<usize>) {
    let workers = (0..CONCURRENCY).map(|worker| {
        let range = range.clone();
        tokio::spawn(async move {
            for i in range.skip(worker).step_by(CONCURRENCY) {
                one(addr, i % 4).await;
            }
        })
    });
    for worker in futures_util::future::join_all(workers).await {
        worker.unwrap();
    }
}

/// What the runtime holds, and the tasks alive.
fn now() -> (Held, usize) {
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    (held(), tasks)
}

/// Waits until what the runtime holds is `start` again; what it holds last otherwise.
async fn settle(addr: SocketAddr, start: (Held, usize), patience: Duration) -> Result<(), String> {
    let deadline = Instant::now() + patience;
    loop {
        // Unused tokens are forgotten when a later negotiate finds them expired: one more
        // connection, which leaves nothing either.
        tokio::time::sleep(EXPIRY).await;
        one(addr, 0).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let current = now();
        if current == start {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("{current:?}, was {start:?}"));
        }
    }
}

/// Waits, after the warm-up, until what the runtime holds stops changing from one round of
/// [`settle`] to the next; what it holds then. Fails if it never does.
async fn steady(addr: SocketAddr) -> (Held, usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = now();
    loop {
        match settle(addr, last, EXPIRY).await {
            Ok(()) => return last,
            Err(state) => {
                assert!(
                    Instant::now() < deadline,
                    "never steady after the warm-up: {state}"
                );
                last = now();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_connections_leave_nothing_in_the_runtimes_tables() {
    const CONNECTIONS: usize = 10_000;
    let addr = serve(HubOptions::default().disconnect_timeout(EXPIRY)).await;
    churn(addr, 0..200).await;
    let start = steady(addr).await;
    assert_eq!(
        (start.0.connections, start.0.registered, start.0.tokens),
        (0, 0, 0),
        "{start:?}"
    );

    churn(addr, 0..CONNECTIONS).await;
    let during = now();
    if let Err(state) = settle(addr, start, Duration::from_secs(20)).await {
        panic!("{CONNECTIONS} connections left something behind: {state}");
    }
    eprintln!(
        "{CONNECTIONS} connections: back to {start:?} (held {during:?} at the end of the load)"
    );
    assert_server_healthy(addr).await;
}
