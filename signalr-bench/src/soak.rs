//! `signalr-bench soak [--minutes N] [--out DIR] [--without bursts|storms|slow|bad]…`: minutes of mixed load against one hub server
//! process, with the server's memory, descriptors, connections and queue bytes sampled every
//! second, and a pass line. Not part of CI (see RELIABILITY.md).
//!
//! Phases (shares of the duration): warm-up 10 % (bystanders only; the baseline is taken in
//! its second half), load 60 % (bystanders, bursts, storms, slow consumers and bad input, all
//! at once), cool-down 15 % (bystanders only), idle 15 % but at least [`MIN_IDLE`] (bystanders
//! connected, sending only Pings). The run passes when no bystander saw an error, a loss or a reorder, and at the end
//! of the idle period the queue bytes are 0, the connections and descriptors are back to what
//! they were at the baseline, and RSS (and, with the `jemalloc` feature, the heap held) is
//! within [`tolerance`] of the baseline.

mod bad;
mod burst;
mod bystander;
mod link;
mod load;
mod plot;
mod sampler;
mod slow;
mod storm;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::child::{Placement, Server};
use crate::server::Kind;
use bystander::{Ledger, Mode};
use link::{Link, Transport};
use sampler::{Sample, Sampler};

/// How long a connection's handshake may take.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// The idle period lasts at least this long, so that every connection the load abandoned is
/// ended by the server's timeouts (disconnect 15 s, client 30 s) before the last sample.
const MIN_IDLE: Duration = Duration::from_secs(45);

/// Bystanders per transport.
const BYSTANDERS_PER_TRANSPORT: usize = 2;

/// RSS (or the heap held) at the end may exceed its baseline by this much: 10 % of it, or
/// 4 MiB when that is more. What an allocator keeps after a peak (partly used pages, thread
/// caches) and tables grown to the peak's size are not leaks, and are of that order; a leak of
/// the load's size would be far beyond it. glibc's malloc keeps far more (RELIABILITY.md): the
/// soak is meant to run with the `jemalloc` feature.
fn tolerance(baseline_kib: u64) -> u64 {
    (baseline_kib / 10).max(4 * 1024)
}

/// The soak command's options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// How long the whole run lasts, in minutes (fractions allowed); the idle phase lasts at
    /// least 45 s.
    #[arg(long, value_name = "N", default_value_t = 10.0, value_parser = positive_minutes)]
    minutes: f64,
    /// The folder for the samples (CSV), the plot (PNG) and the summary.
    #[arg(long, value_name = "DIR", default_value = "target/soak")]
    out: PathBuf,
    /// Leaves one kind of load out, to tell which one a finding comes from (repeatable).
    #[arg(
        long,
        value_name = "KIND",
        value_parser = clap::builder::PossibleValuesParser::new(load::KINDS),
    )]
    without: Vec<String>,
}

/// A duration in minutes: a finite number above 0.
fn positive_minutes(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(minutes) if minutes.is_finite() && minutes > 0.0 => Ok(minutes),
        _ => Err("expected a number of minutes above 0".to_owned()),
    }
}

/// Runs the soak command.
pub(crate) fn command(args: Args) -> Result<(), String> {
    let Args {
        minutes,
        out,
        without,
    } = args;
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    crate::raise_file_limit();
    // Server and load share the machine unpinned: the soak measures memory and errors, not speed.
    let placement = Placement {
        cores: None,
        threads: 1,
    };
    let server = Server::start(Kind::Hub, &placement)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let total = Duration::from_secs_f64(minutes * 60.0);
    let verdict = runtime.block_on(soak(&server, total, out, &without))?;
    drop(server);
    verdict
}

/// The phases' names and their starts (seconds), for the CSV and the plot.
const PHASES: [&str; 4] = ["warm-up", "load", "cool-down", "idle"];

