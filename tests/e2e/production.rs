//! Production hubs (issue #15): claims from a tower layer, async authenticators and their own
//! refusals, policies, the same-user check on transport requests, per-connection items, the
//! remote address, hub filters and the readiness endpoint, all over real sockets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use signalr_runtime::auth::{AuthorizationContext, Credentials, User};
use signalr_runtime::hub::{
    ConnectedNext, DisconnectedNext, HubFilter, HubInvocation, InvocationResult, InvokeError, Next,
};
use signalr_runtime::{HubCx, HubError, HubOptions, HubResult, SignalR, hub};
use tokio::net::TcpListener;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::*;

/// What a tower layer in front of the router found in the request's `x-claims` header
/// (`user=ada,tenant=acme,staff=true`): a stand-in for an authentication middleware's claims.
#[derive(Debug, Clone)]
struct Claims(Vec<(String, String)>);

impl Claims {
    fn get(&self, kind: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(claim, _)| claim == kind)
            .map(|(_, value)| value.as_str())
    }
}

/// The tower layer: parses `x-claims` into [`Claims`] in the request's extensions.
async fn claims_layer(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let header = request
        .headers()
        .get("x-claims")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(header) = header {
        let pairs = header
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(kind, value)| (kind.to_owned(), value.to_owned()))
            .collect();
        request.extensions_mut().insert(Claims(pairs));
    }
    next.run(request).await
}

/// The authenticator: the user the layer's claims name, with those claims and one of its own.
fn from_claims(credentials: &Credentials<'_>) -> Option<User> {
    let claims = credentials.extensions().get::<Claims>()?;
    let mut user = User::new(claims.get("user")?);
    for (kind, value) in claims.0.iter().filter(|(kind, _)| kind != "user") {
        user = user.with_claim(kind, value);
    }
    Some(user.with_claim("seen-by", "authenticator"))
}

/// The check `GoldOnly` names by path.
fn has_gold_badge(cx: &AuthorizationContext<'_>) -> bool {
    cx.user()
        .is_some_and(|user| user.has_claim("badge", "gold"))
}

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

/// The hub of these tests.
#[hub]
pub(crate) trait Prod {
    /// Logs `on_connected`.
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()>;
    /// Logs `on_disconnected`.
    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>);
    /// Logs `Echo <text>`.
    async fn echo(&self, text: String) -> String;
    /// The tenant in the transport request's [`Claims`] extension.
    async fn tenant(&self, cx: &HubCx) -> Option<String>;
    /// The caller's claim of type `kind`.
    async fn claim(&self, cx: &HubCx, kind: String) -> Option<String>;
    #[hub(policy = "Staff")]
    async fn staff_only(&self) -> String;
    #[hub(policy = has_gold_badge)]
    async fn gold_only(&self) -> String;
    /// Counts the calls of this connection, in its items.
    async fn count(&self, cx: &HubCx) -> u32;
    /// The client's address, as the server saw it.
    async fn remote(&self, cx: &HubCx) -> Option<String>;
    /// Sleeps `ms` milliseconds.
    async fn slow(&self, ms: u64) -> String;
}

/// Only for authenticated users, every method.
#[hub(authorize)]
pub(crate) trait Locked {
    async fn ping(&self) -> String;
}

#[derive(Debug, Clone, Default)]
struct Counter(u32);

struct Production {
    log: Log,
}

impl Prod for Production {
    async fn on_connected(&self, _cx: &HubCx) -> HubResult<()> {
        push(&self.log, "on_connected");
        Ok(())
    }

    async fn on_disconnected(&self, _cx: &HubCx, _error: Option<&str>) {
        push(&self.log, "on_disconnected");
    }

    async fn echo(&self, text: String) -> String {
        push(&self.log, format!("Echo {text}"));
        text
    }

    async fn tenant(&self, cx: &HubCx) -> Option<String> {
        cx.extension::<Claims>()
            .and_then(|claims| claims.get("tenant"))
            .map(str::to_owned)
    }

    async fn claim(&self, cx: &HubCx, kind: String) -> Option<String> {
        cx.user()
            .and_then(|user| user.claim(&kind))
            .map(str::to_owned)
    }

