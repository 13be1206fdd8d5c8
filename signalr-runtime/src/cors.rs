//! Cross-origin browser pages: a CORS layer with what SignalR clients need.

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// A CORS layer that lets pages of `origins` use the hubs of a router, with credentials
/// (cookies, `Authorization`) as the official clients send them: negotiate, Long Polling and
/// Server-Sent Events requests are all cross-origin requests for such a page. Pages of other
/// origins get no CORS headers, so their browsers refuse the responses. (WebSocket upgrades are
/// not subject to CORS: use [`HubOptions::allowed_origins`](crate::HubOptions::allowed_origins)
/// for them.)
///
/// ```
/// let app = signalr_runtime::SignalR::new()
///     .into_router()
///     .layer(signalr_runtime::cors(["https://app.example"]));
/// # let _: axum::Router = app;
/// ```
pub fn cors<'a>(origins: impl IntoIterator<Item = &'a str>) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .into_iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::CONTENT_TYPE])
}
