//! A client whose network is stuck holds up other clients' broadcasts once, for the slow-client
//! wait, not until its send timeout; it is cut off when what waits for it outgrows its slow
//! buffer, and everyone else gets everything.

use std::time::Duration;

use futures_util::StreamExt;
use signalr_runtime::HubOptions;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Far beyond anything this test waits for: only the slow-client policy can cut the stalled
/// client in time.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn a_stalled_client_holds_up_broadcasts_only_briefly_and_is_cut_off_when_its_slow_buffer_fills()
 {
    const COUNT: usize = 400;
    let options = HubOptions::default()
        .send_timeout(SEND_TIMEOUT)
        .slow_client_wait(Duration::from_millis(200))
        .slow_client_buffer_size(1 << 20);
    let addr = serve(options).await;
    let mut reader = connect_ready(addr).await;
    // It announces its end to the others (`Left`), so the reader sees when it is cut off.
    let mut stalled = connect(addr, "?announce=yes").await;
    send(&mut stalled, HANDSHAKE).await;
    assert_eq!(recv(&mut stalled).await, "{}\u{1e}");

    // 400 broadcasts of 64 KiB, 26 MB, each awaited by the hub method: the stalled client's
    // socket buffers and queue are full after a fraction of them. A server that waited for it
    // until its send timeout would hold the flood (and the reader's call) for two minutes.
    let started = Instant::now();
    send(&mut reader, &format!("{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Flood\",\"arguments\":[{COUNT},65536]}}\u{1e}")).await;
    let (mut notified, mut left, mut flooded) = (0, None, None);
    let patience = Duration::from_secs(30);
    while left.is_none() || flooded.is_none() {
        let frame = tokio::time::timeout(patience, recv(&mut reader))
            .await
            .expect("the flood is held up by the stalled client");
        for record in records(&frame) {
            if record.starts_with("{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"xxx") {
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
    assert_eq!(notified, COUNT, "the reader gets every message");
    // 26 MB through a debug build takes a few seconds; the send timeout is 120 s.
    let (left, flooded) = (left.unwrap(), flooded.unwrap());
    assert!(
        left < Duration::from_secs(20),
        "the stalled client was cut off after {left:?}"
    );
    assert!(
        flooded < Duration::from_secs(20),
        "the flood took {flooded:?}"
    );

    // Its connection is gone: what it finds in its socket buffers ends, short of the flood.
    let mut received = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, stalled.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                received += text.matches("\"target\":\"Notified\"").count();
            }
            Ok(Some(Ok(_))) => {}
            Ok(None | Some(Err(_))) => break,
            Err(_) => panic!("the stalled client's connection was not closed"),
        }
    }
    assert!(received < COUNT, "it got {received} messages");
    assert_server_healthy(addr).await;
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
