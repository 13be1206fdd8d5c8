//! Mounting hubs on an axum [`Router`].

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::HubOptions;
use crate::connection::Request;
use crate::endpoint::HubEndpoint;
use crate::hub::Hub;
use crate::transport::negotiate::{Negotiated, negotiate};
use crate::transport::query::query_param;
use crate::transport::{TransportKind, websocket};

/// Builds the routes of one or more hubs.
///
/// Each hub at path `P` answers `POST P/negotiate` and WebSocket upgrades on `GET P`.
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
/// axum::serve(listener, app).await
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct SignalR {
    router: Router,
}

/// What the routes of one hub share.
struct HubRoutes<H> {
    endpoint: Arc<HubEndpoint<H>>,
    negotiated: Arc<Negotiated>,
}

const TRANSPORTS: [TransportKind; 1] = [TransportKind::WebSockets];

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
        let state = Arc::new(HubRoutes {
            endpoint: Arc::new(HubEndpoint::new(hub, options)),
            negotiated: Arc::default(),
        });
        let routes = Router::new()
            .route(path, get(connect::<H>))
            .route(
                &format!("{}/negotiate", path.trim_end_matches('/')),
                post(negotiate_handler::<H>),
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

async fn negotiate_handler<H: Hub>(State(routes): State<Arc<HubRoutes<H>>>, uri: Uri) -> Response {
    let expiry = routes.endpoint.options.disconnect_timeout;
    negotiate(&routes.negotiated, uri.query(), &TRANSPORTS, expiry)
}

async fn connect<H: Hub>(
    State(routes): State<Arc<HubRoutes<H>>>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let token = query_param(uri.query(), "id");
    let Ok(upgrade) = upgrade else {
        // Server-Sent Events and Long Polling are not offered (yet), so only upgrades are served.
        return (
            StatusCode::BAD_REQUEST,
            "This endpoint only accepts WebSocket connections.",
        )
            .into_response();
    };
    let endpoint = Arc::clone(&routes.endpoint);
    let negotiated = Arc::clone(&routes.negotiated);
    websocket::accept(
        endpoint,
        negotiated,
        token,
        Request { uri, headers },
        upgrade,
    )
}
