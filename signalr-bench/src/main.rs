//! `signalr-bench`: the SignalR server measured against a raw WebSocket server, same run.
//!
//! ```text
//! signalr-bench all [--quick] [--pairs N] [--duration-ms MS] [--only TEXT] [--no-pin]
//! signalr-bench serve raw|hub [--threads N] [--redis URL]
//! signalr-bench soak [--minutes N] [--out DIR] [--without KIND]
//! ```
//!
//! `all` starts each server as a child process (this binary with `serve`), pinned to core 0
//! while the load client runs on core 1, and prints a Markdown table. It exits with an error
//! when any message was lost, which is what the `--quick` smoke run checks. The Redis backplane
//! row also starts a `redis-server` of its own (`$REDIS_SERVER` or the one on the `PATH`) and
//! hubs with `serve hub --redis URL`; `--quick` skips it, saying so, when there is none.
//!
//! `soak` runs minutes of mixed load against one hub and checks that bystanders saw no error
//! and that memory returns to its baseline (RELIABILITY.md; run it with `--features jemalloc`);
//! it is not part of CI.

mod child;
mod client;
mod heap;
mod report;
mod scenario;
mod server;
mod soak;
mod stats;
mod suite;
mod ws_config;

use std::process::ExitCode;
use std::time::Duration;

use child::Placement;
use server::Kind;
use suite::Settings;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("serve") => serve(args.get(1..).unwrap_or_default()),
        Some("all") => all(args.get(1..).unwrap_or_default()),
        Some("soak") => soak::command(args.get(1..).unwrap_or_default()),
        _ => Err(
            "usage: signalr-bench all [--quick] [--pairs N] [--duration-ms MS] \
                  [--only TEXT] [--no-pin] | serve raw|hub [--threads N] [--redis URL] \
                  | soak [--minutes N] [--out DIR] [--without KIND]"
                .to_owned(),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("signalr-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &[String]) -> Result<(), String> {
    let kind = args
        .first()
        .and_then(|name| Kind::parse(name))
        .ok_or("serve needs raw or hub")?;
    let mut threads = 1;
    let mut redis = None;
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--threads" => threads = parse(value()?)?,
            // The hub's only: a raw server has no backplane to compare.
            "--redis" if kind == Kind::Hub => redis = Some(value()?.clone()),
            other => {
                return Err(format!(
                    "unknown argument to serve {}: {other}",
                    kind.name()
                ));
            }
        }
    }
    heap::start();
    server::run(kind, threads, redis.as_deref()).map_err(|e| e.to_string())
}

fn all(args: &[String]) -> Result<(), String> {
    let mut settings = Settings {
        quick: false,
        pairs: 3,
        duration: Duration::from_secs(2),
        filter: None,
        placement: Placement {
            cores: Some("0".to_owned()),
            threads: 1,
        },
    };
    let mut client_cores = Some("1");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => {
                settings.quick = true;
                settings.pairs = 1;
                settings.duration = Duration::from_millis(300);
            }
            "--pairs" => settings.pairs = parse(value()?)?,
            "--duration-ms" => settings.duration = Duration::from_millis(parse(value()?)?),
            "--only" => settings.filter = Some(value()?.clone()),
            "--no-pin" => {
                settings.placement.cores = None;
                client_cores = None;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 {
        settings.placement.cores = None;
        client_cores = None;
    }
    if let Some(cores) = client_cores
        && !child::pin_self(cores)
    {
        eprintln!("taskset failed: server and client are not pinned");
        settings.placement.cores = None;
    }
    raise_file_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let rows = runtime.block_on(suite::run(&settings))?;
    println!("{}", report::table(&rows));
    let lost: u64 = rows.iter().map(|row| row.raw.lost + row.hub.lost).sum();
    if lost > 0 {
        return Err(format!("{lost} messages were not delivered"));
    }
    Ok(())
}

pub(crate) fn parse<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

/// Raises this process's open-file limit to its hard limit (children inherit it): ten thousand
/// connections need more descriptors than the usual soft limit of 1024.
pub(crate) fn raise_file_limit() {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let hard = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(4));
    if let Some(hard) = hard {
        let _ = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:{hard}"))
            .stderr(std::process::Stdio::null())
            .status();
    }
}
