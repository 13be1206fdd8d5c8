//! The interop server: the surface of ASP.NET Core SignalR's functional-test app
//! (dotnet/aspnetcore `src/SignalR/clients/ts/FunctionalTests`), served by `signalr-runtime`, so
//! that official clients' tests run against this server. The project's INTEROP.md is its
//! specification.
//!
//! Run with `cargo run --bin interop-server -- --port 5000` (`--port 0` picks a free port). Once
//! ready it prints `listening on http://127.0.0.1:PORT`. The JavaScript functional tests in
//! `tests/js/test/functional` start it themselves: `cargo build -p interop-server`, then
//! `cd tests/js && npm test`.
//!
//! Flags (`--help` lists them): `--port PORT` (default 5000), `--wwwroot DIR`, `--redis URL` (a
//! backplane shared with other processes), `--service CONNECTION_STRING` (serve every hub
//! through a running `signalr-service`, see INTEROP.md), `--jwt-secret TEXT` (the HS256 secret of the JSON Web
//! Tokens; the default, [`identity::DEFAULT_SECRET`], is a test secret) and `--jwks FILE` (a
//! JWKS of RSA public keys: RS256 tokens signed by them are accepted too, see [`identity`]). A
//! JWKS that cannot be read or holds other keys stops the server with status 1.
//!
//! | path | what |
//! |---|---|
//! | `/testhub` | [`hub::Tester`], every transport, detailed errors |
//! | `/testhub-nowebsockets` | the same hub, Server-Sent Events and Long Polling only |
//! | `/uncreatable` | a hub whose every connection fails as it starts (`UncreatableHub`) |
//! | `/echo` | a raw connection that echoes every message |
//! | `/echoredirect…` | `302` to the same path with `echo` in place of `echoredirect` |
//! | `/redirect…` | a negotiate redirect to `<baseUrl>/testHub?numRedirects=<n>`, n counting up |
//! | `/bad-negotiate…` | `400 Some response from server` |
//! | `GET /deployment` | what is running: name and version |
//! | `GET /clientresult/{id}` | asks connection `id` for `Result()` and answers with its number or error |
//! | `/authorizedhub` | [`authorized::HubWithAuthorization`]: every request needs a token of [`identity`], else 401 |
//! | `/filtered` | [`filtered::Filtered`] behind hub filters (recorders, a guard), for the filter tests |
//! | `/scenarios` | [`scenarios::Scenarios`], INTEROP.md's own hub: targets, groups, users, lifecycle |
//! | `POST /scenarios/broadcast` | the text body as `Receive(body)` to every connection of `/scenarios` |
//! | `GET /generateJwtToken?user=NAME` | an HS256 JWT for user `NAME` (default `testuser`), see [`identity`] |
//! | any path containing `/negotiate` | sets cookies `testCookie`, `testCookie2` and an expired `expiredCookie` |
//! | any other path | a file under the `--wwwroot DIR` folder, when one is given |
//!
//! Every response carries CORS headers for the request's `Origin`, with credentials, and
//! `OPTIONS` answers `204`, as the official app does for its test pages of other origins.
//!
//! Hub paths match ignoring ASCII case (`/testHub` is `/testhub`), as in ASP.NET Core. Both
//! `/authorizedhub` and `/scenarios` know their users through `HubOptions::authenticate` with
//! [`identity::Identity::authenticate`] (JSON Web Tokens checked with `jsonwebtoken`: HS256 ones
//! from `/generateJwtToken`, RS256 ones signed by a key of `--jwks`; issuer, audience and expiry
//! checked); `/scenarios` lets anonymous connections in. Not here: HTTPS.

mod authorized;
mod filtered;
mod hub;
mod identity;
mod scenarios;
mod types;
mod types_demo;
mod web;

use authorized::HubWithAuthorization as _;
use hub::{Test as _, Uncreatable as _};
use scenarios::Scenario as _;
use types_demo::TypesDemo as _;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use signalr_runtime::hub::HubContext;
use signalr_runtime::lifetime::redis::{RedisBackplane, RedisOptions};
use signalr_runtime::raw::{ConnectionHandler, RawConnection};
use signalr_runtime::service::{Service, ServiceOptions};
use signalr_runtime::{ConnectionId, HubOptions, NegotiateRedirect, SignalR, Transport};
use tower_layer::Layer as _;

use crate::authorized::{Authorized, HubWithAuthorizationHub};
use crate::hub::{TestClientProxy as _, TestHub, Tester, Unconstructible, UncreatableHub};
use crate::identity::Identity;
use crate::scenarios::{ScenarioHub, Scenarios};

