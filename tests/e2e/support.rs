//! A test hub, a server on a free port, and small raw clients.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_runtime::auth::User;
use signalr_runtime::hub::ClientStream;
use signalr_runtime::raw::{ConnectionHandler, RawConnection};
use signalr_runtime::stream::{self, Stream};
use signalr_runtime::{
    HubCx, HubError, HubOptions, HubResult, SignalR, Transport, hub, hub_client,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something the server should send promptly.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

pub(crate) const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";

/// What the tests call.
#[hub]
pub(crate) trait Test {
    /// Refuses connections whose query says `reject`; asks the caller for a result when it
    /// says `ask`.
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()>;
    /// Tells everyone else `Left(id)`, if the connection's query says `announce`.
    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>);
    async fn echo(&self, text: String) -> String;
    async fn fail(&self, text: String) -> HubResult<()>;
    async fn notify_caller(&self, cx: &HubCx, text: String) -> HubResult<()>;
    /// The query parameter, cookie and header called `name` of the transport request.
    async fn request_info(&self, cx: &HubCx, name: String) -> [Option<String>; 3];
    /// Asks the caller `Confirm(question)` and returns its answer (a client result).
    async fn ask_caller(&self, cx: &HubCx, question: String) -> HubResult<bool>;
    /// Asks the caller `Confirm(question)`, giving up after 200 ms.
    async fn ask_caller_briefly(&self, cx: &HubCx, question: String) -> HubResult<bool>;
    /// The same on every client, which cannot answer as one.
    async fn ask_all(&self, cx: &HubCx, question: String) -> HubResult<bool>;
    /// Every client receives `Notified(text)`.
    async fn shout(&self, cx: &HubCx, text: String) -> HubResult<()>;
    /// A bug in hub code.
    async fn boom(&self) -> String;
    /// The name of the transport carrying the caller.
    async fn transport_name(&self, cx: &HubCx) -> String;
    /// Streams 1 to `to`.
    fn counter(&self, to: u32) -> impl Stream<Item = u32> + Send;
    /// Streams 1, then fails.
    fn fail_midway(&self) -> impl Stream<Item = HubResult<u32>> + Send;
    /// Refuses to start streaming.
    fn refuse(&self, why: String) -> HubResult<impl Stream<Item = u32> + Send>;
    /// Never yields; tells the caller `StreamCanceled()` when cancelled.
    fn forever(&self, cx: &HubCx) -> impl Stream<Item = u32> + Send;
    /// Never yields; `tag` is in [`live_streams`] for as long as the stream exists.
    fn tracked(&self, tag: String) -> impl Stream<Item = u32> + Send;
    /// Waits until cancelled, then tells the caller `StreamCanceled()` and returns.
    async fn until_cancelled(&self, cx: &HubCx) -> String;
    /// Joins the uploaded strings.
    async fn concat(&self, parts: ClientStream<String>) -> HubResult<String>;
    /// Sends every client `count` messages of `size` bytes, pausing a moment between them.
    async fn flood(&self, cx: &HubCx, count: u32, size: usize) -> HubResult<()>;
    /// Streams `count` items of `size` bytes.
    fn big_items(&self, count: u32, size: usize) -> impl Stream<Item = String> + Send;
    /// Only for authenticated users.
    #[hub(authorize)]
    async fn members_only(&self) -> String;
    /// Only for administrators.
    #[hub(authorize = "admin")]
    async fn admin_only(&self) -> String;
    /// Adds the caller to `group`.
    async fn join(&self, cx: &HubCx, group: String);
    /// Takes the caller out of `group`.
    async fn leave(&self, cx: &HubCx, group: String);
    /// Sends `Notified(text)` to a group, groups, or user, as `how` says.
    async fn send_to(
        &self,
        cx: &HubCx,
        how: String,
        names: Vec<String>,
        text: String,
    ) -> HubResult<()>;
    /// The caller's user, from the `user` query parameter.
    async fn who_am_i(&self, cx: &HubCx) -> Option<String>;
    /// Adds up two uploaded streams.
    async fn sum_two(&self, first: ClientStream<i64>, second: ClientStream<i64>) -> HubResult<i64>;
}

/// What the server calls on test clients.
#[hub_client]
pub(crate) trait TestClient {
    async fn notified(&self, text: String);
    async fn confirm(&self, question: String) -> bool;
    async fn stream_canceled(&self);
    async fn left(&self, connection_id: String);
}

