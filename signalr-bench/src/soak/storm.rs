//! Storms: waves of connections opened and closed at once, half of them dropped without a
//! Close (WebSockets), a `DELETE` (Server-Sent Events) or another poll (Long Polling).

use std::net::SocketAddr;

use futures_util::future::join_all;

use super::link::{Link, Transport};

/// What one wave did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Wave {
    /// Connections handshaken.
    pub(crate) opened: u64,
    /// Of those, dropped without closing.
    pub(crate) dropped: u64,
    /// Connections that could not be opened.
    pub(crate) failed: u64,
}

/// Opens `count` connections at once, round-robin over the transports, and closes or drops
/// each as soon as it is open. Returns the wave's counts and its first failure.
pub(crate) async fn wave(addr: SocketAddr, count: usize) -> (Wave, Option<String>) {
    let connections = (0..count).map(|i| async move {
        let mut link = Link::open(addr, Transport::nth(i)).await?;
        // Every other connection of each transport is dropped.
        let drop_it = (i / 4) % 2 == 1;
        if !drop_it {
            link.close().await?;
        }
        Ok::<bool, String>(drop_it)
    });
    let mut wave = Wave::default();
    let mut first = None;
    for outcome in join_all(connections).await {
        match outcome {
            Ok(dropped) => {
                wave.opened += 1;
                wave.dropped += u64::from(dropped);
            }
            Err(error) => {
                wave.failed += 1;
                first.get_or_insert(error);
            }
        }
    }
    (wave, first)
}