/// The endpoints whose paths match ignoring ASCII case, in their canonical spelling.
const CASE_INSENSITIVE_PATHS: [&str; 5] = [
    "/testhub-nowebsockets",
    "/testhub",
    "/uncreatable",
    "/authorizedhub",
    "/echo",
];

/// Cookies set on every negotiate response; the last one has expired already.
const NEGOTIATE_COOKIES: [&str; 3] = [
    "testCookie=testValue; path=/",
    "testCookie2=testValue2; path=/",
    "expiredCookie=doesntmatter; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/",
];

/// The surface of ASP.NET Core SignalR's functional-test app, for official clients' interop
/// tests.
///
/// Once ready, the server prints `listening on http://127.0.0.1:PORT`.
#[derive(Debug, clap::Parser)]
#[command(version, args_override_self = true)]
struct Settings {
    /// The port to listen on, on 127.0.0.1; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = 5000)]
    port: u16,
    /// Static files for paths no route takes (the official app's `wwwroot`).
    #[arg(long, value_name = "DIR")]
    wwwroot: Option<std::path::PathBuf>,
    /// The Redis backplane's URL, when this process is one of several (e.g.
    /// redis://127.0.0.1:6379); the server exits with status 1 when it cannot reach it.
    #[arg(long, value_name = "URL", conflicts_with = "service")]
    redis: Option<String>,
    /// Serve every hub through a running SignalR service instead of accepting clients here
    /// (`Endpoint=http://127.0.0.1:P;AccessKey=KEY;Version=1.0;`): negotiate redirects clients
    /// to the service.
    #[arg(long, value_name = "CONNECTION_STRING")]
    service: Option<String>,
    /// The secret HS256 JSON Web Tokens are signed with, those of /generateJwtToken included.
    /// The default is a test secret, known to anyone who reads the source.
    #[arg(long, value_name = "TEXT", default_value = identity::DEFAULT_SECRET)]
    jwt_secret: String,
    /// A JWKS file of RSA public keys ({"keys":[{"kty":"RSA","kid":…,"n":…,"e":…}]}): RS256
    /// tokens signed by one of them, named by the token's kid, are accepted too.
    #[arg(long, value_name = "FILE")]
    jwks: Option<std::path::PathBuf>,
}

/// The command line's settings; `--help`, `--version` and mistakes print and exit (status 0,
/// 0 and 2).
fn parse_args() -> Settings {
    clap::Parser::parse()
}

/// What the plain routes share.
#[derive(Clone)]
struct AppState {
    /// The test hub's clients, for client results asked from outside the hub.
    test_hub: HubContext,
    /// Negotiate redirects served so far.
    redirects: Arc<AtomicU64>,
}

/// Sends every message back, until the client goes.
struct Echo;

impl ConnectionHandler for Echo {
    async fn on_connected(&self, mut connection: RawConnection) {
        while let Some(message) = connection.recv().await {
            if connection.send(message).await.is_err() {
                break;
            }
        }
    }
}

/// The Redis backplane's settings: each hub's channels are named like the official app's hub
/// classes would be, so that the names say which hub they carry.
fn redis_options(url: &str) -> RedisOptions {
    RedisOptions::new(url)
        .hub_name::<TestHub<Tester>>("Interop.TestHub")
        .hub_name::<UncreatableHub<Unconstructible>>("Interop.Uncreatable")
        .hub_name::<HubWithAuthorizationHub<Authorized>>("Interop.AuthorizedHub")
        .hub_name::<ScenarioHub<Scenarios>>("Interop.Scenarios")
}

/// Where the hubs' connections live.
enum ScaleOut {
    /// In this process only.
    Single,
    /// Shared with the other processes on a Redis backplane.
    Redis(RedisBackplane),
    /// Held by a SignalR service, which clients are redirected to.
    Service(Service),
}

