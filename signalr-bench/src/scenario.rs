//! The scenarios: what the load client does to one server in one measured run.

mod connect;
mod density;
mod echo;
mod fanout;
mod http_echo;
mod redis_fanout;
mod service;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::child::{CpuMark, Placement, Process, Server};
use crate::client::Proto;
use crate::client::ws::{self, Rx, Tx};
use crate::server::Kind;
use crate::stats::{Sample, Summary};

pub(crate) use fanout::Fanout;
pub(crate) use http_echo::HttpTransport;
pub(crate) use redis_fanout::RedisFanout;
pub(crate) use service::{Load, ViaService};

/// One scenario, runnable against either server.
#[derive(Debug, Clone)]
pub(crate) enum Scenario {
    /// Echo invocations: `depth` in flight on each of `conns` connections.
    Echo {
        /// The hub protocol.
        proto: Proto,
        /// Connections.
        conns: usize,
        /// Invocations in flight per connection (1: wait for each answer).
        depth: usize,
    },
    /// Echo over an HTTP transport (JSON); the raw side is the raw WebSocket echo.
    HttpEcho {
        /// Long Polling or Server-Sent Events.
        transport: HttpTransport,
        /// Connections.
        conns: usize,
    },
    /// Echo (JSON, one call in flight) with stateful reconnect against the same hub without it:
    /// both sides are the hub; "raw" is the plain connection.
    StatefulEcho {
        /// Connections.
        conns: usize,
    },
    /// Echo (JSON, one call in flight) on a hub recording its metrics in a Prometheus recorder,
    /// against the same hub without a recorder: both sides are the hub; "raw" is without.
    MetricsEcho {
        /// Connections.
        conns: usize,
    },
    /// Broadcast or group sends.
    Fanout(Fanout),
    /// Broadcast across hub processes on the Redis backplane, against one in-memory hub.
    RedisFanout(RedisFanout),
    /// Echo or broadcast with the hub served through the SignalR service, against the raw
    /// server.
    ViaService(ViaService),
    /// Server memory per idle connection.
    Density {
        /// Idle connections held open.
        conns: usize,
    },
    /// Negotiate + connect + handshake, `count` times.
    ConnectRate {
        /// Connections opened.
        count: usize,
        /// The raw server answers a negotiate first too (see `server::raw`): the protocol's
        /// two connections per client on both sides. Otherwise only the hub negotiates.
        raw_negotiates: bool,
    },
    /// Connect + handshake with `skipNegotiation` (hub only), `count` times: the upgrade and
    /// the handshake alone against the raw server's upgrade.
    ConnectSkipNegotiation {
        /// Connections opened.
        count: usize,
    },
    /// A reconnect storm: `count` clients negotiate and connect, `in_flight` at a time, and
    /// stay connected until the last one is up.
    Storm {
        /// Connections opened and kept.
        count: usize,
        /// Connections being opened at any moment.
        in_flight: usize,
        /// As in [`Scenario::ConnectRate`].
        raw_negotiates: bool,
    },
}

/// What the ratio column divides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compared {
    /// The headline figure, hub / raw.
    Headline,
    /// Server CPU time per message, measured side / baseline side (lower is better).
    CpuPerMessage,
}

/// What a headline figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Messages (or deliveries) per second: higher is better.
    PerSecond,
    /// Connections per second: higher is better.
    ConnectionsPerSecond,
    /// Bytes per connection: lower is better.
    BytesPerConnection,
}

impl Unit {
    /// The unit's short name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Unit::PerSecond => "msg/s",
            Unit::ConnectionsPerSecond => "conn/s",
            Unit::BytesPerConnection => "B/conn",
        }
    }
}

impl Scenario {
    /// The row label in the table.
    pub(crate) fn label(&self) -> String {
        match self {
            Scenario::Echo {
                proto,
                conns,
                depth: 1,
            } => format!("echo ws/{} x{conns}", proto.name()),
            Scenario::Echo {
                proto,
                conns,
                depth,
            } => format!("echo ws/{} x{conns} pipelined {depth}", proto.name()),
            Scenario::HttpEcho { transport, conns } => {
                format!("echo {}/json x{conns} (raw: ws)", transport.name())
            }
            Scenario::StatefulEcho { conns } => {
                format!("echo ws/json x{conns} stateful reconnect (raw: without)")
            }
            Scenario::MetricsEcho { conns } => {
                format!("echo ws/json x{conns} metrics on (raw: off)")
            }
            Scenario::Fanout(fanout) => fanout.label(),
            Scenario::RedisFanout(fanout) => fanout.label(),
            Scenario::ViaService(via) => via.label(),
            Scenario::Density { conns } => format!("idle memory x{conns}"),
            Scenario::ConnectRate {
                count,
                raw_negotiates,
            } => format!("connect rate ({count} conns){}", too(*raw_negotiates)),
            Scenario::ConnectSkipNegotiation { count } => {
                format!("connect rate, skipNegotiation ({count} conns)")
            }
            Scenario::Storm {
                count,
                in_flight,
                raw_negotiates,
            } => format!(
                "reconnect storm ({count} conns, {in_flight} in flight){}",
                too(*raw_negotiates)
            ),
        }
    }