async fn soak(
    server: &Server,
    total: Duration,
    out: PathBuf,
    without: &[String],
) -> Result<Result<(), String>, String> {
    let addr = server.addr;
    let started = Instant::now();
    let shares = [0.10, 0.60, 0.15];
    let mut ends = Vec::new();
    let mut at = Duration::ZERO;
    for share in shares {
        at += total.mul_f64(share);
        ends.push(started + at);
    }
    let [warm_end, load_end, cool_end] = <[Instant; 3]>::try_from(ends).map_err(|_| "phases")?;
    let end = (started + total).max(cool_end + MIN_IDLE);

    // The sampler, told the phase through a watch.
    let (phase_tx, phase_rx) = watch::channel(0_usize);
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let mut sampler = Sampler::new(server.process().pid(), addr);
    let sampling = tokio::spawn(async move {
        let mut samples = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop_rx.changed() => return samples,
            }
            let phase = PHASES.get(*phase_rx.borrow()).copied().unwrap_or("?");
            samples.push(sampler.sample(started.elapsed().as_secs_f64(), phase).await);
        }
    });

    // Bystanders, all connected before anything is broadcast.
    let ledger = Arc::new(Ledger::default());
    let (mode_tx, mode_rx) = watch::channel(Mode::Active);
    let mut links = Vec::new();
    for i in 0..BYSTANDERS_PER_TRANSPORT * Transport::ALL.len() {
        links.push(Link::open(addr, Transport::nth(i)).await?);
    }
    let bystanders: Vec<_> = links
        .into_iter()
        .enumerate()
        .map(|(i, link)| {
            let id = i as u64;
            tokio::spawn(bystander::run(
                id,
                link,
                mode_rx.clone(),
                Arc::clone(&ledger),
            ))
        })
        .collect();
    let bystander_count = bystanders.len() as u64;

    tokio::time::sleep_until(warm_end).await;
    let _ = phase_tx.send(1);
    let tally = load::run(addr, load_end, Arc::clone(&ledger), without).await;
    tokio::time::sleep_until(load_end.max(Instant::now())).await;
    let _ = phase_tx.send(2);
    tokio::time::sleep_until(cool_end.max(Instant::now())).await;
    let _ = phase_tx.send(3);
    let _ = mode_tx.send(Mode::Quiet);
    tokio::time::sleep_until(end.max(Instant::now())).await;
    let _ = stop_tx.send(true);
    let samples = sampling.await.map_err(|e| e.to_string())?;
    let _ = mode_tx.send(Mode::Stop);
    let sent = ledger.snapshot();
    let mut reports = Vec::new();
    for task in bystanders {
        let mut report = task.await.map_err(|e| e.to_string())?;
        report.settle(&sent);
        reports.push(report);
    }

    let boundaries: Vec<f64> = [warm_end, load_end, cool_end]
        .iter()
        .map(|at| (*at - started).as_secs_f64())
        .collect();
    let csv_path = out.join("soak.csv");
    std::fs::write(&csv_path, sampler::csv(&samples))
        .map_err(|e| format!("{}: {e}", csv_path.display()))?;
    let png_path = out.join("soak.png");
    if let Err(error) = plot::draw(&png_path, &samples, &boundaries) {
        eprintln!("soak: no plot: {error}");
    }

    let mut lines = Vec::new();
    if !without.is_empty() {
        lines.push(format!("load without: {}", without.join(", ")));
    }
    let verdict = judge(&samples, &reports, &tally, bystander_count, &mut lines);
    lines.push(format!(
        "samples: {} and {}",
        csv_path.display(),
        png_path.display()
    ));
    let text = lines.join("\n");
    println!("{text}");
    let _ = std::fs::write(out.join("summary.txt"), format!("{text}\n"));
    Ok(verdict)
}

