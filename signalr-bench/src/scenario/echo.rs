//! Echo: each connection keeps `depth` invocations in flight and times every answer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Window, connect_many};
use crate::child::{Process, Server};
use crate::client::codec::payload;
use crate::client::ws::{Rx, Tx};
use crate::client::{Call, Incoming, Proto};
use crate::stats::{Latencies, Sample};

/// The echoed text, as small chat messages are.
const PAYLOAD: usize = 32;

/// How long the answers still owed at the end of the window may take.
const DRAIN: Duration = Duration::from_secs(10);

/// With stateful reconnect, the client acknowledges after this many answers. The official
/// clients acknowledge once a second, which caps a connection at the server's replay buffer
/// (100 000 bytes) per second; acknowledging as the answers come measures the server's own
/// cost of keeping and releasing them instead.
const ACK_EVERY: u64 = 64;

/// Echo over `conns` connections with `depth` calls in flight each; `stateful`: negotiated
/// with stateful reconnect (JSON, handshake version 2), answering the server's messages with
/// Acks.
pub(super) async fn run(
    server: &Server,
    proto: Proto,
    conns: usize,
    depth: usize,
    duration: Duration,
    stateful: bool,
) -> Result<Sample, String> {
    let links = if stateful {
        let mut links = Vec::with_capacity(conns);
        for _ in 0..conns {
            links.push(crate::client::ws::connect_stateful(server.addr).await?);
        }
        links
    } else {
        connect_many(server.addr, proto, conns).await?
    };
    let ack_every = stateful.then_some(ACK_EVERY);
    let measured = measure(links, depth, duration, ack_every, &[server.process()]).await?;
    let cpu = measured.cpu.iter().sum();
    Ok(measured.sample(cpu, server.peak()))
}

/// What a measured echo counted.
pub(super) struct Measured {
    /// Answers received.
    pub(super) answered: u64,
    /// Answers still owed when the drain gave up.
    lost: u64,
    latencies: Latencies,
    /// The window: the calls and the drain of the last answers.
    elapsed: Duration,
    /// CPU time of each watched process over the window, in the order given.
    pub(super) cpu: Vec<Duration>,
}

impl Measured {
    /// The run's sample: answers per second, `cpu` per answer, `peak` memory.
    pub(super) fn sample(self, cpu: Duration, peak: u64) -> Sample {
        Sample::throughput(
            self.answered,
            self.elapsed,
            cpu,
            self.latencies,
            peak,
            self.lost,
        )
    }
}

/// Echo on every one of `links` with `depth` calls in flight each, for `duration` and then
/// until the last answers are in; acknowledging every `ack_every` answers (stateful
/// reconnect); the CPU time of the `watched` processes is read when the window opens and when
/// it closes.
pub(super) async fn measure(
    links: Vec<(Tx, Rx)>,
    depth: usize,
    duration: Duration,
    ack_every: Option<u64>,
    watched: &[&Process],
) -> Result<Measured, String> {
    let window = Window::watching(watched);
    let deadline = window.start + duration;
    let tasks: Vec<_> = links
        .into_iter()
        .map(|(tx, rx)| tokio::spawn(connection(tx, rx, depth, deadline, ack_every)))
        .collect();
    let mut latencies = Latencies::default();
    let (mut answered, mut lost) = (0, 0);
    for task in tasks {
        let outcome = task.await.map_err(|e| e.to_string())?;
        answered += outcome.answered;
        lost += outcome.lost;
        latencies.merge(outcome.latencies);
    }
    let (elapsed, cpu) = window.close_each(watched);
    Ok(Measured {
        answered,
        lost,
        latencies,
        elapsed,
        cpu,
    })
}

struct Outcome {
    answered: u64,
    lost: u64,
    latencies: Latencies,
}

async fn connection(
    mut tx: Tx,
    mut rx: Rx,
    depth: usize,
    deadline: Instant,
    ack_every: Option<u64>,
) -> Outcome {
    let mut unacked = 0;
    let mut text = String::new();
    payload(0, PAYLOAD, &mut text);
    let mut in_flight = VecDeque::with_capacity(depth);
    let mut outcome = Outcome {
        answered: 0,
        lost: 0,
        latencies: Latencies::default(),
    };
    let mut next_id = 0_u64;
    for _ in 0..depth {
        next_id += 1;
        if tx.feed(Call::Echo(&text), Some(next_id)).await.is_err() {
            break;
        }
        in_flight.push_back(Instant::now());
    }
    if tx.flush().await.is_err() {
        outcome.lost = in_flight.len() as u64;
        return outcome;
    }
    let drain_until = deadline + DRAIN;
    while !in_flight.is_empty() {
        let mut answered = 0;
        let frame = rx.recv(|message| {
            if message == Incoming::Completion {
                answered += 1;
            }
        });
        let open = matches!(
            tokio::time::timeout_at(drain_until.into(), frame).await,
            Ok(true)
        );
        let now = Instant::now();
        for _ in 0..answered {
            if let Some(sent) = in_flight.pop_front() {
                outcome.latencies.record(now - sent);
                outcome.answered += 1;
            }
        }
        if !open {
            break;
        }
        // Every answer is a trackable message; so the Ack names the answers received.
        unacked += answered;
        if let Some(every) = ack_every
            && unacked >= every
        {
            unacked = 0;
            let ack = format!("{{\"type\":8,\"sequenceId\":{}}}\u{1e}", outcome.answered);
            if tx
                .send_message(tungstenite::Message::text(ack))
                .await
                .is_err()
            {
                break;
            }
        }
        if now < deadline && answered > 0 {
            for _ in 0..answered {
                next_id += 1;
                if tx.feed(Call::Echo(&text), Some(next_id)).await.is_err() {
                    break;
                }
                in_flight.push_back(now);
            }
            if tx.flush().await.is_err() {
                break;
            }
        }
    }
    outcome.lost = in_flight.len() as u64;
    outcome
}
