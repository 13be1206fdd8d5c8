//! The scenarios: what the load client does to one server in one measured run.

mod connect;
mod density;
mod echo;
mod fanout;
mod http_echo;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::child::Server;
use crate::client::Proto;
use crate::client::ws::{self, Rx, Tx};
use crate::server::Kind;
use crate::stats::Sample;

pub(crate) use fanout::Fanout;
pub(crate) use http_echo::HttpTransport;

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
    /// Broadcast or group sends.
    Fanout(Fanout),
    /// Server memory per idle connection.
    Density {
        /// Idle connections held open.
        conns: usize,
    },
    /// Negotiate (hub only) + connect + handshake, `count` times.
    ConnectRate {
        /// Connections opened.
        count: usize,
    },
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
            Scenario::Fanout(fanout) => fanout.label(),
            Scenario::Density { conns } => format!("idle memory x{conns}"),
            Scenario::ConnectRate { count } => format!("connect rate ({count} conns)"),
        }
    }

    /// What the headline figure counts.
    pub(crate) fn unit(&self) -> Unit {
        match self {
            Scenario::Echo { .. } | Scenario::HttpEcho { .. } | Scenario::Fanout(_) => {
                Unit::PerSecond
            }
            Scenario::Density { .. } => Unit::BytesPerConnection,
            Scenario::ConnectRate { .. } => Unit::ConnectionsPerSecond,
        }
    }

    /// Runs once against `server`, which is of `kind`.
    pub(crate) async fn run(
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
            } => echo::run(server, hub_proto(*proto), *conns, *depth, duration).await,
            Scenario::HttpEcho { conns, .. } if kind == Kind::Raw => {
                echo::run(server, Proto::Raw, *conns, 1, duration).await
            }
            Scenario::HttpEcho { transport, conns } => {
                http_echo::run(server, *transport, *conns, duration).await
            }
            Scenario::Fanout(fanout) => fanout.run(server, hub_proto(fanout.proto), duration).await,
            Scenario::Density { conns } => {
                density::run(server, hub_proto(Proto::Json), *conns).await
            }
            Scenario::ConnectRate { count } => {
                connect::run(server, hub_proto(Proto::Json), *count).await
            }
        }
    }
}

/// A measured window: wall time and the server's CPU time from its start.
struct Window {
    start: Instant,
    cpu: crate::child::CpuMark,
}

impl Window {
    fn open(server: &Server) -> Window {
        Window {
            cpu: server.cpu(),
            start: Instant::now(),
        }
    }

    /// Wall time and server CPU time since the window opened.
    fn close(&self, server: &Server) -> (Duration, Duration) {
        let elapsed = self.start.elapsed();
        (elapsed, server.cpu_between(self.cpu, server.cpu()))
    }
}

/// Opens `count` connections, at most `parallel` handshakes at a time.
async fn connect_many(
    addr: SocketAddr,
    proto: Proto,
    count: usize,
) -> Result<Vec<(Tx, Rx)>, String> {
    const PARALLEL: usize = 64;
    let mut links = Vec::with_capacity(count);
    let mut pending = tokio::task::JoinSet::new();
    for _ in 0..count {
        if pending.len() >= PARALLEL
            && let Some(done) = pending.join_next().await
        {
            links.push(done.map_err(|e| e.to_string())??);
        }
        pending.spawn(async move { ws::connect(addr, proto, None).await });
    }
    while let Some(done) = pending.join_next().await {
        links.push(done.map_err(|e| e.to_string())??);
    }
    Ok(links)
}
