//! Broadcast through the Redis backplane: hub processes on one redis-server of the run's own,
//! the sender connected to the first, every connection of every process receiving each send;
//! against one in-memory hub process holding as many connections.
//!
//! The row compares two hubs, not a hub with the raw server. Its raw side is the in-memory hub
//! (one process, every connection), its hub side the Redis hub (`servers` processes,
//! `per_server` connections each), and its ratio is server CPU time per delivery, Redis over
//! in-memory: both sides are pinned to the server's core (redis-server too), so the same one
//! core does all server-side work and deliveries per second mostly show how that core is
//! shared. The Redis side's CPU is the sum of its hub processes'; redis-server's own is
//! measured over the same window and reported apart, in the row's note.
//!
//! Both hubs keep the default options (one invocation at a time per client, every message
//! serialized for JSON and MessagePack on the backplane). With one at a time, each `Broadcast`
//! of the sender waits for its `PUBLISH` to be answered before the next one starts, so the
//! messages reach the hubs one by one and their writers coalesce fewer of them per write than
//! the in-memory hub's, whose reader queues every broadcast of one read before they run.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::connect_many;
use super::fanout::{self, PAYLOAD, Plan};
use crate::child::{Placement, Process, Redis, Server};
use crate::client::codec::payload;
use crate::client::ws::{Rx, Tx};
use crate::client::{Call, Incoming, Proto};
use crate::server::Kind;
use crate::stats::{Sample, Summary};

/// How long one probe broadcast may take to reach every connection before the next is sent.
const PROBE_ROUND: Duration = Duration::from_millis(250);

/// How long the backplane may take to reach every connection at all.
const PROBE_GIVE_UP: Duration = Duration::from_secs(10);

/// Saturated broadcast across hub processes on the Redis backplane.
#[derive(Debug, Clone)]
pub(crate) struct RedisFanout {
    /// The hub protocol.
    pub(crate) proto: Proto,
    /// Hub processes on the backplane.
    pub(crate) servers: usize,
    /// Connections to each of them (the sender is one of the first's).
    pub(crate) per_server: usize,
}

impl RedisFanout {
    /// Every connection: the recipients of each send, and the in-memory hub's connections.
    fn total(&self) -> usize {
        self.servers * self.per_server
    }

    /// The row label.
    pub(crate) fn label(&self) -> String {
        format!(
            "broadcast ws/{} x{} via redis ({} servers x {}) saturated",
            self.proto.name(),
            self.total(),
            self.servers,
            self.per_server
        )
    }

    /// What the row's columns mean, with redis-server's CPU time, which the columns leave out.
    pub(crate) fn note(&self, in_memory: &Summary, redis: &Summary) -> String {
        let with_redis = redis.cpu_us + redis.side_cpu_us;
        format!(
            "`{}`: raw = the in-memory hub, 1 process × {}; hub = the Redis hub, {} processes × \
             {} on one redis-server, all pinned to the server core; the ratio is server CPU per \
             delivery, Redis / in-memory (lower is better): {:.2} / {:.2} µs, the Redis side \
             counting both hub processes; peak MB is the hub processes' summed. redis-server's \
             own CPU, not included: {:.2} µs/delivery (with it {:.2} µs, {:.2}× the in-memory \
             hub).",
            self.label(),
            self.total(),
            self.servers,
            self.per_server,
            redis.cpu_us,
            in_memory.cpu_us,
            redis.side_cpu_us,
            with_redis,
            with_redis / in_memory.cpu_us.max(f64::MIN_POSITIVE),
        )
    }

    /// One run of side `side`: [`Kind::Raw`] is the in-memory hub, [`Kind::Hub`] the Redis one.
    pub(crate) async fn run(
        &self,
        side: Kind,
        placement: &Placement,
        duration: Duration,
    ) -> Result<Sample, String> {
        match side {
            Kind::Raw => self.in_memory(placement, duration).await,
            Kind::Hub => self.through_redis(placement, duration).await,
        }
    }

