//! Mounting hubs (and raw connection handlers) on an axum [`Router`].

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request as AxumRequest;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::HubOptions;
use crate::auth::authenticate;
use crate::connection::HubEndpoint;
use crate::endpoint::RawEndpoint;
use crate::hub::{DynHubFilter, Filters, Hub, HubContext, HubFilter};
use crate::lifetime::{HubLifetimeManager, LifetimeManagers, LocalLifetimeManager};
use crate::raw::ConnectionHandler;
use crate::request::Request;
use crate::shutdown::Shutdown;
use crate::transport::negotiate::{Binding, Negotiated, Offer, negotiate};
use crate::transport::query::query_param;
use crate::transport::websocket::{UpgradeRequest, supported_version};
use crate::transport::{Endpoint, Transport, http, long_polling, sse, websocket};

/// Builds the routes of one or more hubs.
///
/// Each hub at path `P` answers `POST P/negotiate`, and on `P` WebSocket upgrades, Server-Sent
/// Events, Long Polling polls, their POSTed messages and DELETE.
///
/// ```no_run
/// # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
/// # struct Room;
/// # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
/// # async fn run() -> std::io::Result<()> {
/// use signalr_runtime::SignalR;
///
/// let app = SignalR::new().hub("/chat", Room.into_hub()).into_router();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
/// axum::serve(listener, app.into_make_service()).await
/// # }
/// ```
///
/// Serve the router with `into_make_service()` (or `into_make_service_with_connect_info`):
/// given the `Router` itself, `axum::serve` rebuilds its route table for every TCP connection,
/// which costs a hub connection (negotiate and WebSocket, two TCP connections) about 16 % more
/// server CPU to set up (`signalr-bench`'s connect rate, measured with callgrind).
#[derive(Debug, Default)]
#[must_use]
pub struct SignalR {
    router: Router,
    /// One lifetime manager per hub type: a hub mounted at several paths is one hub, as in
    /// ASP.NET Core.
    managers: HashMap<TypeId, Arc<dyn HubLifetimeManager>>,
    /// Where managers come from; `None` keeps every hub in this process.
    factory: Option<Arc<dyn LifetimeManagers>>,
    shutdown: Shutdown,
    /// Filters of every hub mounted from now on, before each hub's own.
    filters: Vec<Arc<dyn DynHubFilter>>,
    /// Whether a hub is mounted already (global filters added later do not reach it).
    mounted: bool,
    /// The service hubs are served through, if any.
    #[cfg(feature = "service")]
    service: Option<crate::service::Service>,
}

/// What negotiate answers instead of a connection, for a hub served elsewhere.
type Redirect = Arc<dyn Fn(Option<&crate::auth::User>) -> Response + Send + Sync>;

/// What the routes of one endpoint share.
struct Routes<E> {
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    shutdown: Shutdown,
    redirect: Option<Redirect>,
}

impl SignalR {
    /// No hubs yet.
    pub fn new() -> Self {
        SignalR::default()
    }

    /// Mounts `hub` at `path` with the default [`HubOptions`].
    pub fn hub<H: Hub>(self, path: &str, hub: H) -> Self {
        self.hub_with_options(path, hub, HubOptions::default())
    }

    /// Mounts `hub` at `path` with `options`.
    pub fn hub_with_options<H: Hub>(mut self, path: &str, hub: H, options: HubOptions) -> Self {
        let manager = self.manager::<H>();
        let shutdown = self.shutdown.clone();
        let filters: Filters = self.filters.iter().cloned().collect();
        let endpoint = Arc::new(HubEndpoint::new(
            path, hub, options, manager, shutdown, &filters,
        ));
        self.mounted = true;
        #[cfg(feature = "service")]
        if let Some(service) = &self.service {
            let shutdown = self.shutdown.clone();
            let redirect = service.attach(H::hub_type(), path, &endpoint, shutdown);
            let redirect: Redirect = Arc::new(move |user| redirect.respond(user));
            return self.mount(path, endpoint, Some(redirect));
        }
        self.mount(path, endpoint, None)
    }

    /// Serves every hub mounted from now on through a SignalR service instead of accepting
    /// clients here: negotiate redirects clients to the service, and the hubs' sends go
    /// through it (see [`service`](crate::service)). Call it before mounting hubs.
    #[cfg(feature = "service")]
    pub fn service(mut self, service: crate::service::Service) -> Self {
        if self.mounted {
            tracing::warn!("service called after hubs were mounted: those accept clients here");
        }
        self.service = Some(service.clone());
        self.lifetime_managers(service)
    }

    /// Adds a filter around every invocation, connect and disconnect of the hubs mounted from
    /// now on, before their own filters (ASP.NET Core's global `AddFilter`); see
    /// [`HubFilter`].
    pub fn add_filter(mut self, filter: impl HubFilter) -> Self {
        if self.mounted {
            tracing::warn!("add_filter called after hubs were mounted: those do not get it");
        }
        self.filters.push(Arc::new(filter));
        self
    }

