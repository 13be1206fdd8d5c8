//! Transport fallback: a server that offers WebSockets but fails the upgrade gets a Long Polling
//! connection instead, after a fresh negotiate. The server is a small fake (axum) that offers
//! both transports and speaks just enough Long Polling for a handshake and one `Echo`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use signalr_runtime::Transport;
use signalr_runtime::client::HubConnection;
use signalr_runtime::protocol::Value;
use tokio::sync::{Mutex, mpsc};

#[derive(Clone)]
struct Fake {
    negotiates: Arc<AtomicUsize>,
    upgrades: Arc<AtomicUsize>,
    polls: Arc<AtomicUsize>,
    /// What the next polls return, queued by the POST handler.
    outbox: mpsc::UnboundedSender<String>,
    inbox: Arc<Mutex<mpsc::UnboundedReceiver<String>>>,
}

async fn negotiate(State(fake): State<Fake>) -> String {
    let n = fake.negotiates.fetch_add(1, Ordering::Relaxed);
    serde_json::json!({
        "negotiateVersion": 1,
        "connectionId": format!("connection-{n}"),
        "connectionToken": format!("token-{n}"),
        "availableTransports": [
            { "transport": "WebSockets", "transferFormats": ["Text", "Binary"] },
            { "transport": "LongPolling", "transferFormats": ["Text", "Binary"] },
        ],
    })
    .to_string()
}

/// A WebSocket upgrade fails with 500; a poll returns what is queued (the first one at once).
async fn poll(State(fake): State<Fake>, headers: HeaderMap) -> (StatusCode, String) {
    if headers.contains_key(header::UPGRADE) {
        fake.upgrades.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "no WebSockets today".to_owned(),
        );
    }
    if fake.polls.fetch_add(1, Ordering::Relaxed) == 0 {
        return (StatusCode::OK, String::new());
    }
    let mut inbox = fake.inbox.lock().await;
    match tokio::time::timeout(Duration::from_secs(2), inbox.recv()).await {
        Ok(Some(body)) => (StatusCode::OK, body),
        _ => (StatusCode::OK, String::new()),
    }
}

/// Answers the handshake, and every `Echo` with its argument.
async fn send(State(fake): State<Fake>, body: String) -> StatusCode {
    for record in body.split('\u{1e}').filter(|record| !record.is_empty()) {
        let message: serde_json::Value = serde_json::from_str(record).unwrap();
        if message.get("protocol").is_some() {
            let _ = fake.outbox.send("{}\u{1e}".to_owned());
        } else if message["target"] == "Echo" {
            let reply = serde_json::json!({
                "type": 3,
                "invocationId": message["invocationId"],
                "result": message["arguments"][0],
            });
            let _ = fake.outbox.send(format!("{reply}\u{1e}"));
        }
    }
    StatusCode::OK
}

#[tokio::test]
async fn a_failed_websocket_falls_back_to_long_polling() {
    let (outbox, inbox) = mpsc::unbounded_channel();
    let fake = Fake {
        negotiates: Arc::default(),
        upgrades: Arc::default(),
        polls: Arc::default(),
        outbox,
        inbox: Arc::new(Mutex::new(inbox)),
    };
    let app = axum::Router::new()
        .route("/hub/negotiate", post(negotiate))
        .route(
            "/hub",
            get(poll).post(send).delete(|| async { StatusCode::OK }),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let connection = HubConnection::builder(url).build().unwrap();
    connection.start().await.unwrap();
    assert_eq!(connection.transport(), Some(Transport::LongPolling));
    assert_eq!(fake.upgrades.load(Ordering::Relaxed), 1);
    // A connection token is good for one transport: Long Polling negotiated again.
    assert_eq!(fake.negotiates.load(Ordering::Relaxed), 2);
    assert_eq!(connection.connection_id().as_deref(), Some("connection-1"));
    let echoed: String = connection
        .invoke("Echo", vec![Value::new("over polls")])
        .await
        .unwrap();
    assert_eq!(echoed, "over polls");
    connection.stop().await;
}