    async fn staff_only(&self) -> String {
        "staff".to_owned()
    }

    async fn gold_only(&self) -> String {
        "gold".to_owned()
    }

    async fn count(&self, cx: &HubCx) -> u32 {
        cx.items()
            .update(|Counter(count): &mut Counter| {
                *count += 1;
                *count
            })
            .unwrap_or_default()
    }

    async fn remote(&self, cx: &HubCx) -> Option<String> {
        cx.remote_addr().map(|addr| addr.to_string())
    }

    async fn slow(&self, ms: u64) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        "slept".to_owned()
    }
}

struct Door;

impl Locked for Door {
    async fn ping(&self) -> String {
        "pong".to_owned()
    }
}

fn production() -> (Production, Log) {
    let log = Log::default();
    (
        Production {
            log: Arc::clone(&log),
        },
        log,
    )
}

/// The options of `/prod`: users from the claims layer, and the `Staff` policy.
fn prod_options() -> HubOptions {
    HubOptions::default().authenticate(from_claims).policy(
        "Staff",
        |cx: &AuthorizationContext<'_>| {
            cx.user()
                .is_some_and(|user| user.has_claim("staff", "true"))
        },
    )
}

/// Serves `app` on a free loopback port, recording each connection's remote address.
async fn listen(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    addr
}

/// Serves `app` without recording remote addresses.
async fn listen_plain(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// `/prod` with [`prod_options`] and `/locked`, behind the claims layer; the hub's log.
async fn serve_prod() -> (SocketAddr, Log) {
    let (hub, log) = production();
    let app = SignalR::new()
        .hub_with_options("/prod", hub.into_hub(), prod_options())
        .hub_with_options(
            "/locked",
            Door.into_hub(),
            HubOptions::default().authenticate(from_claims),
        )
        .into_router()
        .layer(axum::middleware::from_fn(claims_layer));
    (listen(app).await, log)
}

/// A WebSocket to `path` with extra headers, past the JSON handshake.
async fn open(addr: SocketAddr, path: &str, headers: &[(&'static str, &str)]) -> Ws {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send(&mut ws, HANDSHAKE).await;
    assert_eq!(recv(&mut ws).await, "{}\u{1e}");
    ws
}

/// Invokes `target` with `arguments` (a JSON array's items) as invocation `id`; the record
/// that answers it.
async fn call(ws: &mut Ws, id: &str, target: &str, arguments: &str) -> String {
    send(
        ws,
        &format!(
            "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"{target}\",\"arguments\":[{arguments}]}}\u{1e}"
        ),
    )
    .await;
    recv(ws).await
}

fn result(id: &str, value: &str) -> String {
    format!("{{\"type\":3,\"invocationId\":\"{id}\",\"result\":{value}}}\u{1e}")
}

fn error(id: &str, text: &str) -> String {
    format!("{{\"type\":3,\"invocationId\":\"{id}\",\"error\":\"{text}\"}}\u{1e}")
}

fn unauthorized(target: &str) -> String {
    format!("Failed to invoke '{target}' because user is unauthorized")
}

/// Waits until `done` holds, failing after [`PATIENCE`].
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// a. Claims from a tower layer, through the authenticator to the hub.

#[tokio::test]
async fn claims_a_tower_layer_found_reach_the_authenticator_and_the_hub() {
    let (addr, _) = serve_prod().await;
    let mut ada = open(addr, "/prod", &[("x-claims", "user=ada,tenant=acme")]).await;
    // Read from the transport request's extensions.
    assert_eq!(
        call(&mut ada, "1", "Tenant", "").await,
        result("1", "\"acme\"")
    );
    // Claims the authenticator made from those extensions.
    assert_eq!(
        call(&mut ada, "2", "Claim", "\"tenant\"").await,
        result("2", "\"acme\"")
    );
    assert_eq!(
        call(&mut ada, "3", "Claim", "\"seen-by\"").await,
        result("3", "\"authenticator\"")
    );
    assert_eq!(
        call(&mut ada, "4", "Claim", "\"staff\"").await,
        result("4", "null")
    );

    // Another tenant's connection sees its own claims.
    let mut bob = open(addr, "/prod", &[("x-claims", "user=bob,tenant=globex")]).await;
    assert_eq!(
        call(&mut bob, "1", "Tenant", "").await,
        result("1", "\"globex\"")
    );
    assert_eq!(
        call(&mut bob, "2", "Claim", "\"tenant\"").await,
        result("2", "\"globex\"")
    );

    // Without the header, the layer adds nothing and nobody is authenticated.
    let mut anonymous = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut anonymous, "1", "Tenant", "").await,
        result("1", "null")
    );
    assert_eq!(
        call(&mut anonymous, "2", "Claim", "\"seen-by\"").await,
        result("2", "null")
    );
}

// b. Policies, by name and by function, and a hub that requires authentication as a whole.

#[tokio::test]
async fn a_named_policy_refuses_callers_that_do_not_meet_it_and_admits_those_that_do() {
    let (addr, _) = serve_prod().await;
    let mut ada = open(addr, "/prod", &[("x-claims", "user=ada,staff=false")]).await;
    assert_eq!(
        call(&mut ada, "1", "StaffOnly", "").await,
        error("1", &unauthorized("StaffOnly"))
    );
    let mut anonymous = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut anonymous, "1", "StaffOnly", "").await,
        error("1", &unauthorized("StaffOnly"))
    );
    let mut bob = open(addr, "/prod", &[("x-claims", "user=bob,staff=true")]).await;
    assert_eq!(
        call(&mut bob, "1", "StaffOnly", "").await,
        result("1", "\"staff\"")
    );
    // The refusal refuses that call only.
    assert_eq!(
        call(&mut ada, "2", "Echo", "\"still here\"").await,
        result("2", "\"still here\"")
    );
}

