//! The server under test: a small hub built with `#[signalr_runtime::hub]`.

use std::sync::atomic::{AtomicUsize, Ordering};

use signalr_runtime::lifetime::redis::{RedisBackplane, RedisOptions};
use signalr_runtime::service::{Service, ServiceOptions};
use signalr_runtime::{HubCx, HubOptions, HubResult, SignalR, hub, hub_client};

use super::ScaleOut;

/// Live hub connections (past their handshake), for the soak test's `GET /bench/stats`.
static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// What the load client calls.
#[hub]
pub(crate) trait Bench {
    /// Counts the connection in.
    async fn on_connected(&self, cx: &HubCx) -> HubResult<()>;

    /// Counts the connection out.
    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>);

    /// Returns `text` unchanged to the caller.
    async fn echo(&self, text: String) -> String;

    /// Sends `Receive(text)` to every connection, the caller included.
    async fn broadcast(&self, cx: &HubCx, text: String) -> HubResult<()>;

    /// Puts the caller in `group`.
    async fn join(&self, cx: &HubCx, group: String) -> HubResult<()>;

    /// Sends `Receive(text)` to every member of `group`.
    async fn group_send(&self, cx: &HubCx, group: String, text: String) -> HubResult<()>;
}

/// What the server calls on the load client.
#[hub_client]
pub(crate) trait BenchClient {
    /// One fanned-out message.
    async fn receive(&self, text: String);
}

/// The hub: stateless, so that what is measured is the framework.
#[derive(Debug, Default)]
pub(crate) struct Bencher;

impl Bench for Bencher {
    async fn on_connected(&self, _cx: &HubCx) -> HubResult<()> {
        CONNECTIONS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn on_disconnected(&self, _cx: &HubCx, _error: Option<&str>) {
        CONNECTIONS.fetch_sub(1, Ordering::Relaxed);
    }

    async fn echo(&self, text: String) -> String {
        text
    }

    async fn broadcast(&self, cx: &HubCx, text: String) -> HubResult<()> {
        cx.clients().all().receive(text).await
    }

    async fn join(&self, cx: &HubCx, group: String) -> HubResult<()> {
        let _ = cx.groups().add(cx.connection_id(), &group).await;
        Ok(())
    }

    async fn group_send(&self, cx: &HubCx, group: String, text: String) -> HubResult<()> {
        cx.clients().group(group).receive(text).await
    }
}

/// The router serving the hub at `/bench`: on the Redis backplane (with its default options:
/// every message serialized for JSON and MessagePack, as users get it) or through a service
/// (its default options too: five server connections) when `scale_out` says so.
pub(crate) async fn router(
    scale_out: &ScaleOut,
) -> Result<axum::Router, Box<dyn std::error::Error>> {
    // A broadcast window of the load client stays far below the queue; the default queue is kept.
    // Clients that ask for stateful reconnect get it (the stateful echo row); others do not.
    let options = HubOptions::default().allow_stateful_reconnects(true);
    let mut signalr = SignalR::new();
    match scale_out {
        ScaleOut::None => {}
        ScaleOut::Redis(url) => {
            let backplane = RedisBackplane::connect(RedisOptions::new(url)).await?;
            signalr = signalr.lifetime_managers(backplane);
        }
        ScaleOut::Service(connection_string) => {
            let options = ServiceOptions::from_connection_string(connection_string)?;
            signalr = signalr.service(Service::new(options)?);
        }
    }
    Ok(signalr
        .hub_with_options("/bench", Bencher.into_hub(), options)
        .into_router()
        .route("/bench/stats", axum::routing::get(stats)))
}

/// `GET /bench/stats`: `{"queued_bytes":N,"connections":M,"allocated":B}`, what the soak test
/// samples; `allocated` (heap bytes held) only when the allocator counts them.
async fn stats() -> String {
    let allocated = crate::heap::allocated()
        .map(|bytes| format!(",\"allocated\":{bytes}"))
        .unwrap_or_default();
    format!(
        "{{\"queued_bytes\":{},\"connections\":{}{allocated}}}",
        signalr_runtime::__private::queued_bytes(),
        CONNECTIONS.load(Ordering::Relaxed)
    )
}
