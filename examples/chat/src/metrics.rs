//! `/metrics`: the runtime's instruments (`signalr_server_active_connections`,
//! `signalr_server_connection_duration`, invocation counts and durations) in Prometheus' text
//! format, and `/ready` for load balancers.

use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Histogram buckets in seconds: invocations take milliseconds, connections minutes.
const BUCKETS: &[f64] = &[
    0.001, 0.005, 0.025, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0, 3600.0,
];

/// Installs the process's Prometheus recorder, before anything is served.
pub(crate) fn install() -> Result<PrometheusHandle, Box<dyn std::error::Error>> {
    let handle = PrometheusBuilder::new()
        .set_buckets(BUCKETS)?
        .install_recorder()?;
    // Without the exporter's own HTTP listener, histograms are compacted by whoever renders or
    // by this upkeep.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// `GET /metrics`, rendering `handle`.
pub(crate) fn routes(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let page = handle.render();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    page,
                )
                    .into_response()
            }
        }),
    )
}
