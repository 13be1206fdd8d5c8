//! What the official app does for browser pages: CORS for any origin, and static files.

use std::path::PathBuf;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

/// CORS that lets a page of any origin in, with credentials. The official test app does the
/// same (its pages come from the test runner's own server); never do this in production, where
/// `signalr_runtime::cors` with a list of origins is the tool.
pub(crate) async fn permissive_cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let method = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .cloned();
    let requested_headers = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if let Some(method) = method {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, method);
        }
        if let Some(requested) = requested_headers {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
        }
    }
    response
}

/// Serves the files under `root` (`index.html` for a folder) for every path no route takes,
/// as the official app's `wwwroot`: the browser tests put the client's scripts under
/// `lib/signalr/` and `lib/signalr-webworker/` there.
pub(crate) fn with_static_files(router: Router, root: Option<PathBuf>) -> Router {
    match root {
        Some(root) => router.fallback_service(ServeDir::new(root)),
        None => router,
    }
}
