//! What the runtime logs: a failing hub method once at error level with its hub, method and
//! connection (and the connection span's transport and user), and never a bearer token or a
//! connection token, at any level. A binary of its own, because it installs the process's
//! global `tracing` subscriber.

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

use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use signalr_runtime::auth::User;
use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::{HubError, HubOptions, HubResult, SignalR, Transport, hub};
use tokio::net::TcpListener;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use support::{HANDSHAKE, Ws, http, recv, send};

/// The one bearer token the server accepts: distinctive, so that any trace of it is found.
const BEARER: &str = "bearer-Qx7vKz93mWpL-never-log-me";

/// What `Fail` fails with.
const FAILURE: &str = "disk on fire 4711";

#[hub]
pub(crate) trait Noisy {
    async fn fail(&self) -> HubResult<()>;
    /// A bug in hub code.
    async fn boom(&self) -> String;
}

struct Loud;

impl Noisy for Loud {
    async fn fail(&self) -> HubResult<()> {
        Err(HubError::new(FAILURE))
    }

    async fn boom(&self) -> String {
        let empty: Vec<String> = Vec::new();
        empty[0].clone()
    }
}

/// Everything written to the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Installs the global subscriber, once: every level, span fields on every line, and a line
/// for every span's creation and end. What it writes is kept in memory.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_max_level(LevelFilter::TRACE)
            .with_span_events(FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        captured
    })
}

/// The `id` of every request the server received (connection tokens, in transport URLs).
type Tokens = Arc<Mutex<BTreeSet<String>>>;

/// Serves [`Loud`] at `/noisy`, for the [`BEARER`] token alone; records the connection token
/// of every request.
async fn serve(tokens: Tokens) -> SocketAddr {
    let options = HubOptions::default()
        .authenticate(|credentials| {
            (credentials.bearer_token() == Some(BEARER)).then(|| User::new("logger"))
        })
        .require_authentication(true);
    let record = move |request: axum::extract::Request, next: axum::middleware::Next| {
        let token = request.uri().query().and_then(|query| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("id="))
                .map(str::to_owned)
        });
        if let Some(token) = token {
            tokens.lock().unwrap().insert(token);
        }
        next.run(request)
    };
    let app = SignalR::new()
        .hub_with_options("/noisy", Loud.into_hub(), options)
        .into_router()
        .layer(axum::middleware::from_fn(record));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// One Rust client connection over `transport`: calls `Fail` and `Boom`, then stops; its
/// connection id.
async fn client_session(addr: SocketAddr, transport: Transport) -> String {
    let connection = HubConnection::builder(format!("http://{addr}/noisy"))
        .transports([transport])
        .access_token_factory(|| async { Ok(BEARER.to_owned()) })
        .build()
        .unwrap();
    connection.start().await.unwrap();
    assert_eq!(connection.transport(), Some(transport));
    let id = connection.connection_id().unwrap();
    match connection.invoke::<()>("Fail", Vec::new()).await {
        Err(ClientError::Hub(text)) => assert_eq!(
            text,
            format!(
                "An unexpected error occurred invoking 'Fail' on the server. HubException: {FAILURE}"
            )
        ),
        other => panic!("expected the hub's error, got {other:?}"),
    }
    match connection.invoke::<String>("Boom", Vec::new()).await {
        Err(ClientError::Hub(text)) => assert_eq!(
            text,
            "An unexpected error occurred invoking 'Boom' on the server."
        ),
        other => panic!("expected the hub's error, got {other:?}"),
    }
    connection.stop().await;
    id
}

/// The same as a browser does it: the bearer token in the query of negotiate and of the
/// WebSocket URL; the connection id and token.
async fn browser_like_session(addr: SocketAddr) -> (String, String) {
    let (status, body) = http(
        addr,
        "POST",
        &format!("/noisy/negotiate?negotiateVersion=1&access_token={BEARER}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let negotiated: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = negotiated["connectionId"].as_str().unwrap().to_owned();
    let token = negotiated["connectionToken"].as_str().unwrap().to_owned();
    let (mut ws, _): (Ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/noisy?id={token}&access_token={BEARER}"
    ))
    .await
    .unwrap();
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Fail\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert!(recv(&mut ws).await.contains(FAILURE));
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Boom\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert!(recv(&mut ws).await.contains("'Boom'"));
    ws.close(None).await.unwrap();
    (id, token)
}

/// The lines of `output` that contain every one of `parts`.
fn lines_with<'a>(output: &'a str, parts: &[&str]) -> Vec<&'a str> {
    output
        .lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_logged_once_with_their_context_and_secrets_never() {
    let captured = captured();
    let tokens = Tokens::default();
    let addr = serve(Arc::clone(&tokens)).await;

    let mut connections = Vec::new();
    for transport in [
        Transport::WebSockets,
        Transport::ServerSentEvents,
        Transport::LongPolling,
    ] {
        let id = client_session(addr, transport).await;
        connections.push((id, transport.name()));
    }
    let (browser, browser_token) = browser_like_session(addr).await;
    connections.push((browser, "WebSockets"));

    // Every connection's span has ended: everything it would log has been logged. (An ended
    // Server-Sent Events connection waits 5 s for more POSTs before its span closes.)
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let output = captured.text();
        let ended = connections
            .iter()
            .filter(|(id, _)| {
                lines_with(
                    &output,
                    &[&format!("connection{{id={id} "), " close time.busy="],
                )
                .iter()
                .any(|line| !line.contains(":invocation{"))
            })
            .count();
        if ended == connections.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{ended} of {} connection spans closed:\n{output}",
            connections.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = captured.text();

    for (id, transport) in &connections {
        for (method, message) in [
            ("Fail", "hub method failed"),
            ("Boom", "hub method panicked"),
        ] {
            let lines = lines_with(&output, &[message, id.as_str()]);
            assert_eq!(
                lines.len(),
                1,
                "{method} on {id} ({transport}) logged {} times:\n{output}",
                lines.len()
            );
            let line = lines[0];
            assert!(line.contains(" ERROR "), "{line}");
            assert!(line.contains(&format!("method=\"{method}\"")), "{line}");
            assert!(line.contains("hub=\"/noisy\""), "{line}");
            assert!(line.contains(&format!("connection={id}")), "{line}");
            // The connection's span: its transport and user, never a token.
            assert!(
                line.contains(&format!("transport=\"{transport}\"")),
                "{line}"
            );
            assert!(line.contains("user=\"logger\""), "{line}");
        }
        // Nothing else about these failures at error level.
        let errors = lines_with(&output, &[" ERROR ", id.as_str()]);
        assert_eq!(errors.len(), 2, "{errors:#?}");
    }
    assert_eq!(
        lines_with(&output, &[" ERROR ", FAILURE]).len(),
        4,
        "{output}"
    );
    assert_eq!(
        lines_with(&output, &[" ERROR ", "hub method panicked"]).len(),
        4,
        "{output}"
    );

    assert!(
        !output.contains(BEARER),
        "the bearer token was logged:\n{}",
        lines_with(&output, &[BEARER]).join("\n")
    );
    let tokens = tokens.lock().unwrap().clone();
    // Three client connections and the browser-like one each used a token of their own.
    assert!(tokens.len() >= 4, "{tokens:?}");
    assert!(tokens.contains(&browser_token), "{tokens:?}");
    for token in &tokens {
        assert!(
            connections.iter().all(|(id, _)| id != token),
            "a token is not its connection's id"
        );
        assert!(
            !output.contains(token.as_str()),
            "connection token {token} was logged:\n{}",
            lines_with(&output, &[token]).join("\n")
        );
    }
}
