//! The Rust client under pressure from its own side and a server that misbehaves in time rather
//! than in content: uploads that outrun the socket, a server that stops reading, handlers that
//! panic before their future exists, and what the closed callbacks see. The server is a small
//! fake (a WebSocket following a script), as in `malformed.rs`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use signalr_runtime::client::{
    ClientError, ConnectionState, DefaultRetryPolicy, HandlerResult, HubConnection, Upload,
};
use signalr_runtime::protocol::{Protocol, Value};
use signalr_runtime::stream;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use crate::fake::{self, answered};

const WAIT: Duration = Duration::from_secs(10);

fn connection(url: &str) -> HubConnection {
    fake::connection(url, Protocol::Json)
}

/// The JSON records of one frame.
fn records(frame: &Message) -> Vec<serde_json::Value> {
    let Message::Text(text) = frame else {
        return Vec::new();
    };
    text.split('\u{1e}')
        .filter(|record| !record.is_empty())
        .map(|record| serde_json::from_str(record).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_callbacks_see_the_connection_disconnected() {
    let url = answered(|mut socket| async move {
        let _ = socket
            .send(Message::text("{\"type\":7,\"allowReconnect\":false}\u{1e}"))
            .await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = connection(&url);
    let (tx, seen) = oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let observed = connection.clone();
    connection.on_closed(move |_| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(observed.state());
        }
    });
    connection.start().await.unwrap();
    let state = tokio::time::timeout(WAIT, seen).await.unwrap().unwrap();
    // As with ASP.NET Core's clients: a closed callback may start the connection again.
    assert_eq!(state, ConnectionState::Disconnected);
}

/// An upload whose items count themselves as they are taken; `exhausted` is set at its end.
fn counted_upload(items: u32, taken: &Arc<AtomicUsize>, exhausted: &Arc<AtomicBool>) -> Upload {
    let taken = taken.clone();
    let exhausted = exhausted.clone();
    let items = stream::iter(0..items)
        .inspect(move |_| {
            taken.fetch_add(1, Ordering::Relaxed);
        })
        .chain(stream::once(async move {
            exhausted.store(true, Ordering::Relaxed);
            0
        }));
    Upload::new(items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_read_only_as_fast_as_the_server_takes_it() {
    // The server reads nothing after the handshake: once the socket's buffers are full,
    // nothing more can be written, so nothing more should be taken from the upload.
    let url = answered(|socket| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(socket);
    })
    .await;
    let connection = connection(&url);
    connection.start().await.unwrap();
    let taken = Arc::new(AtomicUsize::new(0));
    let exhausted = Arc::new(AtomicBool::new(false));
    // 400 000 items are ~15 MB of JSON, more than loopback socket buffers hold.
    let upload = counted_upload(400_000, &taken, &exhausted);
    connection
        .send_with_uploads("Sink", Vec::new(), vec![upload])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let first = taken.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !exhausted.load(Ordering::Relaxed),
        "the whole upload was read into memory ({first} items) though the server took none"
    );
    assert_eq!(
        taken.load(Ordering::Relaxed),
        first,
        "the upload is still being read"
    );
    tokio::time::timeout(WAIT, connection.stop())
        .await
        .expect("stop returns while the server does not read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_returns_while_a_write_is_stuck() {
    let url = answered(|socket| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(socket);
    })
    .await;
    let connection = connection(&url);
    connection.start().await.unwrap();
    // Large sends fill the socket's buffers; the session then waits in a write.
    let big = "x".repeat(1024 * 1024);
    for _ in 0..32 {
        connection
            .send("Big", vec![Value::new(big.clone())])
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::time::timeout(WAIT, connection.stop())
        .await
        .expect("stop returns while the server does not read");
    assert_eq!(connection.state(), ConnectionState::Disconnected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_upload_does_not_keep_answers_from_being_read() {
    // The server reads everything and answers the invocation of Echo.
    let url = answered(|mut socket| async move {
        while let Some(Ok(frame)) = socket.next().await {
            for record in records(&frame) {
                if record["target"] == "Echo" {
                    let id = record["invocationId"].as_str().unwrap().to_owned();
                    let answer = format!(
                        "{{\"type\":3,\"invocationId\":\"{id}\",\"result\":\"pong\"}}\u{1e}"
                    );
                    socket.send(Message::text(answer)).await.unwrap();
                }
            }
        }
    })
    .await;
    let connection = connection(&url);
    connection.start().await.unwrap();
    let endless = Upload::new(futures_util::stream::repeat(7u8));
    connection
        .send_with_uploads("Sink", Vec::new(), vec![endless])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = tokio::time::timeout(WAIT, connection.invoke::<String>("Echo", Vec::new()))
        .await
        .expect("the answer was read while the upload runs")
        .unwrap();
    assert_eq!(answer, "pong");
    tokio::time::timeout(WAIT, connection.stop()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_panics_before_its_future_fails_only_its_call() {
    let (tx, completions) = oneshot::channel();
    let url = answered(move |mut socket| async move {
        let calls = "{\"type\":1,\"invocationId\":\"a\",\"target\":\"Boom\",\"arguments\":[]}\u{1e}\
                     {\"type\":1,\"invocationId\":\"b\",\"target\":\"Fine\",\"arguments\":[]}\u{1e}";
        socket.send(Message::text(calls)).await.unwrap();
        let mut answers = Vec::new();
        while let Some(Ok(frame)) = socket.next().await {
            answers.extend(
                records(&frame)
                    .into_iter()
                    .filter(|record| record["type"] == 3),
            );
            if answers.len() == 2 {
                break;
            }
        }
        let _ = tx.send(answers);
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = connection(&url);
    connection.on("Boom", |_| -> std::future::Ready<HandlerResult> {
        panic!("before any future")
    });
    connection.on("Fine", |_| async { Ok(Some(Value::new(1))) });
    connection.start().await.unwrap();
    let answers = tokio::time::timeout(WAIT, completions)
        .await
        .expect("both calls were answered")
        .unwrap();
    assert_eq!(answers[0]["invocationId"], "a");
    assert!(
        answers[0]["error"].as_str().unwrap().contains("Boom"),
        "{answers:?}"
    );
    assert_eq!(answers[1]["invocationId"], "b");
    assert_eq!(answers[1]["result"], 1);
    connection.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_a_start_that_waits_for_the_handshake() {
    // A server that accepts the WebSocket and never answers the handshake.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let socket = tokio_tungstenite::accept_async(stream).await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(socket);
    });
    let connection = connection(&format!("http://127.0.0.1:{port}/hub"));
    let starting = tokio::spawn({
        let connection = connection.clone();
        async move { connection.start().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Well before the 15 s handshake timeout.
    tokio::time::timeout(Duration::from_secs(3), connection.stop())
        .await
        .expect("stop ends the start instead of waiting for it");
    let started = tokio::time::timeout(WAIT, starting).await.unwrap().unwrap();
    assert_eq!(started, Err(ClientError::ConnectionClosed));
    assert_eq!(connection.state(), ConnectionState::Disconnected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_wants_a_result_and_gets_none_fails() {
    let (tx, completion) = oneshot::channel();
    let url = answered(move |mut socket| async move {
        let call = "{\"type\":1,\"invocationId\":\"q\",\"target\":\"Ask\",\"arguments\":[]}\u{1e}";
        socket.send(Message::text(call)).await.unwrap();
        while let Some(Ok(frame)) = socket.next().await {
            if let Some(answer) = records(&frame)
                .into_iter()
                .find(|record| record["type"] == 3)
            {
                let _ = tx.send(answer);
                break;
            }
        }
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = connection(&url);
    connection.on("Ask", |_| async { Ok(None) });
    connection.start().await.unwrap();
    let answer = tokio::time::timeout(WAIT, completion)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer["invocationId"], "q");
    assert_eq!(answer["error"], "Client didn't provide a result.");
    connection.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_gives_up_at_once_closes_without_reconnecting() {
    let url = answered(|mut socket| async move {
        let _ = socket
            .send(Message::text("{\"type\":7,\"allowReconnect\":true}\u{1e}"))
            .await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    let connection = HubConnection::builder(&url)
        .skip_negotiation(true)
        .with_reconnect_policy(DefaultRetryPolicy::new([]))
        .build()
        .unwrap();
    let reconnecting = Arc::new(AtomicBool::new(false));
    connection.on_reconnecting({
        let reconnecting = reconnecting.clone();
        move |_| reconnecting.store(true, Ordering::Relaxed)
    });
    connection.start().await.unwrap();
    tokio::time::timeout(WAIT, connection.closed())
        .await
        .unwrap();
    assert!(
        !reconnecting.load(Ordering::Relaxed),
        "a reconnecting event though no attempt was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_message_in_many_frames_is_read_in_linear_time() {
    const FRAMES: usize = 8192;
    const FRAME: usize = 1024;
    let url = answered(|mut socket| async move {
        while let Some(Ok(frame)) = socket.next().await {
            let Some(call) = records(&frame)
                .into_iter()
                .find(|record| record["target"] == "Echo")
            else {
                continue;
            };
            let id = call["invocationId"].as_str().unwrap().to_owned();
            // One 8 MiB completion, 1 KiB per WebSocket frame.
            let mut message =
                format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":\"").into_bytes();
            message.resize(FRAMES * FRAME - 3, b'x');
            message.extend_from_slice(b"\"}\x1e");
            for piece in message.chunks(FRAME) {
                let piece = String::from_utf8(piece.to_vec()).unwrap();
                socket.send(Message::text(piece)).await.unwrap();
            }
        }
    })
    .await;
    let connection = connection(&url);
    connection.start().await.unwrap();
    // Scanning everything received for a record separator at every frame would take
    // minutes: 8192 frames times 4 MiB on average.
    let answer = tokio::time::timeout(WAIT, connection.invoke::<String>("Echo", Vec::new()))
        .await
        .expect("the message was read in time")
        .unwrap();
    assert!(answer.len() > 8_000_000 && answer.bytes().all(|byte| byte == b'x'));
    connection.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_neither_reads_nor_sends_times_out_during_a_write() {
    let url = answered(|socket| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(socket);
    })
    .await;
    let connection = HubConnection::builder(&url)
        .skip_negotiation(true)
        .server_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let big = "x".repeat(1024 * 1024);
    for _ in 0..32 {
        connection
            .send("Big", vec![Value::new(big.clone())])
            .await
            .unwrap();
    }
    let reason = tokio::time::timeout(WAIT, connection.closed())
        .await
        .expect("the server timeout ends a connection stuck in a write");
    assert_eq!(reason, Some(ClientError::ServerTimeout));
}