#[tokio::test]
async fn a_policy_named_by_function_refuses_and_admits_by_its_check() {
    let (addr, _) = serve_prod().await;
    let mut silver = open(addr, "/prod", &[("x-claims", "user=ada,badge=silver")]).await;
    assert_eq!(
        call(&mut silver, "1", "GoldOnly", "").await,
        error("1", &unauthorized("GoldOnly"))
    );
    let mut gold = open(addr, "/prod", &[("x-claims", "user=bob,badge=gold")]).await;
    assert_eq!(
        call(&mut gold, "1", "GoldOnly", "").await,
        result("1", "\"gold\"")
    );
    // Gold is not staff: the two policies are checked separately.
    assert_eq!(
        call(&mut gold, "2", "StaffOnly", "").await,
        error("2", &unauthorized("StaffOnly"))
    );
}

#[tokio::test]
async fn a_hub_that_requires_authorization_as_a_whole_answers_401_to_anonymous_requests() {
    let (addr, _) = serve_prod().await;
    let negotiate = "/locked/negotiate?negotiateVersion=1";
    assert_eq!(http(addr, "POST", negotiate).await.0, 401);
    let anonymous = tokio_tungstenite::connect_async(format!("ws://{addr}/locked")).await;
    match anonymous {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        Err(other) => panic!("expected 401, got {other}"),
        Ok(_) => panic!("an anonymous WebSocket was accepted"),
    }
    // The hub without that requirement still lets them negotiate.
    assert_eq!(
        http(addr, "POST", "/prod/negotiate?negotiateVersion=1")
            .await
            .0,
        200
    );

    let ada = [("x-claims", "user=ada")];
    assert_eq!(http_with(addr, "POST", negotiate, &ada, b"").await.0, 200);
    let mut ws = open(addr, "/locked", &ada).await;
    assert_eq!(
        call(&mut ws, "1", "Ping", "").await,
        result("1", "\"pong\"")
    );
}

// c. An async authenticator: concurrent, and refusing with its own responses.

