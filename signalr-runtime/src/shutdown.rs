//! Graceful shutdown: every connection is told to reconnect elsewhere, then the server stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::lifetime::ConnectionRegistry;
use crate::protocol::Close;

/// Closes every connection of the hubs of one [`SignalR`](crate::SignalR), for a graceful
/// shutdown. Get it with [`SignalR::shutdown_handle`](crate::SignalR::shutdown_handle).
///
/// ```no_run
/// # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
/// # struct Room;
/// # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
/// # async fn stop_requested() {}
/// # async fn run() -> std::io::Result<()> {
/// use std::time::Duration;
/// use signalr_runtime::SignalR;
///
/// let signalr = SignalR::new().hub("/chat", Room.into_hub());
/// let shutdown = signalr.shutdown_handle();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
/// axum::serve(listener, signalr.into_router())
///     .with_graceful_shutdown(async move {
///         stop_requested().await; // e.g. tokio::signal::ctrl_c()
///         shutdown.close_all(Duration::from_secs(5)).await;
///     })
///     .await
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    registries: Arc<Mutex<Vec<Arc<ConnectionRegistry>>>>,
    /// Set once shutdown starts: new connections are refused from then on.
    stopping: Arc<AtomicBool>,
}

impl Shutdown {
    /// Whether shutdown has started.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub(crate) fn watch(&self, registry: &Arc<ConnectionRegistry>) {
        if let Ok(mut registries) = self.registries.lock() {
            registries.push(Arc::clone(registry));
        }
    }

    /// Refuses new connections (503), sends every connection a Close with `allowReconnect`
    /// (clients configured for automatic
    /// reconnect come back, to this server once it restarts or to another), then waits up to
    /// `within` for the connections to end. Calls already running are cancelled through their
    /// context and go on only as long as they themselves take.
    pub async fn close_all(&self, within: Duration) {
        // No new connections first: a client reconnecting at once must not land here again.
        self.stopping.store(true, Ordering::SeqCst);
        let registries = self
            .registries
            .lock()
            .map(|registries| registries.clone())
            .unwrap_or_default();
        let close = Close {
            error: None,
            allow_reconnect: true,
        };
        for registry in &registries {
            registry.close_all(&close);
        }
        let deadline = Instant::now().checked_add(within);
        let waiting = || deadline.is_none_or(|deadline| Instant::now() < deadline);
        while registries.iter().any(|registry| registry.served() > 0) && waiting() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
