//! Bystanders: well-behaved connections on every transport that echo and broadcast all the
//! time and check every answer and every broadcast they are owed.
//!
//! Every broadcast of the soak (a bystander's own, or a burst's) carries `src=S;seq=N;`: `S`
//! names its sender, `N` counts that sender's broadcasts from 0. A bystander, connected before
//! any of them was sent, must receive each sender's broadcasts in order with none missing; at
//! the end it must have received as many as [`Ledger`] says each sender sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::link::{Link, message_type};
use crate::client::codec::number_after;
use crate::client::{Call, Incoming};

/// How long an echo may take: longer than the server's send timeout (10 s), which is how long a
/// bystander's own broadcast may wait behind a connection that stopped reading.
const ECHO_PATIENCE: Duration = Duration::from_secs(30);

/// Errors kept word for word per bystander; the rest are only counted.
const KEPT_ERRORS: usize = 5;

/// What the bystanders are asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Echo every 100 ms and broadcast every 250 ms.
    Active,
    /// Send nothing but a Ping every 5 s; keep reading.
    Quiet,
    /// Report.
    Stop,
}

/// How many broadcasts each sender sent.
#[derive(Debug, Default)]
pub(crate) struct Ledger(Mutex<HashMap<u64, u64>>);

impl Ledger {
    /// Notes `count` more broadcasts from `src`, before they are sent.
    pub(crate) fn add(&self, src: u64, count: u64) {
        let mut sent = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *sent.entry(src).or_default() += count;
    }

    /// Every sender's count.
    pub(crate) fn snapshot(&self) -> HashMap<u64, u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What one bystander saw.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Its transport's name.
    pub(crate) transport: &'static str,
    /// Echo answers checked.
    pub(crate) echoes: u64,
    /// Broadcasts received and checked.
    pub(crate) deliveries: u64,
    /// The slowest echo.
    pub(crate) slowest_echo: Duration,
    /// Errors, losses and reorders.
    pub(crate) errors: u64,
    /// The first few of them.
    pub(crate) first_errors: Vec<String>,
    /// Per sender, the next sequence number expected (= broadcasts received in order).
    pub(crate) next: HashMap<u64, u64>,
}

impl Report {
    fn error(&mut self, text: &str) {
        self.errors += 1;
        if self.first_errors.len() < KEPT_ERRORS {
            self.first_errors
                .push(format!("{}: {text}", self.transport));
        }
    }

    /// Checks that every sender's broadcasts all arrived.
    pub(crate) fn settle(&mut self, sent: &HashMap<u64, u64>) {
        for (&src, &count) in sent {
            let got = self.next.get(&src).copied().unwrap_or(0);
            if got != count {
                self.error(&format!(
                    "sender {src}: {got} of {count} broadcasts arrived"
                ));
            }
        }
    }
}

/// Runs bystander `id` on `link` until told to stop.
pub(crate) async fn run(
    id: u64,
    mut link: Link,
    mut mode: watch::Receiver<Mode>,
    ledger: Arc<Ledger>,
) -> Report {
    let mut report = Report {
        transport: link.transport.name(),
        ..Report::default()
    };
    let proto = link.transport.proto();
    let mut echo_tick = tokio::time::interval(Duration::from_millis(100));
    let mut broadcast_tick = tokio::time::interval(Duration::from_millis(250));
    let mut ping_tick = tokio::time::interval(Duration::from_secs(5));
    for tick in [&mut echo_tick, &mut broadcast_tick, &mut ping_tick] {
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    }
    let mut echo_id = 0_u64;
    let mut in_flight: Option<(u64, Instant)> = None;
    let mut seq = 0_u64;
    let mut text = String::new();
    loop {
        let current = *mode.borrow();
        if current == Mode::Stop {
            return report;
        }
        let active = current == Mode::Active;
        if let Some((n, since)) = in_flight
            && since.elapsed() > ECHO_PATIENCE
        {
            report.error(&format!("no answer to echo {n} in {ECHO_PATIENCE:?}"));
            in_flight = None;
        }
        let sent = tokio::select! {
            changed = mode.changed() => {
                if changed.is_err() {
                    return report;
                }
                Ok(())
            }
            received = link.down.recv() => {
                let Some((kind, bytes)) = received else {
                    report.error("the transport ended");
                    return report;
                };
                check(&mut report, &mut in_flight, kind, &bytes, proto);
                Ok(())
            }
            _ = echo_tick.tick(), if active && in_flight.is_none() => {
                echo_id += 1;
                text.clear();
                text.push_str(&format!("ts=0;e={echo_id};"));
                in_flight = Some((echo_id, Instant::now()));
                link.call(Call::Echo(&text), Some(echo_id)).await
            }
            _ = broadcast_tick.tick(), if active => {
                ledger.add(id, 1);
                text.clear();
                text.push_str(&format!("ts=0;src={id};seq={seq};"));
                seq += 1;
                link.call(Call::Broadcast(&text), None).await
            }
            _ = ping_tick.tick(), if !active => link.ping().await,
        };
        if let Err(error) = sent {
            report.error(&format!("send: {error}"));
            return report;
        }
    }
}

/// Checks one message from the server.
fn check(
    report: &mut Report,
    in_flight: &mut Option<(u64, Instant)>,
    kind: Incoming,
    bytes: &[u8],
    proto: crate::client::Proto,
) {
    match kind {
        Incoming::Completion => match (in_flight.take(), number_after(bytes, b";e=")) {
            (Some((expected, since)), Some(n)) if n == expected => {
                report.echoes += 1;
                report.slowest_echo = report.slowest_echo.max(since.elapsed());
            }
            (expected, got) => report.error(&format!(
                "echo answer {got:?} while waiting for {:?}",
                expected.map(|(n, _)| n)
            )),
        },
        Incoming::Delivery(_) => {
            let (Some(src), Some(seq)) =
                (number_after(bytes, b";src="), number_after(bytes, b";seq="))
            else {
                report.error(&format!(
                    "a broadcast without its sequence: {}",
                    String::from_utf8_lossy(bytes)
                ));
                return;
            };
            report.deliveries += 1;
            let next = report.next.entry(src).or_default();
            let expected = *next;
            *next = seq + 1;
            if seq != expected {
                let what = if seq > expected { "lost" } else { "reordered" };
                report.error(&format!(
                    "sender {src}: seq {seq} where {expected} was due ({what})"
                ));
            }
        }
        Incoming::Other if message_type(proto, bytes) == Some(6) => {}
        Incoming::Other => report.error(&format!(
            "unexpected message: {}",
            String::from_utf8_lossy(bytes.get(..bytes.len().min(200)).unwrap_or_default())
        )),
    }
}