/// An authenticator that takes 50 ms per request; `banned` is refused with 403 and a body,
/// `expired` with 401 and a `WWW-Authenticate` header.
async fn serve_slow_authenticator() -> SocketAddr {
    let (hub, _) = production();
    let options = HubOptions::default().authenticate_async(|credentials| {
        let token = credentials.bearer_token().map(str::to_owned);
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            match token.as_deref() {
                None => Ok(None),
                Some("banned") => Err((StatusCode::FORBIDDEN, "banned: go away").into_response()),
                Some("expired") => Err((
                    StatusCode::UNAUTHORIZED,
                    [(
                        axum::http::header::WWW_AUTHENTICATE,
                        "Bearer error=\"invalid_token\"",
                    )],
                    "token expired",
                )
                    .into_response()),
                Some(name) => Ok(Some(User::new(name))),
            }
        }
    });
    let app = SignalR::new()
        .hub_with_options("/prod", hub.into_hub(), options)
        .into_router();
    listen(app).await
}

#[tokio::test]
async fn a_slow_async_authenticator_does_not_hold_up_other_requests() {
    let addr = serve_slow_authenticator().await;
    let started = Instant::now();
    let negotiations = (0..20).map(|i| async move {
        let bearer = format!("Bearer user-{i}");
        http_with(
            addr,
            "POST",
            "/prod/negotiate?negotiateVersion=1",
            &[("Authorization", &bearer)],
            b"",
        )
        .await
    });
    let answers = futures_util::future::join_all(negotiations).await;
    let elapsed = started.elapsed();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(body.contains("\"connectionToken\""), "{body}");
    }
    // Each one waited for the authenticator...
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    // ...but not for each other's (20 in turn would take a second).
    assert!(
        elapsed < Duration::from_millis(600),
        "20 negotiations took {elapsed:?}"
    );
}

#[tokio::test]
async fn an_authenticator_refusal_reaches_the_client_as_its_own_response() {
    let addr = serve_slow_authenticator().await;
    let negotiate = "/prod/negotiate?negotiateVersion=1";
    assert_eq!(
        http_with(
            addr,
            "POST",
            negotiate,
            &[("Authorization", "Bearer banned")],
            b""
        )
        .await,
        (403, "banned: go away".to_owned())
    );
    let (status, head, body) = raw_http(
        addr,
        "POST",
        negotiate,
        &[("Authorization", "Bearer expired")],
        b"",
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        head.contains("www-authenticate: bearer error=\"invalid_token\""),
        "{head}"
    );
    assert_eq!(body, b"token expired");
    // The query's token is the same credential (browsers' WebSockets cannot set headers).
    assert_eq!(
        http(addr, "GET", "/prod?id=x&access_token=banned").await,
        (403, "banned: go away".to_owned())
    );
    // Others are let in.
    assert_eq!(
        http_with(
            addr,
            "POST",
            negotiate,
            &[("Authorization", "Bearer ada")],
            b""
        )
        .await
        .0,
        200
    );
}

// d. The transport requests of a connection must come from the user that negotiated it.

