//! Broadcast and group sends: one connection sends, every target connection must receive.
//!
//! Saturated runs keep a window of sends whose deliveries have not all arrived, so the server
//! is always busy but no queue overflows; paced runs send on a fixed schedule and measure each
//! delivery's latency from the time its send was scheduled, so a late sender counts against
//! the server rather than hiding its delays.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use super::{Window, connect_many};
use crate::child::{Process, Server};
use crate::client::codec::payload;
use crate::client::ws::{Rx, Tx};
use crate::client::{Call, Incoming, Proto};
use crate::stats::{Latencies, Sample};

/// Bytes of the text each send carries.
pub(super) const PAYLOAD: usize = 32;

/// How long the last deliveries may take after the last send.
const DRAIN: Duration = Duration::from_secs(10);

/// A fan-out scenario.
#[derive(Debug, Clone)]
pub(crate) struct Fanout {
    /// The hub protocol.
    pub(crate) proto: Proto,
    /// Connections, all of which receive (the sender is one of them).
    pub(crate) conns: usize,
    /// Group size, or `None` to broadcast to every connection.
    pub(crate) group: Option<usize>,
    /// Sends per second, or `None` for saturated.
    pub(crate) pace: Option<f64>,
}

/// Deliveries so far, shared by the receivers and the sender's window.
struct Progress {
    delivered: AtomicU64,
    /// Rung each time another send's worth of deliveries has arrived.
    bell: Notify,
    per_send: u64,
}

impl Fanout {
    pub(crate) fn label(&self) -> String {
        let proto = self.proto.name();
        let target = match self.group {
            None => format!("broadcast ws/{proto} x{}", self.conns),
            Some(size) => format!("group ws/{proto} of {size} ({} conns)", self.conns),
        };
        let mode = match self.pace {
            None => "saturated".to_owned(),
            Some(rate) => format!("paced {rate}/s"),
        };
        format!("{target} {mode}")
    }

    pub(super) async fn run(
        &self,
        server: &Server,
        proto: Proto,
        duration: Duration,
    ) -> Result<Sample, String> {
        let mut links = connect_many(server.addr, proto, self.conns).await?;
        let group_size = self.group.unwrap_or(self.conns).max(1);
        let groups = (self.conns / group_size).max(1);
        if self.group.is_some() {
            for (i, (tx, rx)) in links.iter_mut().enumerate() {
                let name = format!("g{}", i / group_size);
                tx.call(Call::Join(&name), Some(1)).await?;
                let mut joined = false;
                while !joined {
                    if !rx.recv(|m| joined |= m == Incoming::Completion).await {
                        return Err("closed while joining a group".to_owned());
                    }
                }
            }
        }
        let plan = Plan {
            per_send: group_size as u64,
            pace: self.pace,
            groups: self.group.map(|_| groups),
            duration,
        };
        let measured = measure(links, &plan, &[server.process()]).await?;
        let cpu = measured.cpu.iter().sum();
        Ok(measured.sample(cpu, server.peak()))
    }
}

/// The sending side of a measured fan-out.
#[derive(Debug)]
pub(super) struct Plan {
    /// Deliveries that each send owes: its recipients.
    pub(super) per_send: u64,
    /// Sends per second, or `None` for saturated.
    pub(super) pace: Option<f64>,
    /// Group sends round-robin over this many groups (`g0`, `g1`, …), or `None` to broadcast.
    pub(super) groups: Option<usize>,
    /// How long sends go on.
    pub(super) duration: Duration,
}

/// What a measured fan-out counted.
#[derive(Debug)]
pub(super) struct Measured {
    /// Deliveries that arrived.
    pub(super) delivered: u64,
    /// Deliveries owed: sends × recipients.
    pub(super) expected: u64,
    /// The window: the sends and the drain of their last deliveries.
    pub(super) elapsed: Duration,
    /// CPU time of each watched process over the window, in the order given.
    pub(super) cpu: Vec<Duration>,
    /// Every delivery's latency from its scheduled send.
    pub(super) latencies: Latencies,
}

impl Measured {
    /// Missing and extra deliveries both count: a duplicate must not hide a loss.
    pub(super) fn lost(&self) -> u64 {
        self.expected.abs_diff(self.delivered)
    }