    /// What the headline figure counts.
    pub(crate) fn unit(&self) -> Unit {
        match self {
            Scenario::Echo { .. }
            | Scenario::HttpEcho { .. }
            | Scenario::StatefulEcho { .. }
            | Scenario::MetricsEcho { .. }
            | Scenario::Fanout(_)
            | Scenario::RedisFanout(_)
            | Scenario::ViaService(_) => Unit::PerSecond,
            Scenario::Density { .. } => Unit::BytesPerConnection,
            Scenario::ConnectRate { .. }
            | Scenario::ConnectSkipNegotiation { .. }
            | Scenario::Storm { .. } => Unit::ConnectionsPerSecond,
        }
    }

    /// What the two sides of the row are called in progress output: the raw server and the
    /// hub, except where the row compares two hubs.
    pub(crate) fn side_name(&self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Scenario::RedisFanout(_), Kind::Raw) => "in-memory",
            (Scenario::RedisFanout(_), Kind::Hub) => "redis",
            (Scenario::StatefulEcho { .. }, Kind::Raw) => "plain",
            (Scenario::StatefulEcho { .. }, Kind::Hub) => "stateful",
            (Scenario::MetricsEcho { .. }, Kind::Raw) => "metrics off",
            (Scenario::MetricsEcho { .. }, Kind::Hub) => "metrics on",
            (_, kind) => kind.name(),
        }
    }

    /// The process beside the servers whose CPU time the row reports apart, if any.
    pub(crate) fn side_process(&self) -> Option<&'static str> {
        match self {
            Scenario::RedisFanout(_) => Some("redis-server"),
            Scenario::ViaService(_) => Some("service"),
            _ => None,
        }
    }

    /// What the ratio column compares.
    pub(crate) fn compared(&self) -> Compared {
        match self {
            Scenario::RedisFanout(_) => Compared::CpuPerMessage,
            _ => Compared::Headline,
        }
    }

    /// A line explaining the row beneath the table, where its columns mean something else.
    pub(crate) fn note(&self, raw: &Summary, hub: &Summary) -> Option<String> {
        match self {
            Scenario::RedisFanout(fanout) => Some(fanout.note(raw, hub)),
            Scenario::ViaService(via) => Some(via.note(raw, hub)),
            _ => None,
        }
    }

    /// Runs once on side `kind`, against fresh server processes that it starts and stops, so
    /// that peak memory belongs to this run alone.
    pub(crate) async fn run(
        &self,
        kind: Kind,
        placement: &Placement,
        duration: Duration,
    ) -> Result<Sample, String> {
        // The raw side of a row through the service is the direct row's raw side.
        let direct;
        let scenario = match self {
            Scenario::RedisFanout(fanout) => return fanout.run(kind, placement, duration).await,
            Scenario::ViaService(via) if kind == Kind::Hub => {
                return via.run(placement, duration).await;
            }
            Scenario::ViaService(via) => {
                direct = via.direct();
                &direct
            }
            _ => self,
        };
        // Both sides of the stateful and metrics rows are the hub.
        let process = match scenario {
            Scenario::StatefulEcho { .. } | Scenario::MetricsEcho { .. } => Kind::Hub,
            _ => kind,
        };
        let metrics = matches!(scenario, Scenario::MetricsEcho { .. }) && kind == Kind::Hub;
        let args: &[&str] = if metrics { &["--metrics"] } else { &[] };
        let server = Server::start_with(process, placement, args)?;
        let sample = scenario.run_against(&server, kind, duration).await;
        drop(server);
        sample
    }

    /// Runs once against `server`, which is of `kind`.
    async fn run_against(
        &self,
        server: &Server,
        kind: Kind,
        duration: Duration,
    ) -> Result<Sample, String> {
        let hub_proto = |proto: Proto| if kind == Kind::Raw { Proto::Raw } else { proto };
        match self {
            Scenario::Echo {
                proto,
                conns,
                depth,
            } => echo::run(server, hub_proto(*proto), *conns, *depth, duration, false).await,
            Scenario::HttpEcho { conns, .. } if kind == Kind::Raw => {
                echo::run(server, Proto::Raw, *conns, 1, duration, false).await
            }
            Scenario::MetricsEcho { conns } => {
                echo::run(server, Proto::Json, *conns, 1, duration, false).await
            }
            Scenario::StatefulEcho { conns } => {
                let stateful = kind == Kind::Hub;
                echo::run(server, Proto::Json, *conns, 1, duration, stateful).await
            }
            Scenario::HttpEcho { transport, conns } => {
                http_echo::run(server, *transport, *conns, duration).await
            }
            Scenario::Fanout(fanout) => fanout.run(server, hub_proto(fanout.proto), duration).await,
            // Started by `run`, with processes of its own.
            Scenario::RedisFanout(_) | Scenario::ViaService(_) => {
                Err("runs against servers of its own".to_owned())
            }
            Scenario::Density { conns } => {
                density::run(server, hub_proto(Proto::Json), *conns).await
            }
            Scenario::ConnectRate {
                count,
                raw_negotiates,
            } => connect::run(server, hub_proto(Proto::Json), *count, *raw_negotiates).await,
            Scenario::ConnectSkipNegotiation { count } => {
                let setup = connect::Setup {
                    count: *count,
                    in_flight: 8,
                    negotiate: false,
                    raw_negotiates: false,
                    keep: false,
                };
                connect::open_all(server, hub_proto(Proto::Json), setup).await
            }
            Scenario::Storm {
                count,
                in_flight,
                raw_negotiates,
            } => {
                let setup = connect::Setup {
                    count: *count,
                    in_flight: *in_flight,
                    negotiate: true,
                    raw_negotiates: *raw_negotiates,
                    keep: true,
                };
                connect::open_all(server, hub_proto(Proto::Json), setup).await
            }
        }
    }
}

