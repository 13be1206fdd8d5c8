//! The limits that keep a server alive: slow clients, message sizes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_runtime::HubOptions;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

/// Reads everything until the server ends the connection; counts the `Notified` and
/// `StreamItem` records. Fails if the connection is still open after [`PATIENCE`] of silence.
async fn drain(ws: &mut Ws) -> usize {
    let mut records = 0;
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("the connection is still open");
        match next {
            Some(Ok(Message::Text(text))) => {
                records += text.matches("\"target\":\"Notified\"").count()
                    + text.matches("\"type\":2,").count();
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return records,
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_a_broadcast_is_disconnected_and_the_others_get_everything() {
    const COUNT: u32 = 400;
    let addr = serve(HubOptions::default().send_timeout(Duration::from_millis(500))).await;
    let mut reader = connect_ready(addr).await;
    let mut stalled = connect_ready(addr).await;
    // 400 messages of 64 KiB: far more than socket buffers hold for a client that reads nothing.
    send(&mut reader, &format!("{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Flood\",\"arguments\":[{COUNT},65536]}}\u{1e}")).await;
    let mut notified = 0;
    loop {
        let text = recv(&mut reader).await;
        notified += text.matches("\"target\":\"Notified\"").count();
        if text.contains("{\"type\":3,\"invocationId\":\"1\"}") {
            break;
        }
    }
    assert_eq!(
        notified, COUNT as usize,
        "the client that reads gets every message"
    );
    let received = drain(&mut stalled).await;
    assert!(
        received < COUNT as usize,
        "the stalled client was cut off, after {received} messages"
    );
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_a_stream_is_disconnected_after_the_send_timeout() {
    const COUNT: u32 = 400;
    let options = HubOptions::default().send_timeout(Duration::from_millis(300));
    let addr = serve(options).await;
    let mut stalled = connect_ready(addr).await;
    send(&mut stalled, &format!("{{\"type\":4,\"invocationId\":\"1\",\"target\":\"BigItems\",\"arguments\":[{COUNT},65536]}}\u{1e}")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = drain(&mut stalled).await;
    assert!(
        received < COUNT as usize,
        "the stalled client was cut off, after {received} items"
    );
    assert_server_healthy(addr).await;
}

#[tokio::test]
async fn a_message_of_exactly_the_size_limit_is_accepted_and_one_byte_more_is_not() {
    let addr = serve(
        HubOptions::default()
            .maximum_receive_message_size(100)
            .detailed_errors(true),
    )
    .await;
    let message = |text_len: usize| {
        format!(
            "{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"{}\"]}}",
            "a".repeat(text_len)
        )
    };
    let overhead = message(0).len();
    let exact = message(100 - overhead);
    assert_eq!(exact.len(), 100);
    let mut ws = connect_ready(addr).await;
    send(&mut ws, &format!("{exact}\u{1e}")).await;
    assert!(
        recv(&mut ws)
            .await
            .starts_with("{\"type\":3,\"invocationId\":\"1\",\"result\":\"aaa")
    );

    let over = message(101 - overhead);
    send(&mut ws, &format!("{over}\u{1e}")).await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"error\":\"Connection closed with an error. InvalidDataException: \
         The maximum message size of 100B was exceeded. The message size can be configured in AddHubOptions.\"}\u{1e}"
    );
    expect_close(&mut ws).await;
}

#[tokio::test]
async fn a_client_that_calls_but_never_reads_its_answers_is_read_no_further() {
    // 4 000 echoes of 16 KiB: 64 MiB of answers that the client never reads. The server must
    // stop reading it once its answers fill the queue, not buffer them all.
    const CALLS: usize = 4000;
    let addr = serve(HubOptions::default().send_timeout(Duration::from_secs(30))).await;
    let mut ws = connect_ready(addr).await;
    let text = "x".repeat(16 * 1024);
    let flood = async {
        for i in 0..CALLS {
            let call = format!(
                "{{\"type\":1,\"invocationId\":\"{i}\",\"target\":\"Echo\",\"arguments\":[\"{text}\"]}}\u{1e}"
            );
            ws.send(Message::text(call)).await.unwrap();
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(3), flood).await;
    assert!(
        finished.is_err(),
        "the server read all 64 MiB of calls from a client that reads none of its answers"
    );
    assert_server_healthy(addr).await;
}