#[tokio::test]
async fn transport_requests_from_another_user_than_the_negotiating_one_are_refused() {
    let addr = serve(HubOptions::default()).await;
    let ada = [("Authorization", "Bearer token-ada")];
    let bob = [("Authorization", "Bearer token-bob")];
    let (status, body) =
        http_with(addr, "POST", "/hub/negotiate?negotiateVersion=1", &ada, b"").await;
    assert_eq!(status, 200, "{body}");
    let negotiated: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = negotiated["connectionToken"].as_str().unwrap().to_owned();
    let path = format!("/hub?id={token}");
    let handshake = HANDSHAKE.as_bytes();

    // Bob, and nobody, may not use ada's connection: not to poll, send, stop or upgrade.
    for other in [&bob[..], &[]] {
        assert_eq!(http_with(addr, "GET", &path, other, b"").await.0, 403);
        assert_eq!(
            http_with(addr, "POST", &path, other, handshake).await.0,
            403
        );
        assert_eq!(http_with(addr, "DELETE", &path, other, b"").await.0, 403);
    }
    let mut upgrade = format!("ws://{addr}{path}").into_client_request().unwrap();
    upgrade
        .headers_mut()
        .insert("Authorization", "Bearer token-bob".parse().unwrap());
    match tokio_tungstenite::connect_async(upgrade).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        Err(other) => panic!("expected 403, got {other}"),
        Ok(_) => panic!("bob's WebSocket took ada's connection"),
    }

    // Ada may: the refusals left the connection untouched.
    assert_eq!(
        http_with(addr, "GET", &path, &ada, b"").await,
        (200, String::new()),
        "the first poll returns at once"
    );
    assert_eq!(http_with(addr, "POST", &path, &ada, handshake).await.0, 200);
    assert_eq!(
        http_with(addr, "GET", &path, &ada, b"").await,
        (200, "{}\u{1e}".to_owned())
    );
    let echo =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"mine\"]}\u{1e}";
    // Bob cannot send on it now that it runs either.
    assert_eq!(
        http_with(addr, "POST", &path, &bob, echo.as_bytes())
            .await
            .0,
        403
    );
    assert_eq!(
        http_with(addr, "POST", &path, &ada, echo.as_bytes())
            .await
            .0,
        200
    );
    let (status, polled) = http_with(addr, "GET", &path, &ada, b"").await;
    assert_eq!(status, 200);
    assert_eq!(
        records(&polled).collect::<Vec<_>>(),
        ["{\"type\":3,\"invocationId\":\"1\",\"result\":\"mine\"}"]
    );
    assert_eq!(http_with(addr, "DELETE", &path, &bob, b"").await.0, 403);
    assert_eq!(http_with(addr, "DELETE", &path, &ada, b"").await.0, 202);
}

// e. Items and the remote address.

#[tokio::test]
async fn items_live_as_long_as_their_connection_and_only_there() {
    let (addr, _) = serve_prod().await;
    let mut first = open(addr, "/prod", &[]).await;
    assert_eq!(call(&mut first, "1", "Count", "").await, result("1", "1"));
    assert_eq!(call(&mut first, "2", "Count", "").await, result("2", "2"));
    let mut second = open(addr, "/prod", &[]).await;
    assert_eq!(call(&mut second, "1", "Count", "").await, result("1", "1"));
    assert_eq!(call(&mut first, "3", "Count", "").await, result("3", "3"));
    assert_eq!(call(&mut second, "2", "Count", "").await, result("2", "2"));
}

/// The local address of a client WebSocket: the server's remote address for it.
fn local_addr(ws: &Ws) -> SocketAddr {
    match ws.get_ref() {
        MaybeTlsStream::Plain(stream) => stream.local_addr().unwrap(),
        _ => panic!("a plain TCP stream"),
    }
}

#[tokio::test]
async fn the_remote_address_is_the_clients_when_the_server_records_it() {
    let (addr, _) = serve_prod().await;
    let mut ws = open(addr, "/prod", &[]).await;
    let client = local_addr(&ws);
    assert_eq!(client.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_ne!(client.port(), addr.port());
    assert_eq!(
        call(&mut ws, "1", "Remote", "").await,
        result("1", &format!("\"{client}\""))
    );

    // A server started without connect info knows no address.
    let (hub, _) = production();
    let plain = listen_plain(SignalR::new().hub("/prod", hub.into_hub()).into_router()).await;
    let mut ws = open(plain, "/prod", &[]).await;
    assert_eq!(call(&mut ws, "1", "Remote", "").await, result("1", "null"));
}

// f. Filters.

/// Logs around everything it sees, under its name.
struct Logging {
    name: &'static str,
    log: Log,
}

impl HubFilter for Logging {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: Next<'_>,
    ) -> InvocationResult {
        let method = invocation.method();
        push(&self.log, format!("{} before {method}", self.name));
        let result = next.run(invocation).await;
        push(&self.log, format!("{} after {method}", self.name));
        result
    }

    async fn on_connected(&self, cx: &HubCx, next: ConnectedNext<'_>) -> HubResult<()> {
        push(&self.log, format!("{} connecting", self.name));
        let result = next.run(cx).await;
        push(&self.log, format!("{} connected", self.name));
        result
    }

    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>, next: DisconnectedNext<'_>) {
        push(&self.log, format!("{} disconnecting", self.name));
        next.run(cx, error).await;
        push(&self.log, format!("{} disconnected", self.name));
    }
}

