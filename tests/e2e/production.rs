//! Production hubs (issue #15): claims from a tower layer, async authenticators and their own
//! refusals, policies, the same-user check on transport requests, per-connection items, the
//! remote address, hub filters and the readiness endpoint, all over real sockets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use signalr_runtime::auth::{AuthorizationContext, Credentials, User};
use signalr_runtime::{HubCx, HubOptions, HubResult, SignalR, hub};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::*;

mod auth;
mod connections;
mod filters;
mod readiness;

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
        user = if kind == "role" {
            user.with_role(value)
        } else {
            user.with_claim(kind, value)
        };
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
    /// Header `name` of the request that opened the caller's transport.
    async fn header(&self, cx: &HubCx, name: String) -> Option<String>;
    /// Sleeps `ms` milliseconds.
    async fn slow(&self, ms: u64) -> String;
}

/// Only for authenticated users, every method.
#[hub(authorize)]
pub(crate) trait Locked {
    async fn ping(&self) -> String;
}

/// Only for users with the role `staff`, every method.
#[hub(authorize = "staff")]
pub(crate) trait StaffRoom {
    async fn ping(&self) -> String;
}

impl StaffRoom for Door {
    async fn ping(&self) -> String {
        "staff pong".to_owned()
    }
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
        cx.items().update(|Counter(count): &mut Counter| {
            *count += 1;
            *count
        })
    }

    async fn remote(&self, cx: &HubCx) -> Option<String> {
        cx.remote_addr().map(|addr| addr.to_string())
    }

    async fn header(&self, cx: &HubCx, name: String) -> Option<String> {
        let value = cx.headers().get(name)?;
        value.to_str().ok().map(str::to_owned)
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
            Locked::into_hub(Door),
            HubOptions::default().authenticate(from_claims),
        )
        .hub_with_options(
            "/staffroom",
            StaffRoom::into_hub(Door),
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
