//! Once a second: the server's RSS, open file descriptors and sockets from `/proc`, and its
//! outbound queue bytes and hub connections from `GET /bench/stats`.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::client::codec::number_after;
use crate::client::http::Http;

/// One reading.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    /// Seconds since the soak started.
    pub(crate) elapsed: f64,
    /// Resident memory, KiB (`VmRSS`).
    pub(crate) rss_kib: u64,
    /// Open file descriptors.
    pub(crate) fds: u64,
    /// Of those, sockets: the listener, every TCP connection, and the one sampling.
    pub(crate) sockets: u64,
    /// Hub connections past their handshake.
    pub(crate) connections: u64,
    /// Bytes waiting in every connection's outbound queue.
    pub(crate) queued_bytes: u64,
    /// Heap the server holds, KiB, when its allocator counts it (`--features jemalloc`).
    pub(crate) heap_kib: Option<u64>,
    /// Which phase it was taken in.
    pub(crate) phase: &'static str,
}

/// Reads the server `pid` at `addr`.
#[derive(Debug)]
pub(crate) struct Sampler {
    pid: u32,
    addr: SocketAddr,
    stats: Option<Http>,
}

impl Sampler {
    /// A sampler of the server process `pid` listening at `addr`.
    pub(crate) fn new(pid: u32, addr: SocketAddr) -> Sampler {
        Sampler {
            pid,
            addr,
            stats: None,
        }
    }

    /// Takes one reading.
    pub(crate) async fn sample(&mut self, elapsed: f64, phase: &'static str) -> Sample {
        let (fds, sockets) = self.fds();
        let (connections, queued_bytes, allocated) = self.stats().await.unwrap_or_default();
        Sample {
            heap_kib: allocated.map(|bytes| bytes / 1024),
            elapsed,
            rss_kib: self.rss_kib(),
            fds,
            sockets,
            connections,
            queued_bytes,
            phase,
        }
    }

    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|status| {
                let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
                line.split_whitespace().nth(1)?.parse().ok()
            })
            .unwrap_or(0)
    }

    fn fds(&self) -> (u64, u64) {
        let Ok(entries) = std::fs::read_dir(format!("/proc/{}/fd", self.pid)) else {
            return (0, 0);
        };
        let (mut fds, mut sockets) = (0, 0);
        for entry in entries.flatten() {
            fds += 1;
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            sockets += u64::from(target.to_string_lossy().starts_with("socket:"));
        }
        (fds, sockets)
    }

    /// `(connections, queued_bytes, allocated)` over one kept-alive connection, opened again
    /// if it broke.
    async fn stats(&mut self) -> Option<(u64, u64, Option<u64>)> {
        if self.stats.is_none() {
            self.stats = Http::connect(self.addr).await.ok();
        }
        let http = self.stats.as_mut()?;
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            http.request("GET", "/stats", "", b""),
        )
        .await;
        match answer {
            Ok(Ok((200, body))) => Some((
                number_after(&body, b"\"connections\":")?,
                number_after(&body, b"\"queued_bytes\":")?,
                number_after(&body, b"\"allocated\":"),
            )),
            _ => {
                self.stats = None;
                None
            }
        }
    }
}

/// The samples as CSV, one line each.
pub(crate) fn csv(samples: &[Sample]) -> String {
    let mut out = String::from(
        "elapsed_s,phase,rss_kib,heap_kib,open_fds,sockets,hub_connections,queued_bytes\n",
    );
    for s in samples {
        let heap = s.heap_kib.map(|kib| kib.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:.1},{},{},{heap},{},{},{},{}",
            s.elapsed, s.phase, s.rss_kib, s.fds, s.sockets, s.connections, s.queued_bytes
        );
    }
    out
}