    /// The run's sample: deliveries per second, `cpu` per delivery, `peak` memory.
    pub(super) fn sample(self, cpu: Duration, peak: u64) -> Sample {
        let lost = self.lost();
        Sample::throughput(
            self.delivered,
            self.elapsed,
            cpu,
            self.latencies,
            peak,
            lost,
        )
    }
}

/// Sends from the first of `links` while every link (the sender's too) counts what it
/// receives, for `plan.duration` and then until the last deliveries are in; the CPU time of the
/// `watched` processes is read when the window opens and when it closes.
pub(super) async fn measure(
    links: Vec<(Tx, Rx)>,
    plan: &Plan,
    watched: &[&Process],
) -> Result<Measured, String> {
    let progress = Arc::new(Progress {
        delivered: AtomicU64::new(0),
        bell: Notify::new(),
        per_send: plan.per_send.max(1),
    });
    let epoch = Instant::now();
    let (stop, stopped) = watch::channel(false);
    let mut sender = None;
    let mut receivers = Vec::with_capacity(links.len());
    for (tx, rx) in links {
        sender.get_or_insert(tx);
        receivers.push(tokio::spawn(receive(
            rx,
            Arc::clone(&progress),
            epoch,
            stopped.clone(),
        )));
    }
    let mut tx = sender.ok_or("no connections")?;

    let window = Window::watching(watched);
    // Saturated: enough sends in flight to keep the server busy, far below its queues.
    let in_flight = if plan.pace.is_some() { 256 } else { 16 };
    let mut text = String::new();
    let mut sent = 0_u64;
    let deadline = window.start + plan.duration;
    loop {
        let scheduled = match plan.pace {
            Some(rate) => window.start + Duration::from_secs_f64(sent as f64 / rate),
            None => Instant::now(),
        };
        if scheduled >= deadline {
            break;
        }
        // Only a paced run sleeps: the timer's millisecond ticks would pace the other too.
        if plan.pace.is_some() {
            tokio::time::sleep_until(scheduled.into()).await;
        }
        while sent.saturating_sub(in_flight) * progress.per_send
            > progress.delivered.load(Ordering::Acquire)
        {
            if tokio::time::timeout(DRAIN, progress.bell.notified())
                .await
                .is_err()
            {
                break;
            }
        }
        let stamp = u64::try_from((scheduled - epoch).as_nanos()).unwrap_or(u64::MAX);
        payload(stamp, PAYLOAD, &mut text);
        // The group name is only built for group sends: the sender's loop is timed too.
        match plan.groups {
            None => tx.call(Call::Broadcast(&text), None).await?,
            Some(groups) => {
                let group = format!("g{}", sent % groups.max(1) as u64);
                tx.call(Call::GroupSend(&group, &text), None).await?;
            }
        }
        sent += 1;
    }
    let expected = sent * progress.per_send;
    let drain_until = Instant::now() + DRAIN;
    while progress.delivered.load(Ordering::Acquire) < expected && Instant::now() < drain_until {
        let _ = tokio::time::timeout(Duration::from_millis(50), progress.bell.notified()).await;
    }
    let (elapsed, cpu) = window.close_each(watched);
    let _ = stop.send(true);
    let mut latencies = Latencies::default();
    for receiver in receivers {
        latencies.merge(receiver.await.map_err(|e| e.to_string())?);
    }
    let delivered = progress.delivered.load(Ordering::Acquire);
    drop(tx);
    Ok(Measured {
        delivered,
        expected,
        elapsed,
        cpu,
        latencies,
    })
}

/// Counts deliveries on one connection and times each from its scheduled send.
async fn receive(
    mut rx: Rx,
    progress: Arc<Progress>,
    epoch: Instant,
    mut stopped: watch::Receiver<bool>,
) -> Latencies {
    let mut latencies = Latencies::default();
    loop {
        let record = |message| {
            if let Incoming::Delivery(stamp) = message {
                let now = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
                latencies.record(Duration::from_nanos(now.saturating_sub(stamp)));
                let before = progress.delivered.fetch_add(1, Ordering::AcqRel);
                if (before + 1).is_multiple_of(progress.per_send) {
                    progress.bell.notify_one();
                }
            }
        };
        let open = tokio::select! {
            biased;
            _ = stopped.changed() => false,
            open = rx.recv(record) => open,
        };
        if !open {
            break;
        }
    }
    latencies
}
