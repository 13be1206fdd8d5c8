//! Graceful shutdown: every connection is told to reconnect elsewhere, then the server stops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::closing::Closing;
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
/// axum::serve(listener, signalr.into_router().into_make_service())
///     .with_graceful_shutdown(async move {
///         stop_requested().await; // e.g. tokio::signal::ctrl_c()
///         shutdown.close_all(Duration::from_secs(5)).await;
///     })
///     .await
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    tracker: Arc<Tracker>,
}

/// The connections being served, from before their handshake until their Close is written:
/// what a graceful shutdown closes and waits for.
#[derive(Debug, Default)]
struct Tracker {
    /// Set once shutdown starts: new connections are refused from then on.
    stopping: AtomicBool,
    /// Wakes what waits for the shutdown to start (a service's server connections).
    #[cfg(feature = "service")]
    started: tokio::sync::Notify,
    serving: Mutex<Serving>,
}

#[derive(Debug, Default)]
struct Serving {
    next: u64,
    closing: HashMap<u64, Closing>,
    /// Set by [`Shutdown::close_all`]: connections that start later are closed at once.
    closed_with: Option<Close>,
}

/// Counts one connection as being served until dropped.
#[derive(Debug)]
pub(crate) struct Served {
    tracker: Arc<Tracker>,
    key: u64,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(mut serving) = self.tracker.serving.lock() {
            serving.closing.remove(&self.key);
        }
    }
}

impl Shutdown {
    /// Whether a shutdown has started: new connections are refused (503) from then on.
    pub fn is_stopping(&self) -> bool {
        self.tracker.stopping.load(Ordering::SeqCst)
    }

    /// Completes once a shutdown has started.
    #[cfg(feature = "service")]
    pub(crate) async fn stopping(&self) {
        let notified = self.tracker.started.notified();
        let mut notified = std::pin::pin!(notified);
        // Registered before the flag is read, so that a shutdown starting in between is seen.
        notified.as_mut().enable();
        if !self.is_stopping() {
            notified.await;
        }
    }

    /// A readiness endpoint for load balancers and orchestrators: `200 Healthy` until a
    /// shutdown starts, then `503 Unhealthy` (ASP.NET Core's health check texts), so traffic
    /// moves elsewhere while the connections here are told to reconnect.
    ///
    /// ```
    /// # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
    /// # struct Room;
    /// # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
    /// use signalr_runtime::SignalR;
    ///
    /// let signalr = SignalR::new().hub("/chat", Room.into_hub());
    /// let ready = signalr.shutdown_handle().readiness();
    /// let app: axum::Router = signalr.into_router().route("/ready", ready);
    /// ```
    pub fn readiness<S: Clone + Send + Sync + 'static>(&self) -> axum::routing::MethodRouter<S> {
        use axum::http::StatusCode;
        let shutdown = self.clone();
        axum::routing::get(move || {
            let stopping = shutdown.is_stopping();
            async move {
                if stopping {
                    (StatusCode::SERVICE_UNAVAILABLE, "Unhealthy")
                } else {
                    (StatusCode::OK, "Healthy")
                }
            }
        })
    }

    /// Counts a connection as served until the guard is dropped; `closing` is how a shutdown
    /// asks it to end (at once, if the shutdown has already started).
    pub(crate) fn serve(&self, closing: &Closing) -> Served {
        let Ok(mut serving) = self.tracker.serving.lock() else {
            return Served {
                tracker: Arc::clone(&self.tracker),
                key: u64::MAX,
            };
        };
        // Checked under the lock that close_all holds while it sets this: a connection is
        // closed either by close_all's sweep or here, never by neither.
        if let Some(close) = serving.closed_with.clone() {
            closing.request(close);
        }
        let key = serving.next;
        serving.next += 1;
        serving.closing.insert(key, closing.clone());
        Served {
            tracker: Arc::clone(&self.tracker),
            key,
        }
    }

    /// How many connections are being served (including ones still writing their Close).
    fn served(&self) -> usize {
        self.tracker
            .serving
            .lock()
            .map_or(0, |serving| serving.closing.len())
    }

    /// Refuses new connections (503), sends every connection a Close with `allowReconnect`
    /// (clients configured for automatic
    /// reconnect come back, to this server once it restarts or to another), then waits up to
    /// `within` for the connections to end. Calls already running are cancelled through their
    /// context and go on only as long as they themselves take.
    pub async fn close_all(&self, within: Duration) {
        // No new connections first: a client reconnecting at once must not land here again.
        self.tracker.stopping.store(true, Ordering::SeqCst);
        #[cfg(feature = "service")]
        self.tracker.started.notify_waiters();
        let close = Close {
            error: None,
            allow_reconnect: true,
        };
        if let Ok(mut serving) = self.tracker.serving.lock() {
            serving.closed_with = Some(close.clone());
            for closing in serving.closing.values() {
                closing.request(close.clone());
            }
        }
        let deadline = Instant::now().checked_add(within);
        let waiting = || deadline.is_none_or(|deadline| Instant::now() < deadline);
        while self.served() > 0 && waiting() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_that_starts_after_close_all_is_closed_at_once() {
        let shutdown = Shutdown::default();
        let early = Closing::default();
        let _early = shutdown.serve(&early);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(shutdown.close_all(Duration::ZERO));
        let close = Close {
            error: None,
            allow_reconnect: true,
        };
        assert_eq!(early.requested(), Some(close.clone()));
        // A connection whose request passed the shutdown check before close_all ran.
        let late = Closing::default();
        let _late = shutdown.serve(&late);
        assert_eq!(late.requested(), Some(close));
    }

    #[test]
    fn serving_counts_until_dropped() {
        let shutdown = Shutdown::default();
        let closing = Closing::default();
        let first = shutdown.serve(&closing);
        let second = shutdown.serve(&closing);
        assert_eq!(shutdown.served(), 2);
        drop(first);
        assert_eq!(shutdown.served(), 1);
        drop(second);
        assert_eq!(shutdown.served(), 0);
    }
}