/// The tags of the `Tracked` streams that exist now, server side.
pub(crate) fn live_streams() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static LIVE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    LIVE.get_or_init(Default::default)
}

/// A stream `x`, then a call that reuses `x` and opens an upload, then the upload's end: the
/// pattern that once completed `x` in place of the stream and left the stream running for ever.
pub(crate) fn reuse_pattern(tag: &str) -> [String; 3] {
    [
        format!("{{\"type\":4,\"invocationId\":\"x\",\"target\":\"Tracked\",\"arguments\":[\"{tag}\"]}}\u{1e}"),
        "{\"type\":1,\"invocationId\":\"x\",\"target\":\"Concat\",\"arguments\":[],\"streamIds\":[\"s\"]}\u{1e}".to_owned(),
        "{\"type\":3,\"invocationId\":\"s\"}\u{1e}".to_owned(),
    ]
}

/// Keeps a tag in [`live_streams`] until dropped.
struct Alive(String);

impl Alive {
    fn new(tag: String) -> Self {
        live_streams().lock().unwrap().insert(tag.clone());
        Alive(tag)
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        live_streams().lock().unwrap().remove(&self.0);
    }
}

/// A hub with one method of each kind the tests need.
pub(crate) struct Tester;

impl Test for Tester {
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()> {
        if cx.query("ask").is_some() {
            // Refused: no answer could be read before on_connected returns.
            cx.clients().caller().confirm("already?".to_owned()).await?;
        }
        match cx.query("reject") {
            Some(_) => Err(HubError::new("not welcome")),
            None => Ok(()),
        }
    }

    async fn on_disconnected(&self, cx: &HubCx, _error: Option<&str>) {
        // Only for connections that ask, so that other tests see no `Left` messages.
        if cx.query("announce").is_some() {
            let _ = cx
                .clients()
                .others()
                .left(cx.connection_id().to_string())
                .await;
        }
    }

    async fn echo(&self, text: String) -> String {
        text
    }

    async fn fail(&self, text: String) -> HubResult<()> {
        Err(HubError::new(text))
    }

    async fn notify_caller(&self, cx: &HubCx, text: String) -> HubResult<()> {
        cx.clients().caller().notified(text).await
    }

