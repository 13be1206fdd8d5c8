//! Metrics under the names ASP.NET Core's SignalR uses (its OpenTelemetry instruments), through
//! the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`): the application installs
//! any recorder (Prometheus, OpenTelemetry, StatsD) before serving; instruments are looked up at
//! their first use. Without the feature every function here is empty and costs nothing.
//!
//! | instrument | kind | attributes |
//! |---|---|---|
//! | `signalr.server.active_connections` | gauge | `signalr.transport` |
//! | `signalr.server.connection.duration` | histogram, seconds | `signalr.transport`, `signalr.connection.status` |
//! | `signalr.server.invocations` | counter | `signalr.hub`, `signalr.method`, `signalr.invocation.status` |
//! | `signalr.server.invocation.duration` | histogram, seconds | `signalr.hub`, `signalr.method`, `signalr.invocation.status` |
//! | `signalr.server.outbound.dropped_messages` | counter | — |
//!
//! The first two are ASP.NET Core's, with its attribute values (`web_sockets`,
//! `server_sent_events`, `long_polling`; `normal_closure`, `timeout`, `app_shutdown`). ASP.NET
//! Core has no invocation instruments; ours follow the same naming. Prometheus exporters write
//! the names with underscores (`signalr_server_active_connections`); the chat example serves
//! them at `/metrics` with `metrics-exporter-prometheus`.

/// How a connection ended, as `signalr.connection.status` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionStatus {
    /// The client or the server closed it.
    NormalClosure,
    /// The client stopped answering.
    Timeout,
    /// The server shut down.
    AppShutdown,
}

#[cfg(feature = "metrics")]
mod enabled {
    use std::time::{Duration, Instant};

    use metrics::{Counter, Gauge, Histogram};

    use super::ConnectionStatus;
    use crate::transport::Transport;

    const ACTIVE: &str = "signalr.server.active_connections";
    const DURATION: &str = "signalr.server.connection.duration";
    const INVOCATIONS: &str = "signalr.server.invocations";
    const INVOCATION_DURATION: &str = "signalr.server.invocation.duration";
    const DROPPED: &str = "signalr.server.outbound.dropped_messages";

    fn transport_name(transport: Transport) -> &'static str {
        match transport {
            Transport::WebSockets => "web_sockets",
            Transport::ServerSentEvents => "server_sent_events",
            Transport::LongPolling => "long_polling",
        }
    }

    fn status_name(status: ConnectionStatus) -> &'static str {
        match status {
            ConnectionStatus::NormalClosure => "normal_closure",
            ConnectionStatus::Timeout => "timeout",
            ConnectionStatus::AppShutdown => "app_shutdown",
        }
    }

    /// One connection's place in the active-connections gauge, and its start; recorded in the
    /// duration histogram when dropped, with the status last set.
    #[derive(Debug)]
    pub(crate) struct ConnectionMetrics {
        transport: Transport,
        active: Gauge,
        started: Instant,
        status: ConnectionStatus,
    }

    impl ConnectionMetrics {
        pub(crate) fn start(transport: Transport) -> Self {
            let active = metrics::gauge!(ACTIVE, "signalr.transport" => transport_name(transport));
            active.increment(1.0);
            ConnectionMetrics {
                transport,
                active,
                started: Instant::now(),
                status: ConnectionStatus::NormalClosure,
            }
        }

        pub(crate) fn set_status(&mut self, status: ConnectionStatus) {
            self.status = status;
        }
    }

    impl Drop for ConnectionMetrics {
        fn drop(&mut self) {
            self.active.decrement(1.0);
            metrics::histogram!(
                DURATION,
                "signalr.transport" => transport_name(self.transport),
                "signalr.connection.status" => status_name(self.status),
            )
            .record(self.started.elapsed().as_secs_f64());
        }
    }

    /// The instruments of one hub method, looked up at its first call: a recorder installed
    /// after the hub was mounted still gets them.
    #[derive(Debug)]
    pub(crate) struct MethodMetrics {
        hub: String,
        method: &'static str,
        instruments: std::sync::OnceLock<Instruments>,
    }

    /// Count and duration, for calls that succeeded and for calls that failed.
    #[derive(Debug)]
    struct Instruments {
        ok: (Counter, Histogram),
        error: (Counter, Histogram),
    }

    impl MethodMetrics {
        pub(crate) fn new(hub: &str, method: &'static str) -> Self {
            MethodMetrics {
                hub: hub.to_owned(),
                method,
                instruments: std::sync::OnceLock::new(),
            }
        }

        pub(crate) fn start() -> Instant {
            Instant::now()
        }

        pub(crate) fn record(&self, started: Instant, ok: bool) {
            let instruments = self.instruments.get_or_init(|| {
                let instruments = |status: &'static str| {
                    let labels = [
                        ("signalr.hub", self.hub.clone()),
                        ("signalr.method", self.method.to_owned()),
                        ("signalr.invocation.status", status.to_owned()),
                    ];
                    (
                        metrics::counter!(INVOCATIONS, &labels),
                        metrics::histogram!(INVOCATION_DURATION, &labels),
                    )
                };
                Instruments {
                    ok: instruments("ok"),
                    error: instruments("error"),
                }
            });
            let (count, duration) = if ok {
                &instruments.ok
            } else {
                &instruments.error
            };
            count.increment(1);
            duration.record(Duration::as_secs_f64(&started.elapsed()));
        }
    }

    /// Frames dropped with a slow receiver that was cut off.
    pub(crate) fn dropped_messages(count: usize) {
        metrics::counter!(DROPPED).increment(u64::try_from(count).unwrap_or(u64::MAX));
    }
}

#[cfg(not(feature = "metrics"))]
mod disabled {
    use super::ConnectionStatus;
    use crate::transport::Transport;

    #[derive(Debug)]
    pub(crate) struct ConnectionMetrics;

    impl ConnectionMetrics {
        pub(crate) fn start(_transport: Transport) -> Self {
            ConnectionMetrics
        }

        pub(crate) fn set_status(&mut self, _status: ConnectionStatus) {}
    }

    #[derive(Debug)]
    pub(crate) struct MethodMetrics;

    /// When a call started: nothing to know without metrics.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Started;

    impl MethodMetrics {
        pub(crate) fn new(_hub: &str, _method: &'static str) -> Self {
            MethodMetrics
        }

        pub(crate) fn start() -> Started {
            Started
        }

        pub(crate) fn record(&self, _started: Started, _ok: bool) {}
    }

    pub(crate) fn dropped_messages(_count: usize) {}
}

#[cfg(not(feature = "metrics"))]
pub(crate) use disabled::{ConnectionMetrics, MethodMetrics, dropped_messages};
#[cfg(feature = "metrics")]
pub(crate) use enabled::{ConnectionMetrics, MethodMetrics, dropped_messages};
