//! The load phase: bursts, storms, slow consumers and bad input, each in a loop of its own, all
//! at once, until the phase ends; what each did is tallied.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use super::bystander::Ledger;
use super::link::Transport;
use super::{bad, burst, slow, storm};

/// Connections per storm wave.
const WAVE: usize = 200;

/// Pause between two bursts, two waves, two rounds of bad input.
const GAP: Duration = Duration::from_secs(2);

/// First failures kept word for word per kind of load.
const KEPT: usize = 3;

/// What the load did.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Bursts whose sender received its own burst whole, and those that failed.
    pub(crate) bursts: (u64, u64),
    /// Storm connections, summed over the waves.
    pub(crate) storms: storm::Wave,
    /// Storm waves.
    pub(crate) waves: u64,
    /// Slow consumers cut off, not cut off, failed to start; bytes they asked for.
    pub(crate) slow: (u64, u64, u64, usize),
    /// Bad inputs refused, accepted, unanswered, per case.
    pub(crate) bad: Vec<(u64, u64, u64, String)>,
    /// First failures, per kind.
    pub(crate) failures: Vec<String>,
}

impl Tally {
    /// The tally as report lines.
    pub(crate) fn describe(&self, lines: &mut Vec<String>) {
        lines.push(format!(
            "bursts: {} of {} records each, {} failed",
            self.bursts.0 + self.bursts.1,
            burst::RECORDS,
            self.bursts.1
        ));
        lines.push(format!(
            "storms: {} waves of {WAVE}: {} connections handshaken ({} dropped without closing), \
             {} failed to open",
            self.waves, self.storms.opened, self.storms.dropped, self.storms.failed
        ));
        lines.push(format!(
            "slow consumers: {} cut off, {} not cut off, {} failed to start; {} MiB of echoes \
             asked for",
            self.slow.0,
            self.slow.1,
            self.slow.2,
            self.slow.3 / (1024 * 1024)
        ));
        let total: u64 = self.bad.iter().map(|(r, a, u, _)| r + a + u).sum();
        lines.push(format!(
            "bad inputs: {total}, per case refused/accepted/unanswered:"
        ));
        for ((refused, accepted, unanswered, example), name) in self.bad.iter().zip(bad::CASES) {
            lines.push(format!(
                "  {name}: {refused}/{accepted}/{unanswered} (e.g. {example})"
            ));
        }
        lines.extend(self.failures.iter().map(|f| format!("  load: {f}")));
    }

    fn fail(&mut self, what: String) {
        if self.failures.len() < KEPT * 4 {
            self.failures.push(what);
        }
    }
}

/// The kinds of load, by the names `--without` takes.
pub(crate) const KINDS: [&str; 4] = ["bursts", "storms", "slow", "bad"];

/// Runs every kind of load but those named in `without` until `end`.
pub(crate) async fn run(
    addr: SocketAddr,
    end: Instant,
    ledger: Arc<Ledger>,
    without: &[String],
) -> Tally {
    let skip = |kind: &str| without.iter().any(|w| w == kind);
    let (no_bursts, no_storms, no_slow, no_bad) =
        (skip("bursts"), skip("storms"), skip("slow"), skip("bad"));
    let bursts = tokio::spawn(async move {
        let mut tally = Tally::default();
        let mut i = 0;
        while !no_bursts && Instant::now() < end {
            let src = 1000 + i as u64;
            match burst::run(addr, Transport::nth(i), src, &ledger).await {
                Ok(()) => tally.bursts.0 += 1,
                Err(error) => {
                    tally.bursts.1 += 1;
                    tally.fail(format!("burst {src}: {error}"));
                }
            }
            i += 1;
            tokio::time::sleep(GAP).await;
        }
        tally
    });
    let storms = tokio::spawn(async move {
        let mut tally = Tally::default();
        while !no_storms && Instant::now() < end {
            let (wave, failure) = storm::wave(addr, WAVE).await;
            tally.waves += 1;
            tally.storms.opened += wave.opened;
            tally.storms.dropped += wave.dropped;
            tally.storms.failed += wave.failed;
            if let Some(failure) = failure {
                tally.fail(format!("storm: {failure}"));
            }
            tokio::time::sleep(GAP).await;
        }
        tally
    });
    let slow = tokio::spawn(async move {
        let mut tally = Tally::default();
        // A round lasts the silence and some: none starts that would outlast the phase.
        while !no_slow && Instant::now() + slow::SILENCE + Duration::from_secs(5) < end {
            let round = join_all(Transport::ALL.map(|t| slow::run(addr, t))).await;
            for (outcome, transport) in round.into_iter().zip(Transport::ALL) {
                if let Ok(outcome) = &outcome {
                    tally.slow.3 += outcome.asked;
                }
                match outcome {
                    Ok(outcome) if outcome.cut_off => tally.slow.0 += 1,
                    Ok(_) => {
                        tally.slow.1 += 1;
                        tally.fail(format!("slow {} not cut off", transport.name()));
                    }
                    Err(error) => {
                        tally.slow.2 += 1;
                        tally.fail(format!("slow {}: {error}", transport.name()));
                    }
                }
            }
        }
        tally
    });
    let bad = tokio::spawn(async move {
        let mut tally = Tally {
            bad: bad::CASES
                .iter()
                .map(|_| (0, 0, 0, String::new()))
                .collect(),
            ..Tally::default()
        };
        while !no_bad && Instant::now() < end {
            for (index, counts) in tally.bad.iter_mut().enumerate() {
                let example = match bad::run(addr, index).await {
                    Ok(bad::Verdict::Refused(how)) => {
                        counts.0 += 1;
                        how
                    }
                    Ok(bad::Verdict::Accepted(how)) => {
                        counts.1 += 1;
                        format!("accepted: {how}")
                    }
                    Err(error) => {
                        counts.2 += 1;
                        format!("unanswered: {error}")
                    }
                };
                if counts.3.is_empty() || !example.starts_with("closed") {
                    counts.3 = example.chars().take(80).collect();
                }
            }
            tokio::time::sleep(GAP).await;
        }
        tally
    });
    let mut tally = Tally::default();
    for part in [bursts, storms, slow, bad] {
        match part.await {
            Ok(part) => {
                tally.bursts.0 += part.bursts.0;
                tally.bursts.1 += part.bursts.1;
                tally.storms.opened += part.storms.opened;
                tally.storms.dropped += part.storms.dropped;
                tally.storms.failed += part.storms.failed;
                tally.waves += part.waves;
                tally.slow.0 += part.slow.0;
                tally.slow.1 += part.slow.1;
                tally.slow.2 += part.slow.2;
                tally.slow.3 += part.slow.3;
                if !part.bad.is_empty() {
                    tally.bad = part.bad;
                }
                tally.failures.extend(part.failures);
            }
            Err(error) => tally.fail(format!("a load task failed: {error}")),
        }
    }
    tally
}