/// The whole application, without the path and cookie middleware of [`serve_until`]; with a
/// backplane, every hub's connections are shared with the other processes on it.
fn router(scale_out: ScaleOut, identity: &Arc<Identity>) -> Router {
    // As the official test app: clients that ask for stateful reconnect get it.
    let options = HubOptions::default()
        .detailed_errors(true)
        .allow_stateful_reconnects(true);
    // Anonymous connections are welcome on /scenarios; /authorizedhub refuses them with 401.
    let scenario_options = options.clone().authenticate(identity.authenticator());
    let authorized_options = scenario_options.clone().require_authentication(true);
    let no_websockets = options
        .clone()
        .transports([Transport::ServerSentEvents, Transport::LongPolling]);
    let signalr = match scale_out {
        ScaleOut::Single => SignalR::new(),
        ScaleOut::Redis(backplane) => SignalR::new().lifetime_managers(backplane),
        ScaleOut::Service(service) => SignalR::new().service(service),
    };
    let mut signalr = signalr
        .hub_with_options("/testhub-nowebsockets", Tester.into_hub(), no_websockets)
        .hub_with_options("/uncreatable", Unconstructible.into_hub(), options.clone())
        .hub_with_options(
            "/filtered",
            filtered::hub(),
            filtered::options(options.clone()),
        )
        .hub_with_options("/types", types_demo::Types.into_hub(), options.clone())
        .hub_with_options("/testhub", Tester.into_hub(), options)
        .hub_with_options("/authorizedhub", Authorized.into_hub(), authorized_options)
        .hub_with_options("/scenarios", Scenarios.into_hub(), scenario_options)
        .connection("/echo", Echo);
    let scenarios_hub = signalr.context::<ScenarioHub<Scenarios>>();
    let state = AppState {
        test_hub: signalr.context::<TestHub<Tester>>(),
        redirects: Arc::default(),
    };
    let routes = Router::new()
        .route("/redirect", any(redirect))
        .route("/redirect/{*rest}", any(redirect))
        .route("/bad-negotiate", any(bad_negotiate))
        .route("/bad-negotiate/{*rest}", any(bad_negotiate))
        .route("/clientresult/{id}", get(client_result))
        .route("/deployment", get(deployment))
        .with_state(state);
    let scenario_routes = Router::new()
        .route("/scenarios/broadcast", post(scenarios::broadcast))
        .with_state(scenarios_hub);
    signalr
        .into_router()
        .merge(routes)
        .merge(scenario_routes)
        .merge(Arc::clone(identity).routes())
}

/// `/redirect…?baseUrl=B`: tells the client to negotiate at `B/testHub?numRedirects=N` instead.
async fn redirect(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> NegotiateRedirect {
    let count = state.redirects.fetch_add(1, Ordering::Relaxed) + 1;
    let base = query
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("baseUrl"))
        .map_or("", |(_, value)| value.as_str());
    NegotiateRedirect::new(format!("{base}/testHub?numRedirects={count}"))
}

async fn bad_negotiate() -> Response {
    (StatusCode::BAD_REQUEST, "Some response from server").into_response()
}

/// `GET /clientresult/{id}`: the client's `Result()` as text, or the error it failed with.
async fn client_result(State(state): State<AppState>, Path(id): Path<String>) -> String {
    match state.test_hub.client(ConnectionId::from(id)).result().await {
        Ok(number) => number.to_string(),
        Err(error) => error.message().to_owned(),
    }
}

/// The canonical spelling of `path` when it is under one of [`CASE_INSENSITIVE_PATHS`] in
/// another case.
fn canonical_path(path: &str) -> Option<String> {
    CASE_INSENSITIVE_PATHS.iter().find_map(|canonical| {
        let head = path.get(..canonical.len())?;
        let tail = path.get(canonical.len()..)?;
        let matches = head.eq_ignore_ascii_case(canonical)
            && head != *canonical
            && (tail.is_empty() || tail.starts_with('/'));
        matches.then(|| format!("{canonical}{tail}"))
    })
}

/// Runs before routing: hub paths in any case, `/echoredirect`, and the negotiate cookies.
async fn middleware(mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let query = request
        .uri()
        .query()
        .map(|query| format!("?{query}"))
        .unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/echoredirect") {
        let location = format!("/echo{rest}{query}");
        return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    }
    if let Some(canonical) = canonical_path(&path)
        && let Ok(uri) = format!("{canonical}{query}").parse::<Uri>()
    {
        *request.uri_mut() = uri;
    }
    let mut response = next.run(request).await;
    if path.contains("/negotiate") {
        for cookie in NEGOTIATE_COOKIES {
            response
                .headers_mut()
                .append(header::SET_COOKIE, HeaderValue::from_static(cookie));
        }
    }
    response
}

async fn serve(
    listener: tokio::net::TcpListener,
    wwwroot: Option<std::path::PathBuf>,
    scale_out: ScaleOut,
    identity: Arc<Identity>,
) -> std::io::Result<()> {
    serve_until(listener, wwwroot, scale_out, identity, async {
        // Without a signal handler the server simply runs until it is killed.
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves the application (and the files of `wwwroot`) on `listener` until `shutdown` completes,
/// knowing users by the tokens `identity` accepts.
async fn serve_until(
    listener: tokio::net::TcpListener,
    wwwroot: Option<std::path::PathBuf>,
    scale_out: ScaleOut,
    identity: Arc<Identity>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = web::with_static_files(router(scale_out, &identity), wwwroot);
    // Around the whole router, so that rewritten paths are routed by their new spelling.
    let app = axum::middleware::from_fn(middleware).layer(app);
    let app = axum::middleware::from_fn(web::permissive_cors).layer(app);
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(app),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let settings = parse_args();
    // Said at once too: a JWKS this server cannot use must not leave it half-configured.
    let identity = match identity_of(&settings) {
        Ok(identity) => Arc::new(identity),
        Err(error) => {
            eprintln!("interop-server: {error}");
            std::process::exit(1);
        }
    };
    let scale_out = match scale_out_of(&settings).await {
        Ok(scale_out) => scale_out,
        // Said plainly and at once: a server that cannot reach its backplane must not serve.
        Err(error) => {
            eprintln!("interop-server: {error}");
            std::process::exit(1);
        }
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, settings.port)))
            .await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, settings.wwwroot, scale_out, identity).await?;
    Ok(())
}