/// Refuses calls whose first argument is `"forbidden"`, and panics on `"panic"`.
struct Gatekeeper;

impl HubFilter for Gatekeeper {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: Next<'_>,
    ) -> InvocationResult {
        match invocation.arguments().decode::<String>(0).ok().as_deref() {
            Some("forbidden") => Err(InvokeError::Failed(HubError::new("No forbidden words."))),
            Some("panic") => panic!("a bug in a filter"),
            _ => next.run(invocation).await,
        }
    }
}

/// Records how long each call took, by method.
struct Timing(Arc<Mutex<Vec<(&'static str, Duration)>>>);

impl HubFilter for Timing {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: Next<'_>,
    ) -> InvocationResult {
        let method = invocation.method();
        let started = Instant::now();
        let result = next.run(invocation).await;
        self.0.lock().unwrap().push((method, started.elapsed()));
        result
    }
}

#[tokio::test]
async fn global_filters_run_around_the_hubs_own_around_invocations_connects_and_disconnects() {
    let (hub, log) = production();
    let global = Logging {
        name: "global",
        log: Arc::clone(&log),
    };
    let own = Logging {
        name: "hub",
        log: Arc::clone(&log),
    };
    let app = SignalR::new()
        .add_filter(global)
        .hub_with_options(
            "/prod",
            hub.into_hub(),
            HubOptions::default().add_filter(own),
        )
        .into_router();
    let addr = listen(app).await;

    let mut ws = open(addr, "/prod", &[]).await;
    // The handshake's answer is sent before `on_connected` runs.
    eventually("the connect chain", || entries(&log).len() >= 5).await;
    assert_eq!(
        entries(&log),
        [
            "global connecting",
            "hub connecting",
            "on_connected",
            "hub connected",
            "global connected",
        ]
    );
    log.lock().unwrap().clear();
    assert_eq!(
        call(&mut ws, "1", "Echo", "\"hi\"").await,
        result("1", "\"hi\"")
    );
    assert_eq!(
        entries(&log),
        [
            "global before Echo",
            "hub before Echo",
            "Echo hi",
            "hub after Echo",
            "global after Echo",
        ]
    );
    log.lock().unwrap().clear();
    ws.close(None).await.unwrap();
    eventually("the disconnect chain", || entries(&log).len() >= 5).await;
    assert_eq!(
        entries(&log),
        [
            "global disconnecting",
            "hub disconnecting",
            "on_disconnected",
            "hub disconnected",
            "global disconnected",
        ]
    );
}

/// `/prod` with the [`Gatekeeper`] and [`Timing`] filters; the hub's log and the timings.
async fn serve_filtered() -> (SocketAddr, Log, Arc<Mutex<Vec<(&'static str, Duration)>>>) {
    let (hub, log) = production();
    let timings = Arc::default();
    let options = HubOptions::default()
        .add_filter(Timing(Arc::clone(&timings)))
        .add_filter(Gatekeeper);
    let app = SignalR::new()
        .hub_with_options("/prod", hub.into_hub(), options)
        .into_router();
    (listen(app).await, log, timings)
}

#[tokio::test]
async fn a_filter_inspects_the_arguments_and_refuses_with_a_hub_exception() {
    let (addr, log, _) = serve_filtered().await;
    let mut ws = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut ws, "1", "Echo", "\"forbidden\"").await,
        error(
            "1",
            "An unexpected error occurred invoking 'Echo' on the server. HubException: No forbidden words."
        )
    );
    assert_eq!(
        call(&mut ws, "2", "Echo", "\"allowed\"").await,
        result("2", "\"allowed\"")
    );
    // The refused call never reached the method.
    assert_eq!(entries(&log), ["on_connected", "Echo allowed"]);
}