    /// Chooses where the connections of the hubs mounted from now on live: for example a Redis
    /// backplane shared by several servers. By default every hub keeps its connections in this
    /// process ([`LocalLifetimeManager`]). Call it before mounting hubs or asking for a
    /// [`context`](Self::context): a hub type that already has a manager keeps it.
    pub fn lifetime_managers(mut self, managers: impl LifetimeManagers) -> Self {
        if !self.managers.is_empty() {
            tracing::warn!(
                "lifetime_managers called after hubs were mounted: those keep their manager"
            );
        }
        self.factory = Some(Arc::new(managers));
        self
    }

    /// The clients of hub type `H`, for sending from outside hub methods. Works before or after
    /// `H` is mounted, at any number of paths.
    pub fn context<H: Hub>(&mut self) -> HubContext {
        HubContext::new(self.manager::<H>())
    }

    /// A handle that closes every connection of these hubs, for a graceful shutdown.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    fn manager<H: Hub>(&mut self) -> Arc<dyn HubLifetimeManager> {
        let factory = &self.factory;
        let manager = self
            .managers
            .entry(H::hub_type().id())
            .or_insert_with(|| match factory {
                Some(factory) => factory.manager(H::hub_type()),
                None => Arc::new(LocalLifetimeManager::default()),
            });
        Arc::clone(manager)
    }

    /// Mounts a raw connection handler at `path`: SignalR's negotiate and transports without
    /// the hub protocol. See [`raw`](crate::raw).
    pub fn connection<C: ConnectionHandler>(self, path: &str, handler: C) -> Self {
        self.connection_with_options(path, handler, HubOptions::default())
    }

    /// Mounts a raw connection handler at `path` with `options` (transports and timeouts).
    pub fn connection_with_options<C: ConnectionHandler>(
        self,
        path: &str,
        handler: C,
        options: HubOptions,
    ) -> Self {
        self.mount(path, Arc::new(RawEndpoint { handler, options }), None)
    }

    /// Mounts `endpoint`'s routes at `path`; with a `redirect`, only negotiate, which answers
    /// with it.
    fn mount<E: Endpoint>(
        mut self,
        path: &str,
        endpoint: Arc<E>,
        redirect: Option<Redirect>,
    ) -> Self {
        let shutdown = self.shutdown.clone();
        let served_here = redirect.is_none();
        let state = Arc::new(Routes {
            endpoint,
            negotiated: Arc::default(),
            shutdown,
            redirect,
        });
        let transports = if served_here {
            Router::new()
                .route(path, get(connect::<E>).post(send::<E>).delete(stop::<E>))
                // One POST carries at most a few messages: no need for axum's 2 MB default.
                .layer(DefaultBodyLimit::max(POST_LIMIT))
        } else {
            Router::new()
        };
        let routes = transports
            .route(
                &format!("{}/negotiate", path.trim_end_matches('/')),
                post(negotiate_handler::<E>),
            )
            .with_state(state);
        self.router = self.router.merge(routes);
        self
    }

    /// The routes, ready to serve or to merge into an application's router.
    pub fn into_router(self) -> Router {
        self.router
    }
}

async fn negotiate_handler<E: Endpoint>(
    State(routes): State<Arc<Routes<E>>>,
    request: AxumRequest,
) -> Response {
    let (parts, _body) = request.into_parts();
    let options = routes.endpoint.options();
    if routes.shutdown.is_stopping() {
        return stopping();
    }
    // No connection yet, so no token to check the user against.
    let user = match authorized_for(&routes, &parts, None).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    if let Some(redirect) = &routes.redirect {
        return redirect(user.as_ref());
    }
    let offer = Offer {
        transports: options.enabled_transports(),
        stateful_reconnect: options.allow_stateful_reconnects,
        expiry: options.disconnect_timeout,
        user: user.map(|user| user.id),
    };
    negotiate(&routes.negotiated, parts.uri.query(), offer)
}