/// The backplane or service `settings` name: Redis must answer now; a service is connected to
/// in the background (and again whenever the connection drops).
async fn scale_out_of(settings: &Settings) -> Result<ScaleOut, Box<dyn std::error::Error>> {
    if let Some(url) = &settings.redis {
        return Ok(ScaleOut::Redis(
            RedisBackplane::connect(redis_options(url)).await?,
        ));
    }
    if let Some(connection_string) = &settings.service {
        let options = ServiceOptions::from_connection_string(connection_string)?;
        return Ok(ScaleOut::Service(Service::new(options)?));
    }
    Ok(ScaleOut::Single)
}

/// The tokens `settings` accept: HS256 with `--jwt-secret`, and RS256 with the keys of `--jwks`.
fn identity_of(settings: &Settings) -> Result<Identity, String> {
    let identity = Identity::new(&settings.jwt_secret)?;
    match &settings.jwks {
        Some(path) => identity.with_jwks_file(path),
        None => Ok(identity),
    }
}

/// `GET /deployment`: what is running (the official app reports its assembly's metadata).
async fn deployment() -> Response {
    let body = format!(
        "{{\"name\":\"{}\",\"version\":\"{}\"}}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::Arc;

    use super::{canonical_path, serve_until};
    use crate::identity::{DEFAULT_SECRET, Identity};

    #[test]
    fn hub_paths_match_ignoring_case() {
        assert_eq!(canonical_path("/testHub").as_deref(), Some("/testhub"));
        assert_eq!(
            canonical_path("/testHub/negotiate").as_deref(),
            Some("/testhub/negotiate")
        );
        assert_eq!(
            canonical_path("/TestHub-NoWebSockets").as_deref(),
            Some("/testhub-nowebsockets")
        );
        assert_eq!(canonical_path("/testhub"), None);
        assert_eq!(canonical_path("/testhubs"), None);
        assert_eq!(canonical_path("/ECHO").as_deref(), Some("/echo"));
    }

    /// The status of a bodiless HTTP/1.1 request to the server at `address`.
    fn status(address: SocketAddr, method: &str, target: &str, headers: &str) -> u16 {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: localhost\r\n{headers}Content-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status_line = response.lines().next().unwrap_or_default();
        status_line.split(' ').nth(1).unwrap().parse().unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_authorized_hub_refuses_requests_without_a_token_of_ours() {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        let identity = Arc::new(Identity::new(DEFAULT_SECRET).unwrap());
        let token = identity.issue("testuser").unwrap();
        tokio::spawn(serve_until(
            listener,
            None,
            super::ScaleOut::Single,
            identity,
            std::future::pending(),
        ));
        let forged = "Authorization: Bearer forged\r\n";
        let bearer = format!("Authorization: Bearer {token}\r\n");
        let requests: Vec<(&str, String, String, u16)> = vec![
            (
                "POST",
                "/authorizedhub/negotiate".into(),
                String::new(),
                401,
            ),
            (
                "POST",
                "/authorizedhub/negotiate".into(),
                forged.into(),
                401,
            ),
            (
                "POST",
                "/authorizedhub/negotiate".into(),
                bearer.clone(),
                200,
            ),
            ("POST", "/AuthorizedHub/negotiate".into(), bearer, 200),
            (
                "POST",
                format!("/authorizedhub/negotiate?access_token={token}"),
                String::new(),
                200,
            ),
            ("GET", "/authorizedhub?id=x".into(), String::new(), 401),
            ("POST", "/authorizedhub?id=x".into(), String::new(), 401),
            ("DELETE", "/authorizedhub?id=x".into(), String::new(), 401),
            // Anonymous connections are welcome on /scenarios.
            ("POST", "/scenarios/negotiate".into(), String::new(), 200),
            ("POST", "/scenarios/negotiate".into(), forged.into(), 200),
        ];
        for (method, target, headers, expected) in requests {
            let found = tokio::task::spawn_blocking({
                let target = target.clone();
                move || status(address, method, &target, &headers)
            })
            .await
            .unwrap();
            assert_eq!(found, expected, "{method} {target}");
        }
    }
}
