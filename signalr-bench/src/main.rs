//! `signalr-bench`: the SignalR server measured against a raw WebSocket server, same run.
//!
//! ```text
//! signalr-bench all [--quick] [--pairs N] [--duration-ms MS] [--only TEXT] [--no-pin]
//! signalr-bench serve raw|hub [--threads N] [--redis URL] [--service CONNECTION_STRING] [--metrics]
//! signalr-bench soak [--minutes N] [--out DIR] [--without KIND]
//! ```
//!
//! `all` starts each server as a child process (this binary with `serve`), pinned to core 0
//! while the load client runs on core 1, and prints a Markdown table. It exits with an error
//! when any message was lost, which is what the `--quick` smoke run checks. The Redis backplane
//! row also starts a `redis-server` of its own (`$REDIS_SERVER` or the one on the `PATH`) and
//! hubs with `serve hub --redis URL`; `--quick` skips it, saying so, when there is none. The
//! rows through the service start `signalr-service` (`$SIGNALR_SERVICE_BIN`, or the one beside
//! this executable: `cargo build [--release] -p signalr-service`) and a hub served through it
//! with `serve hub --service CONNECTION_STRING`.
//!
//! `soak` runs minutes of mixed load against one hub and checks that bystanders saw no error
//! and that memory returns to its baseline (RELIABILITY.md; run it with `--features jemalloc`);
//! it is not part of CI.
//!
//! `signalr-bench --help` and `signalr-bench COMMAND --help` describe every option; a mistake
//! exits with status 2, a failed run with 1.

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

use clap::{Args, Parser, Subcommand};

use child::Placement;
use server::{Kind, ScaleOut};
use suite::Settings;

/// The SignalR server measured against a raw WebSocket server, in the same binary and run.
#[derive(Debug, Parser)]
#[command(name = "signalr-bench", version, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs every scenario against both servers and prints a Markdown table; fails when any
    /// message was lost.
    ///
    /// Each server runs as a child process (this binary with `serve`), pinned to core 0 while
    /// the load client runs on core 1. The Redis backplane row starts a redis-server of its own
    /// ($REDIS_SERVER or the one on the PATH); the rows through the service a signalr-service
    /// ($SIGNALR_SERVICE_BIN or the one beside this executable: `cargo build -p signalr-service`
    /// with the same profile).
    All(AllArgs),
    /// Serves one kind of server until killed, printing `listening on ADDRESS` once ready (what
    /// `all` and `soak` start).
    #[command(subcommand)]
    Serve(ServeCommand),
    /// Minutes of mixed load against one hub: checks that bystanders saw no error and that
    /// memory returns to its baseline (RELIABILITY.md; build with `--features jemalloc`).
    Soak(soak::Args),
}

#[derive(Debug, Args)]
struct AllArgs {
    /// A short correctness run: every scenario once at small sizes, one pair of 300 ms runs
    /// (unless --pairs or --duration-ms say otherwise); without a redis-server the Redis row is
    /// skipped, saying so.
    #[arg(long)]
    quick: bool,
    /// Raw/hub pairs per scenario [default: 3, 1 with --quick].
    #[arg(long, value_name = "N")]
    pairs: Option<usize>,
    /// The measured window of each throughput run, in milliseconds [default: 2000, 300 with
    /// --quick].
    #[arg(long = "duration-ms", value_name = "MS")]
    duration_ms: Option<u64>,
    /// Only the scenarios whose label contains TEXT (a trailing `$` matches the end of the
    /// label).
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Leave server and load client to the scheduler instead of pinning them to cores 0 and 1.
    #[arg(long = "no-pin")]
    no_pin: bool,
}

/// The server `serve` runs.
#[derive(Debug, Subcommand)]
enum ServeCommand {
    /// The raw tokio-tungstenite baseline.
    Raw {
        /// Tokio worker threads in the server.
        #[arg(long, value_name = "N", default_value_t = 1)]
        threads: usize,
    },
    /// The SignalR hub under test.
    Hub {
        /// Tokio worker threads in the server.
        #[arg(long, value_name = "N", default_value_t = 1)]
        threads: usize,
        /// Scale out through the Redis backplane at URL (the raw server has no backplane to
        /// compare).
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// Serve the hub through the SignalR service of this connection string
        /// (`Endpoint=http://127.0.0.1:PORT;AccessKey=KEY;Version=1.0;`): clients negotiate
        /// here and are redirected to the service.
        #[arg(long, value_name = "CONNECTION_STRING", conflicts_with = "redis")]
        service: Option<String>,
        /// Record the runtime's metrics in a Prometheus recorder, as an application that
        /// exports them does.
        #[arg(long)]
        metrics: bool,
    },
}

fn main() -> ExitCode {
    // `--help` and `--version` print and exit with 0, a mistake with 2.
    let outcome = match Cli::parse().command {
        Command::Serve(args) => serve(args),
        Command::All(args) => all(args),
        Command::Soak(args) => soak::command(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("signalr-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(command: ServeCommand) -> Result<(), String> {
    let (kind, threads, scale_out, metrics) = match command {
        ServeCommand::Raw { threads } => (Kind::Raw, threads, ScaleOut::None, false),
        ServeCommand::Hub {
            threads,
            redis,
            service,
            metrics,
        } => {
            let scale_out = match (redis, service) {
                (Some(url), _) => ScaleOut::Redis(url),
                (None, Some(connection_string)) => ScaleOut::Service(connection_string),
                (None, None) => ScaleOut::None,
            };
            (Kind::Hub, threads, scale_out, metrics)
        }
    };
    heap::start();
    server::run(kind, threads, &scale_out, metrics).map_err(|e| e.to_string())
}

fn all(args: AllArgs) -> Result<(), String> {
    let (pairs, duration_ms) = if args.quick { (1, 300) } else { (3, 2000) };
    let mut settings = Settings {
        quick: args.quick,
        pairs: args.pairs.unwrap_or(pairs),
        duration: Duration::from_millis(args.duration_ms.unwrap_or(duration_ms)),
        filter: args.only,
        placement: Placement {
            cores: Some("0".to_owned()),
            threads: 1,
        },
    };
    let mut client_cores = Some("1");
    if args.no_pin {
        settings.placement.cores = None;
        client_cores = None;
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