#[tokio::test]
async fn a_filter_times_the_method_it_wraps() {
    let (addr, _, timings) = serve_filtered().await;
    let mut ws = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut ws, "1", "Slow", "150").await,
        result("1", "\"slept\"")
    );
    assert_eq!(
        call(&mut ws, "2", "Echo", "\"quick\"").await,
        result("2", "\"quick\"")
    );
    let timings = timings.lock().unwrap().clone();
    let [("Slow", slow), ("Echo", quick)] = timings[..] else {
        panic!("expected Slow then Echo, got {timings:?}");
    };
    assert!(slow >= Duration::from_millis(150), "{slow:?}");
    assert!(quick < Duration::from_millis(150), "{quick:?}");
}

#[tokio::test]
async fn a_panicking_filter_fails_that_call_only() {
    let (addr, log, timings) = serve_filtered().await;
    let mut ws = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut ws, "1", "Echo", "\"panic\"").await,
        error(
            "1",
            "An unexpected error occurred invoking 'Echo' on the server."
        )
    );
    assert_eq!(
        call(&mut ws, "2", "Echo", "\"after\"").await,
        result("2", "\"after\"")
    );
    assert_eq!(entries(&log), ["on_connected", "Echo after"]);
    // The panic unwound through the filter around the panicking one: it timed the second call
    // only.
    assert_eq!(timings.lock().unwrap().len(), 1);
    // Other connections were never affected.
    let mut other = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut other, "1", "Echo", "\"fine\"").await,
        result("1", "\"fine\"")
    );
}

// g. Readiness.

#[tokio::test]
async fn readiness_turns_503_once_a_shutdown_begins() {
    let (hub, _) = production();
    let signalr = SignalR::new().hub("/prod", hub.into_hub());
    let shutdown = signalr.shutdown_handle();
    let app = signalr.into_router().route("/ready", shutdown.readiness());
    let addr = listen(app).await;
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (200, "Healthy".to_owned())
    );
    // Being in use does not change readiness.
    let mut ws = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut ws, "1", "Echo", "\"x\"").await,
        result("1", "\"x\"")
    );
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (200, "Healthy".to_owned())
    );

    let closing = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { shutdown.close_all(Duration::from_secs(5)).await }
    });
    eventually("the shutdown to begin", || shutdown.is_stopping()).await;
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (503, "Unhealthy".to_owned())
    );
    assert_eq!(
        http(addr, "POST", "/prod/negotiate?negotiateVersion=1")
            .await
            .0,
        503
    );
    // The connection is told to reconnect elsewhere.
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":7,\"allowReconnect\":true}\u{1e}"
    );
    drop(ws);
    tokio::time::timeout(PATIENCE, closing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        http(addr, "GET", "/ready").await,
        (503, "Unhealthy".to_owned())
    );
}

// A finding of these tests: how soon the server notices an SSE client has gone.

/// Reads `stream` until `marker` has arrived.
async fn read_until(stream: &mut tokio::net::TcpStream, marker: &str) {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(marker) {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("timed out")
            .unwrap();
        assert!(read > 0, "the stream ended before {marker:?}");
        seen.extend_from_slice(&buf[..read]);
    }
}

#[tokio::test]
async fn a_server_sent_events_client_that_goes_away_is_disconnected_promptly() {
    use tokio::io::AsyncWriteExt;
    let (addr, log) = serve_prod().await;
    let token = negotiate_token(addr, "/prod").await;
    let mut events = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /prod?id={token} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    events.write_all(request.as_bytes()).await.unwrap();
    read_until(&mut events, ":\r\n").await;
    let path = format!("/prod?id={token}");
    let handshake = HANDSHAKE.as_bytes();
    assert_eq!(http_with(addr, "POST", &path, &[], handshake).await.0, 200);
    read_until(&mut events, "data: {}\u{1e}\r\n\r\n").await;
    eventually("on_connected", || entries(&log) == ["on_connected"]).await;

    // The client closes its EventSource: the TCP connection of the stream ends.
    let closed = Instant::now();
    drop(events);
    let deadline = closed + Duration::from_secs(30);
    while !entries(&log).contains(&"on_disconnected".to_owned()) {
        assert!(Instant::now() < deadline, "never disconnected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = closed.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "on_disconnected ran {took:?} after the client went away"
    );
}
