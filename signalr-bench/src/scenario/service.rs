//! Echo and broadcast through the SignalR service (issue #19): the bench hub served through a
//! `signalr-service` of the run's own, against the raw WebSocket server.
//!
//! Each client negotiates with the application server (`serve hub --service …`), follows its
//! redirect to the service, negotiates there with the token it was given and holds its
//! WebSocket on the service; the service relays each client's bytes to the application server
//! over one of the hub's five server connections and back, and carries out the hub's
//! broadcasts itself. The raw side is exactly the direct row's raw side (the same load, on the
//! raw server), so the ratio is against the same ceiling as the direct rows beside it. The
//! application server and the service are both pinned to the server's core, as redis-server is
//! in the Redis row: the same one core does all server-side work. Their CPU times are measured
//! over the same window and reported apart: the table's hub CPU is the application server's,
//! the service's is beside it and in the row's note.

use std::time::Duration;

use super::fanout::{self, Fanout, Plan};
use super::{Scenario, echo, open_many};
use crate::child::{Placement, Server, ServiceProcess};
use crate::client::{Proto, service};
use crate::server::Kind;
use crate::stats::{Sample, Summary};

/// Server connections an application server opens per hub (the runtime's default).
const SERVER_CONNECTIONS: usize = 5;

/// What a row through the service does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    /// Echo, one call in flight per connection.
    Echo,
    /// Saturated broadcast from the first connection to every one.
    Broadcast,
}

/// Echo or broadcast (JSON) through the service.
#[derive(Debug, Clone)]
pub(crate) struct ViaService {
    /// What the connections do.
    pub(crate) load: Load,
    /// Connections, all on the service.
    pub(crate) conns: usize,
}

impl ViaService {
    /// The row label.
    pub(crate) fn label(&self) -> String {
        match self.load {
            Load::Echo => format!("echo ws/json x{} via service", self.conns),
            Load::Broadcast => format!("broadcast ws/json x{} via service saturated", self.conns),
        }
    }

    /// The direct row of the same load, whose raw side is this row's raw side.
    pub(crate) fn direct(&self) -> Scenario {
        match self.load {
            Load::Echo => Scenario::Echo {
                proto: Proto::Json,
                conns: self.conns,
                depth: 1,
            },
            Load::Broadcast => Scenario::Fanout(Fanout {
                proto: Proto::Json,
                conns: self.conns,
                group: None,
                pace: None,
            }),
        }
    }

    /// What the row's columns mean, with the service's CPU time and memory.
    pub(crate) fn note(&self, raw: &Summary, hub: &Summary) -> String {
        let together = hub.cpu_us + hub.side_cpu_us;
        let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        format!(
            "`{}`: raw = the raw WebSocket server; hub = the bench hub served through \
             signalr-service (clients redirected by the hub's negotiate, their WebSockets on the \
             service, relayed over {SERVER_CONNECTIONS} server connections), application server \
             and service both pinned to the server core. Server CPU µs per {}: application server \
             {:.2}, service {:.2}, together {:.2} ({:.2}× raw's {:.2}); the hub CPU column is the \
             application server's alone. Peak MB: application server {:.0}, service {:.0}.",
            self.label(),
            match self.load {
                Load::Echo => "answer",
                Load::Broadcast => "delivery",
            },
            hub.cpu_us,
            hub.side_cpu_us,
            together,
            together / raw.cpu_us.max(f64::MIN_POSITIVE),
            raw.cpu_us,
            mb(hub.peak),
            mb(hub.side_peak),
        )
    }

    /// One run of the hub side: a service, an application server serving the bench hub through
    /// it, and every connection on the service. (The raw side is the direct row's.)
    pub(crate) async fn run(
        &self,
        placement: &Placement,
        duration: Duration,
    ) -> Result<Sample, String> {
        let service = ServiceProcess::start(placement)?;
        let connection_string = service.connection_string();
        let server = Server::start_with(Kind::Hub, placement, &["--service", &connection_string])?;
        service.wait_for_servers(SERVER_CONNECTIONS).await?;
        let app = server.addr;
        let links = open_many(self.conns, move || service::connect(app, Proto::Json)).await?;
        let watched = [server.process(), service.process()];
        let (mut sample, count, cpu) = match self.load {
            Load::Echo => {
                let measured = echo::measure(links, 1, duration, None, &watched).await?;
                let (count, cpu) = (measured.answered, measured.cpu.clone());
                let app_cpu = cpu.first().copied().unwrap_or_default();
                (measured.sample(app_cpu, server.peak()), count, cpu)
            }
            Load::Broadcast => {
                let plan = Plan {
                    per_send: self.conns as u64,
                    pace: None,
                    groups: None,
                    duration,
                };
                let measured = fanout::measure(links, &plan, &watched).await?;
                let (count, cpu) = (measured.delivered, measured.cpu.clone());
                let app_cpu = cpu.first().copied().unwrap_or_default();
                (measured.sample(app_cpu, server.peak()), count, cpu)
            }
        };
        let service_cpu = cpu.get(1).copied().unwrap_or_default();
        sample.side_cpu_us = service_cpu.as_secs_f64() * 1e6 / count.max(1) as f64;
        sample.side_peak = service.process().peak();
        // The application server goes first, so that it does not see its service vanish.
        drop(server);
        drop(service);
        Ok(sample)
    }
}