    async fn request_info(&self, cx: &HubCx, name: String) -> [Option<String>; 3] {
        let header = cx
            .headers()
            .get(&name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        [cx.query(&name), cx.cookie(&name), header]
    }

    async fn ask_caller(&self, cx: &HubCx, question: String) -> HubResult<bool> {
        cx.clients().caller().confirm(question).await
    }

    async fn ask_caller_briefly(&self, cx: &HubCx, question: String) -> HubResult<bool> {
        let patience = std::time::Duration::from_millis(200);
        cx.clients()
            .caller()
            .timeout(patience)
            .confirm(question)
            .await
    }

    async fn ask_all(&self, cx: &HubCx, question: String) -> HubResult<bool> {
        cx.clients().all().confirm(question).await
    }

    async fn shout(&self, cx: &HubCx, text: String) -> HubResult<()> {
        cx.clients().all().notified(text).await
    }

    fn counter(&self, to: u32) -> impl Stream<Item = u32> + Send {
        stream::iter(1..=to)
    }

    fn fail_midway(&self) -> impl Stream<Item = HubResult<u32>> + Send {
        stream::iter([Ok(1), Err(HubError::new("broke"))])
    }

    fn refuse(&self, why: String) -> HubResult<impl Stream<Item = u32> + Send> {
        Err::<stream::Empty<u32>, _>(HubError::new(why))
    }

    fn forever(&self, cx: &HubCx) -> impl Stream<Item = u32> + Send {
        let cx = cx.clone();
        tokio::spawn(async move {
            cx.cancelled().await;
            let _ = cx.clients().caller().stream_canceled().await;
        });
        stream::pending()
    }

    fn tracked(&self, tag: String) -> impl Stream<Item = u32> + Send {
        let alive = Alive::new(tag);
        stream::pending().map(move |item| {
            let _alive = &alive;
            item
        })
    }

    async fn until_cancelled(&self, cx: &HubCx) -> String {
        cx.cancelled().await;
        let _ = cx.clients().caller().stream_canceled().await;
        "stopped".to_owned()
    }

    async fn flood(&self, cx: &HubCx, count: u32, size: usize) -> HubResult<()> {
        let text = "x".repeat(size);
        for _ in 0..count {
            cx.clients().all().notified(text.clone()).await?;
            tokio::time::sleep(std::time::Duration::from_micros(200)).await;
        }
        Ok(())
    }

    fn big_items(&self, count: u32, size: usize) -> impl Stream<Item = String> + Send {
        let text = "y".repeat(size);
        stream::iter((0..count).map(move |_| text.clone()))
    }

    async fn members_only(&self) -> String {
        "welcome".to_owned()
    }

    async fn admin_only(&self) -> String {
        "root".to_owned()
    }

    async fn join(&self, cx: &HubCx, group: String) {
        let _ = cx.groups().add(cx.connection_id(), &group).await;
    }

    async fn leave(&self, cx: &HubCx, group: String) {
        let _ = cx.groups().remove(cx.connection_id(), &group).await;
    }

    async fn send_to(
        &self,
        cx: &HubCx,
        how: String,
        names: Vec<String>,
        text: String,
    ) -> HubResult<()> {
        let clients = cx.clients();
        let first = names.first().cloned().unwrap_or_default();
        let target = match how.as_str() {
            "group" => clients.group(first),
            "groups" => clients.groups(names),
            "group-except-caller" => clients.group_except(first, [cx.connection_id().clone()]),
            "others-in-group" => clients.others_in_group(first),
            "user" => clients.user(first),
            "users" => clients.users(names),
            other => return Err(HubError::new(format!("unknown target {other}"))),
        };
        target.notified(text).await
    }

    async fn who_am_i(&self, cx: &HubCx) -> Option<String> {
        cx.user_identifier().map(str::to_owned)
    }

    async fn concat(&self, mut parts: ClientStream<String>) -> HubResult<String> {
        let mut all = String::new();
        while let Some(part) = parts.next().await {
            all.push_str(&part?);
        }
        Ok(all)
    }

    async fn sum_two(&self, first: ClientStream<i64>, second: ClientStream<i64>) -> HubResult<i64> {
        let mut total = 0;
        let mut both = stream::select(first, second);
        while let Some(number) = both.next().await {
            total += number?;
        }
        Ok(total)
    }

    async fn transport_name(&self, cx: &HubCx) -> String {
        cx.transport().name().to_owned()
    }

    async fn boom(&self) -> String {
        let empty: Vec<String> = Vec::new();
        empty[0].clone()
    }
}

/// Sends every chunk back.
pub(crate) struct Echo;

impl ConnectionHandler for Echo {
    async fn on_connected(&self, mut connection: RawConnection) {
        while let Some(chunk) = connection.recv().await {
            if connection.send(chunk).await.is_err() {
                break;
            }
        }
    }
}

/// Serves, on a free loopback port for the rest of the test: [`Tester`] at `/hub` with
/// `options`, the same hub without WebSockets at `/hub-nows`, and the raw [`Echo`] at `/echo`.
pub(crate) async fn serve(options: HubOptions) -> SocketAddr {
    // The user is whoever the `user` query parameter says: enough for tests of user targets.
    // Bearer tokens `token-NAME` and `token-NAME-admin` authenticate NAME (as an administrator).
    let options = options
        .user_id(|_, uri| {
            uri.query()?
                .split('&')
                .find_map(|pair| pair.strip_prefix("user="))
                .map(str::to_owned)
        })
        .authenticate(|credentials| {
            let name = credentials.bearer_token()?.strip_prefix("token-")?;
            Some(match name.strip_suffix("-admin") {
                Some(admin) => User::new(admin).with_role("admin"),
                None => User::new(name),
            })
        });
    let no_websockets = options
        .clone()
        .transports([Transport::ServerSentEvents, Transport::LongPolling]);
    let secure = options
        .clone()
        .require_authentication(true)
        .allowed_origins(["http://allowed.example"]);
    let mut signalr = SignalR::new()
        .hub_with_options("/hub", Tester.into_hub(), options)
        .hub_with_options("/hub-nows", Tester.into_hub(), no_websockets)
        .hub_with_options("/secure", Tester.into_hub(), secure)
        .connection("/echo", Echo);
    let context = signalr.context::<TestHub<Tester>>();
    let broadcast = move |text: String| async move {
        match context.all().notified(text).await {
            Ok(()) => axum::http::StatusCode::OK,
            Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    };
    let group_context = signalr.context::<TestHub<Tester>>();
    let to_group = move |axum::extract::Path(group): axum::extract::Path<String>, text: String| async move {
        match group_context.group(group).notified(text).await {
            Ok(()) => axum::http::StatusCode::OK,
            Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    };
    let app = signalr
        .into_router()
        .route("/broadcast", axum::routing::post(broadcast))
        .route("/to-group/{group}", axum::routing::post(to_group));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Opens a WebSocket to `/hub` with `query` (empty for no negotiation).
pub(crate) async fn connect(addr: SocketAddr, query: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/hub{query}"))
        .await
        .unwrap();
    ws
}

/// Connects without negotiation and completes the JSON handshake.
pub(crate) async fn connect_ready(addr: SocketAddr) -> Ws {
    let mut ws = connect(addr, "").await;
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    ws
}

pub(crate) async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// The next data frame, as text; fails on close or after [`PATIENCE`].
pub(crate) async fn recv(ws: &mut Ws) -> String {
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("timed out waiting for a frame");
        match next.expect("connection ended").expect("transport error") {
            Message::Text(text) => return text.to_string(),
            Message::Binary(bytes) => return String::from_utf8(bytes.to_vec()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a data frame, got {other:?}"),
        }
    }
}

/// The records of `text` that are not Pings.
pub(crate) fn records(text: &str) -> impl Iterator<Item = &str> {
    text.split('\u{1e}')
        .filter(|record| !record.is_empty() && *record != "{\"type\":6}")
}

/// Waits for the server's close frame and asserts it is a normal closure.
pub(crate) async fn expect_close(ws: &mut Ws) {
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("timed out waiting for close");
        match next {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| f.code), Some(CloseCode::Normal));
                return;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(other)) => panic!("expected close, got {other:?}"),
            Some(Err(error)) => panic!("expected close, got error {error}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

/// A new client can still handshake and invoke: the server survived whatever came before.
pub(crate) async fn assert_server_healthy(addr: SocketAddr) {
    let mut ws = connect_ready(addr).await;
    send(
        &mut ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"ok\"]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"ok\"}\u{1e}"
    );
}

/// A minimal HTTP/1.1 request; returns the status code and the body.
pub(crate) async fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    http_with(addr, method, path, &[], b"").await
}

/// An HTTP/1.1 request with extra headers and a body; returns the status code and the body.
pub(crate) async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let (status, _, body) = raw_http(addr, method, path, headers, body).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An HTTP/1.1 request; returns the status, the response head (lower case) and the raw body.
pub(crate) async fn raw_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("no response")
        .unwrap();
    let end = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    (status, head, response[end + 4..].to_vec())
}

/// Negotiates (v1) at `path` (`/hub`, `/echo`, …) and returns the connection token.
pub(crate) async fn negotiate_token(addr: SocketAddr, path: &str) -> String {
    let (_, body) = http(
        addr,
        "POST",
        &format!("{path}/negotiate?negotiateVersion=1"),
    )
    .await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["connectionToken"].as_str().unwrap().to_owned()
}

/// POSTs `body` to the `/hub` connection of `token`; the status.
pub(crate) async fn post(addr: SocketAddr, token: &str, body: &str) -> u16 {
    http_with(
        addr,
        "POST",
        &format!("/hub?id={token}"),
        &[],
        body.as_bytes(),
    )
    .await
    .0
}

/// One Long Polling poll of the `/hub` connection of `token`.
pub(crate) async fn poll(addr: SocketAddr, token: &str) -> (u16, String) {
    http(addr, "GET", &format!("/hub?id={token}&_=1")).await
}

/// A Long Polling connection to `/hub`, past its first poll and handshake; its token.
pub(crate) async fn long_polling(addr: SocketAddr) -> String {
    let token = negotiate_token(addr, "/hub").await;
    assert_eq!(
        poll(addr, &token).await,
        (200, String::new()),
        "the first poll returns at once"
    );
    assert_eq!(post(addr, &token, HANDSHAKE).await, 200);
    assert_eq!(poll(addr, &token).await, (200, "{}\u{1e}".to_owned()));
    token
}