/// The numbers, and the pass line: `Err` with the reasons when it fails.
fn judge(
    samples: &[Sample],
    reports: &[bystander::Report],
    tally: &load::Tally,
    bystanders: u64,
    lines: &mut Vec<String>,
) -> Result<(), String> {
    let warm: Vec<&Sample> = samples.iter().filter(|s| s.phase == "warm-up").collect();
    // The baseline: the median of the warm-up's second half, once the bystanders are all in.
    let baseline_of = |value: fn(&Sample) -> Option<u64>| {
        let mut values: Vec<u64> = warm
            .iter()
            .skip(warm.len() / 2)
            .filter_map(|s| value(s))
            .collect();
        values.sort_unstable();
        values.get(values.len() / 2).copied()
    };
    let baseline = baseline_of(|s| Some(s.rss_kib)).unwrap_or(0);
    let heap_baseline = baseline_of(|s| s.heap_kib);
    let base_fds = warm.last().map_or(0, |s| s.fds);
    let last = samples.last().copied().unwrap_or_default();
    let peak = |f: fn(&Sample) -> u64| samples.iter().map(f).max().unwrap_or(0);
    let allowed = baseline + tolerance(baseline);
    let mib = |kib: u64| kib as f64 / 1024.0;
    lines.push(format!(
        "RSS: baseline {:.1} MiB, peak {:.1} MiB, end {:.1} MiB (allowed {:.1} MiB)",
        mib(baseline),
        mib(peak(|s| s.rss_kib)),
        mib(last.rss_kib),
        mib(allowed)
    ));
    lines.push(format!("allocator: {}", crate::heap::NAME));
    let heap_end = last.heap_kib;
    if let (Some(base), Some(end)) = (heap_baseline, heap_end) {
        lines.push(format!(
            "heap held: baseline {:.1} MiB, peak {:.1} MiB, end {:.1} MiB (allowed {:.1} MiB)",
            mib(base),
            mib(peak(|s| s.heap_kib.unwrap_or_default())),
            mib(end),
            mib(base + tolerance(base))
        ));
    }
    lines.push(format!(
        "fds: baseline {base_fds}, peak {}, end {}; sockets: peak {}, end {}",
        peak(|s| s.fds),
        last.fds,
        peak(|s| s.sockets),
        last.sockets
    ));
    lines.push(format!(
        "hub connections: bystanders {bystanders}, peak {}, end {}; queued bytes: peak {}, end {}",
        peak(|s| s.connections),
        last.connections,
        peak(|s| s.queued_bytes),
        last.queued_bytes
    ));
    let sum = |f: fn(&bystander::Report) -> u64| reports.iter().map(f).sum::<u64>();
    let errors = sum(|r| r.errors);
    let slowest = reports
        .iter()
        .map(|r| r.slowest_echo)
        .max()
        .unwrap_or_default();
    lines.push(format!(
        "bystanders: {bystanders} ({} per transport), {} echoes and {} broadcasts checked, \
         slowest echo {:.0} ms, {errors} errors",
        BYSTANDERS_PER_TRANSPORT,
        sum(|r| r.echoes),
        sum(|r| r.deliveries),
        slowest.as_secs_f64() * 1000.0
    ));
    for report in reports {
        lines.extend(
            report
                .first_errors
                .iter()
                .map(|e| format!("  bystander {e}")),
        );
    }
    tally.describe(lines);

    let mut failures = Vec::new();
    if errors > 0 || sum(|r| r.echoes) == 0 || sum(|r| r.deliveries) == 0 {
        failures.push(format!("bystanders saw {errors} errors"));
    }
    if last.rss_kib > allowed {
        failures.push(format!(
            "RSS ended at {:.1} MiB, over baseline {:.1} MiB + {:.1} MiB",
            mib(last.rss_kib),
            mib(baseline),
            mib(tolerance(baseline))
        ));
    }
    if let (Some(base), Some(end)) = (heap_baseline, heap_end)
        && end > base + tolerance(base)
    {
        failures.push(format!(
            "the heap held ended at {:.1} MiB, over baseline {:.1} MiB + {:.1} MiB",
            mib(end),
            mib(base),
            mib(tolerance(base))
        ));
    }
    if last.queued_bytes != 0 {
        failures.push(format!("{} bytes still queued", last.queued_bytes));
    }
    if last.connections != bystanders {
        failures.push(format!(
            "{} hub connections at the end, not {bystanders}",
            last.connections
        ));
    }
    if last.fds > base_fds {
        failures.push(format!(
            "{} fds at the end, {base_fds} at the baseline",
            last.fds
        ));
    }
    if failures.is_empty() {
        lines.push(format!(
            "PASS: bystanders saw no error, loss or reorder; RSS {:.1} MiB is within {:.1} MiB of \
             the baseline {:.1} MiB; queue bytes 0; {bystanders} connections and {} fds as at the \
             baseline",
            mib(last.rss_kib),
            mib(tolerance(baseline)),
            mib(baseline),
            last.fds
        ));
        Ok(())
    } else {
        let reasons = failures.join("; ");
        lines.push(format!("FAIL: {reasons}"));
        Err(format!("soak failed: {reasons}"))
    }
}
