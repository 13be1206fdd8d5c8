//! Idle density: how much server memory each open, idle connection holds.

use std::time::Duration;

use super::connect_many;
use crate::child::Server;
use crate::client::Proto;
use crate::stats::Sample;

/// Time for the server to settle (tasks parked, transient buffers freed) before reading RSS.
const SETTLE: Duration = Duration::from_secs(1);

pub(super) async fn run(server: &Server, proto: Proto, conns: usize) -> Result<Sample, String> {
    // One connection first, so that what every server allocates once is not charged per
    // connection.
    let first = connect_many(server.addr, proto, 1).await?;
    tokio::time::sleep(SETTLE / 4).await;
    let before = server.rss();
    let links = connect_many(server.addr, proto, conns).await?;
    tokio::time::sleep(SETTLE).await;
    let after = server.rss();
    let per_connection = after.saturating_sub(before) as f64 / conns.max(1) as f64;
    let sample = Sample {
        value: per_connection,
        peak: server.peak(),
        ..Sample::default()
    };
    drop((first, links));
    Ok(sample)
}