/// `GET P`: a WebSocket upgrade, a Server-Sent Events stream, or a Long Polling poll.
async fn connect<E: Endpoint>(
    State(routes): State<Arc<Routes<E>>>,
    request: AxumRequest,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let token = connection_token(parts.uri.query());
    // While stopping, nothing new starts; but the polls of Long Polling connections go on, so
    // that they collect the Close that tells their clients to reconnect.
    let polling = token.as_deref().is_some_and(|token| {
        matches!(routes.negotiated.binding(token), Ok(Some(Binding::Http(connection))) if connection.kind == Transport::LongPolling)
    });
    if routes.shutdown.is_stopping() && !polling {
        return stopping();
    }
    let endpoint = Arc::clone(&routes.endpoint);
    let negotiated = Arc::clone(&routes.negotiated);
    let options = endpoint.options();
    let user = match authorized_for(&routes, &parts, token.as_deref()).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    if let Some(upgrade) = UpgradeRequest::from_request(&parts.method, &parts.headers) {
        let upgrade = match upgrade {
            Ok(upgrade) => upgrade,
            Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
        };
        if !options.allows(Transport::WebSockets) {
            return http::not_supported(Transport::WebSockets);
        }
        if !origin_allowed(options, &parts.headers) {
            return (StatusCode::FORBIDDEN, "Origin not allowed").into_response();
        }
        if !supported_version(&parts.headers) {
            return (StatusCode::BAD_REQUEST, "Unsupported WebSocket version").into_response();
        }
        let Some(on_upgrade) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
            return (
                StatusCode::BAD_REQUEST,
                "This connection cannot be upgraded",
            )
                .into_response();
        };
        let request = transport_request(parts, user);
        return websocket::accept(endpoint, negotiated, token, request, &upgrade, on_upgrade);
    }
    let Some(token) = token else {
        return http::id_required();
    };
    let event_stream = parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.contains("text/event-stream"));
    let transport = if event_stream {
        Transport::ServerSentEvents
    } else {
        Transport::LongPolling
    };
    if !options.allows(transport) {
        return http::not_supported(transport);
    }
    let request = transport_request(parts, user);
    if event_stream {
        sse::start(endpoint, negotiated, token, request)
    } else {
        long_polling::poll(endpoint, negotiated, token, request).await
    }
}

/// The request that opens a transport, as the connection keeps it.
fn transport_request(parts: Parts, user: Option<crate::auth::User>) -> Request {
    Request {
        uri: parts.uri,
        headers: parts.headers,
        extensions: parts.extensions,
        user: user.map(Box::new),
    }
}

/// `POST P?id=`: the client's messages, for Server-Sent Events and Long Polling.
async fn send<E: Endpoint>(State(routes): State<Arc<Routes<E>>>, request: AxumRequest) -> Response {
    let (parts, body) = request.into_parts();
    let token = connection_token(parts.uri.query());
    if let Err(refused) = authorized_for(&routes, &parts, token.as_deref()).await {
        return refused;
    }
    let Ok(body) = axum::body::to_bytes(body, POST_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
    };
    match token {
        Some(token) => {
            http::post(
                &routes.negotiated,
                &token,
                body,
                routes.endpoint.options().disconnect_timeout,
            )
            .await
        }
        None => http::id_required(),
    }
}

/// `DELETE P?id=`: a Long Polling client stops.
async fn stop<E: Endpoint>(State(routes): State<Arc<Routes<E>>>, request: AxumRequest) -> Response {
    let (parts, _body) = request.into_parts();
    let token = connection_token(parts.uri.query());
    if let Err(refused) = authorized_for(&routes, &parts, token.as_deref()).await {
        return refused;
    }
    match token {
        Some(token) => http::delete(routes.negotiated.binding(&token)).await,
        None => http::id_required(),
    }
}

/// Who a request (of connection `token`, when it names one) is from: refused as the
/// authenticator says, as the hub's own requirements say (401, 403), or with 403 when the
/// connection was negotiated by someone else (a stolen token is of no use with
/// other credentials).
async fn authorized_for<E: Endpoint>(
    routes: &Routes<E>,
    parts: &Parts,
    token: Option<&str>,
) -> Result<Option<crate::auth::User>, Response> {
    let user = authenticate(routes.endpoint.options(), parts).await?;
    routes
        .endpoint
        .admits(user.as_ref())
        .map_err(IntoResponse::into_response)?;
    let id = user.as_ref().map(|user| user.id.as_str());
    if let Some(token) = token
        && !routes.negotiated.belongs_to(token, id)
    {
        tracing::warn!("a request named a connection negotiated by another user");
        return Err((
            StatusCode::FORBIDDEN,
            "The connection belongs to another user.",
        )
            .into_response());
    }
    Ok(user)
}

/// The `id` of a transport request; an empty one is no id at all, as in ASP.NET Core (400
/// "Connection ID required", or a new connection for a WebSocket that skipped negotiation).
fn connection_token(query: Option<&str>) -> Option<String> {
    query_param(query, "id").filter(|token| !token.is_empty())
}

/// The largest POST body (SSE and Long Polling sends).
const POST_LIMIT: usize = 1 << 20;

/// 503 while the server shuts down: clients retry, elsewhere or later.
fn stopping() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The server is shutting down.",
    )
        .into_response()
}

/// Whether a browser page's `Origin` may open a WebSocket here.
fn origin_allowed(options: &HubOptions, headers: &HeaderMap) -> bool {
    let (Some(allowed), Some(origin)) = (&options.allowed_origins, headers.get(header::ORIGIN))
    else {
        return true;
    };
    origin.to_str().is_ok_and(|origin| {
        allowed
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    })
}