    fn plan(&self, duration: Duration) -> Plan {
        Plan {
            per_send: self.total() as u64,
            pace: None,
            groups: None,
            duration,
        }
    }

    async fn in_memory(&self, placement: &Placement, duration: Duration) -> Result<Sample, String> {
        let server = Server::start(Kind::Hub, placement)?;
        let mut links = connect_many(server.addr, self.proto, self.total()).await?;
        // Needless without a backplane, but both sides then start their window the same way.
        wait_for_probe(&mut links).await?;
        let measured = fanout::measure(links, &self.plan(duration), &[server.process()]).await?;
        let cpu = measured.cpu.iter().sum();
        Ok(measured.sample(cpu, server.peak()))
    }

    async fn through_redis(
        &self,
        placement: &Placement,
        duration: Duration,
    ) -> Result<Sample, String> {
        let redis = Redis::start(placement)?;
        let args = ["--redis", redis.url.as_str()];
        let mut servers = Vec::with_capacity(self.servers);
        for _ in 0..self.servers {
            servers.push(Server::start_with(Kind::Hub, placement, &args)?);
        }
        // The first server's connections come first: the sender is the first connection.
        let mut links = Vec::with_capacity(self.total());
        for server in &servers {
            links.extend(connect_many(server.addr, self.proto, self.per_server).await?);
        }
        wait_for_probe(&mut links).await?;
        let mut watched: Vec<&Process> = servers.iter().map(Server::process).collect();
        watched.push(redis.process());
        let measured = fanout::measure(links, &self.plan(duration), &watched).await?;
        let hubs = measured.cpu.iter().take(self.servers).sum();
        let backplane = measured.cpu.get(self.servers).copied().unwrap_or_default();
        let delivered = measured.delivered.max(1) as f64;
        let mut sample = measured.sample(hubs, servers.iter().map(Server::peak).sum());
        sample.side_cpu_us = backplane.as_secs_f64() * 1e6 / delivered;
        // The hubs go first, so that they do not see their Redis vanish under them.
        drop(servers);
        drop(redis);
        Ok(sample)
    }
}

/// Broadcasts probes from the first connection until the latest reaches every connection.
///
/// The backplane subscribes asynchronously (to the hub's `all` channel when a server starts),
/// so a broadcast sent at once may miss another server's connections, and would count as lost.
/// Probe `n` carries the stamp `n`; a server delivers the sends of one connection in order, so
/// once every connection has seen the latest probe no earlier one is still on its way, and the
/// measured window starts with nothing but its own deliveries to come.
async fn wait_for_probe(links: &mut [(Tx, Rx)]) -> Result<(), String> {
    let give_up = Instant::now() + PROBE_GIVE_UP;
    let mut seen = vec![0_u64; links.len()];
    let mut text = String::new();
    let mut probe = 0_u64;
    loop {
        if Instant::now() > give_up {
            let missing = seen.iter().filter(|&&stamp| stamp < probe).count();
            return Err(format!(
                "{missing} of {} connections did not receive a probe broadcast within {:?}",
                links.len(),
                PROBE_GIVE_UP
            ));
        }
        probe += 1;
        payload(probe, PAYLOAD, &mut text);
        let (tx, _) = links.first_mut().ok_or("no connections")?;
        tx.call(Call::Broadcast(&text), None).await?;
        let waits = links
            .iter_mut()
            .zip(seen.iter_mut())
            .map(|((_, rx), seen)| async move {
                while *seen < probe {
                    let record = |message| {
                        if let Incoming::Delivery(stamp) = message {
                            *seen = (*seen).max(stamp);
                        }
                    };
                    if !rx.recv(record).await {
                        return false;
                    }
                }
                true
            });
        // A wait cut short by the timeout loses nothing: a frame is read whole or not at all.
        if let Ok(open) = tokio::time::timeout(PROBE_ROUND, join_all(waits)).await {
            if open.contains(&false) {
                return Err("a connection closed while waiting for a probe broadcast".to_owned());
            }
            return Ok(());
        }
    }
}
