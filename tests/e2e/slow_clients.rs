//! A client whose network is stuck holds up other clients' broadcasts once, for the slow-client
//! wait, not until its send timeout; it is cut off when what waits for it outgrows its slow
//! buffer, and everyone else gets everything.

use std::time::Duration;

use futures_util::StreamExt;
use signalr_runtime::HubOptions;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Far beyond anything these tests wait for: only the slow-client policy can cut the stalled
/// client in time.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);

/// Messages of [`flood_past_a_stalled_client`]'s flood.
const FLOOD: usize = 400;

/// What a reader saw of a flood while another client read nothing.
struct Flood {
    /// `Notified` messages the reader received.
    notified: usize,
    /// When the reader heard that the stalled client had gone.
    left: Duration,
    /// When the flood's invocation completed.
    flooded: Duration,
    /// `Notified` messages the stalled client found in its socket buffers before its
    /// connection ended.
    stalled_got: usize,
}

/// A reader and a client that reads nothing (it announces its end to the others, `Left`, so the
/// reader sees when the server gives up on it); then the reader's `Flood` of [`FLOOD`] messages
/// of 64 KiB, 26 MB, each awaited by the hub method: far more than the socket buffers of a client
/// that reads nothing hold.
async fn flood_past_a_stalled_client(options: HubOptions) -> Flood {
    let addr = serve(options).await;
    let mut reader = connect_ready(addr).await;
    let mut stalled = connect(addr, "?announce=yes").await;
    send(&mut stalled, HANDSHAKE).await;
    assert_eq!(recv(&mut stalled).await, "{}\u{1e}");

    let started = Instant::now();
    send(&mut reader, &format!("{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Flood\",\"arguments\":[{FLOOD},65536]}}\u{1e}")).await;
    let (mut notified, mut left, mut flooded) = (0, None, None);
    while left.is_none() || flooded.is_none() {
        for record in records(&recv(&mut reader).await) {
            if record.starts_with("{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"xxx") {
                assert!(flooded.is_none(), "a message after the flood ended");
                notified += 1;
            } else if record.starts_with("{\"type\":1,\"target\":\"Left\",") {
                left = Some(started.elapsed());
            } else if record == "{\"type\":3,\"invocationId\":\"1\"}" {
                flooded = Some(started.elapsed());
            } else {
                panic!("unexpected {record}");
            }
        }
    }

    let mut stalled_got = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, stalled.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                stalled_got += text.matches("\"target\":\"Notified\"").count();
            }
            Ok(Some(Ok(_))) => {}
            Ok(None | Some(Err(_))) => break,
            Err(_) => panic!("the stalled client's connection was not closed"),
        }
    }
    assert_server_healthy(addr).await;
    Flood {
        notified,
        left: left.unwrap_or_default(),
        flooded: flooded.unwrap_or_default(),
        stalled_got,
    }
}

#[tokio::test]
async fn a_stalled_client_holds_up_broadcasts_only_briefly_and_is_cut_off_when_its_slow_buffer_fills()
 {
    let flood = flood_past_a_stalled_client(
        HubOptions::default()
            .send_timeout(SEND_TIMEOUT)
            .slow_client_wait(Duration::from_millis(200))
            .slow_client_buffer_size(1 << 20),
    )
    .await;
    assert_eq!(flood.notified, FLOOD, "the reader gets every message");
    // 26 MB through a debug build takes a few seconds. A server that waited for the stalled
    // client until its send timeout would hold the flood (and the reader's call) for two
    // minutes; `recv` gives up after five seconds without a frame.
    assert!(
        flood.left < Duration::from_secs(20),
        "the stalled client was cut off after {:?}",
        flood.left
    );
    assert!(
        flood.flooded < Duration::from_secs(20),
        "the flood took {:?}",
        flood.flooded
    );
    assert!(flood.stalled_got < FLOOD, "it got {}", flood.stalled_got);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_after_the_send_timeout_when_that_comes_first() {
    // A slow buffer larger than the whole flood: only the send timeout can cut it off.
    let flood = flood_past_a_stalled_client(
        HubOptions::default()
            .send_timeout(Duration::from_millis(300))
            .slow_client_buffer_size(64 << 20),
    )
    .await;
    assert_eq!(flood.notified, FLOOD, "the reader gets every message");
    assert!(
        flood.left < Duration::from_secs(3),
        "the stalled client was cut off only after {:?}",
        flood.left
    );
    assert!(
        flood.flooded < Duration::from_secs(6),
        "the flood took {:?}",
        flood.flooded
    );
    assert!(flood.stalled_got < FLOOD, "it got {}", flood.stalled_got);
}

#[tokio::test]
async fn a_client_that_stalls_and_reads_again_in_time_gets_everything() {
    // A stall of a second with 1 MiB of slow buffer: the messages meanwhile (about 200 KB
    // beyond its socket buffers) are kept for it, and nobody waits for it but once.
    const COUNT: usize = 600;
    let options = HubOptions::default()
        .send_timeout(SEND_TIMEOUT)
        .slow_client_wait(Duration::from_millis(100))
        .slow_client_buffer_size(8 << 20);
    let addr = serve(options).await;
    let mut reader = connect_ready(addr).await;
    let mut pausing = connect_ready(addr).await;

    let started = Instant::now();
    send(&mut reader, &format!("{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Flood\",\"arguments\":[{COUNT},8192]}}\u{1e}")).await;
    let mut flooded = None;
    let mut notified = 0;
    while flooded.is_none() {
        for record in records(&recv(&mut reader).await) {
            if record == "{\"type\":3,\"invocationId\":\"1\"}" {
                flooded = Some(started.elapsed());
            } else {
                notified += 1;
            }
        }
    }
    assert_eq!(notified, COUNT);
    // Read nothing until the flood is over, then everything.
    let mut received = 0;
    while received < COUNT {
        let frame = tokio::time::timeout(Duration::from_secs(10), recv(&mut pausing))
            .await
            .expect("the paused client gets the rest");
        received += records(&frame)
            .filter(|record| record.contains("\"target\":\"Notified\""))
            .count();
    }
    assert_eq!(received, COUNT, "nothing lost, nothing twice");
    let flooded = flooded.unwrap_or_default();
    assert!(
        flooded < Duration::from_secs(20),
        "the flood took {flooded:?}"
    );
    assert_server_healthy(addr).await;
}