/// What a connection row's label says when the raw server negotiates too.
fn too(raw_negotiates: bool) -> &'static str {
    if raw_negotiates {
        ", raw negotiates too"
    } else {
        ""
    }
}

/// A measured window: wall time, and the CPU time of the processes it watches.
struct Window {
    start: Instant,
    marks: Vec<CpuMark>,
}

impl Window {
    fn open(server: &Server) -> Window {
        Window::watching(&[server.process()])
    }

    /// A window over the CPU time of every one of `processes`.
    fn watching(processes: &[&Process]) -> Window {
        Window {
            marks: processes.iter().map(|p| CpuMark::of(p)).collect(),
            start: Instant::now(),
        }
    }

    /// Wall time and the CPU time of the one process watched since the window opened.
    fn close(&self, server: &Server) -> (Duration, Duration) {
        let (elapsed, cpu) = self.close_each(&[server.process()]);
        (elapsed, cpu.iter().sum())
    }

    /// Wall time, and the CPU time of each process (given in the order of
    /// [`Window::watching`]) since the window opened.
    fn close_each(&self, processes: &[&Process]) -> (Duration, Vec<Duration>) {
        let elapsed = self.start.elapsed();
        let cpu = self
            .marks
            .iter()
            .zip(processes)
            .map(|(mark, process)| mark.until(CpuMark::of(process)))
            .collect();
        (elapsed, cpu)
    }
}

/// Opens `count` connections straight to the server at `addr`.
async fn connect_many(
    addr: SocketAddr,
    proto: Proto,
    count: usize,
) -> Result<Vec<(Tx, Rx)>, String> {
    open_many(count, move || ws::connect(addr, proto, None)).await
}

/// Opens `count` connections with `open`, a few handshakes at a time.
async fn open_many<F, O>(count: usize, open: F) -> Result<Vec<(Tx, Rx)>, String>
where
    F: Fn() -> O,
    O: Future<Output = Result<(Tx, Rx), String>> + Send + 'static,
{
    const PARALLEL: usize = 64;
    let mut links = Vec::with_capacity(count);
    let mut pending = tokio::task::JoinSet::new();
    for _ in 0..count {
        if pending.len() >= PARALLEL
            && let Some(done) = pending.join_next().await
        {
            links.push(done.map_err(|e| e.to_string())??);
        }
        pending.spawn(open());
    }
    while let Some(done) = pending.join_next().await {
        links.push(done.map_err(|e| e.to_string())??);
    }
    Ok(links)
}
