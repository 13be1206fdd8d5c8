//! A chat room served by `signalr-runtime`, with a page that uses the official JavaScript client.
//!
//! Run with `cargo run --release -p chat`, then open <http://127.0.0.1:5000>.
//!
//! Options: `--port P` (default 5000; 0 picks a free port) and `--detailed-errors` (send internal
//! error details to clients, as ASP.NET Core's `EnableDetailedErrors`). Once ready, the server
//! prints `listening on http://127.0.0.1:P`.
//!
//! `--redis URL` (e.g. `redis://127.0.0.1:6379`) shares the room with every other chat process
//! on the same Redis: run two on different ports and clients of both talk together.
//!
//! `--write-contract FILE` writes the hub contract (the JSON that `signalr-codegen-ts` reads to
//! generate the page's TypeScript client, `web/generated/`) and exits without serving.
//!
//! `GET /metrics` serves the runtime's metrics (active connections by transport, connection
//! durations, invocations by method) in Prometheus' text format; `GET /ready` answers `200
//! Healthy`, and `503 Unhealthy` once a shutdown (Ctrl-C, SIGTERM) has begun.
//!
//! `--help` lists the options; an unknown or malformed one is an error (exit status 2).

mod hub;
mod metrics;

use hub::Chat as _;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use signalr_runtime::contract::Manifest;
use signalr_runtime::lifetime::redis::{RedisBackplane, RedisOptions};
use signalr_runtime::{HubOptions, SignalR};
use tower_http::services::ServeDir;

/// A chat room served by signalr-runtime, with a page that uses the official JavaScript client.
///
/// Once ready, the server prints `listening on http://127.0.0.1:P`.
#[derive(Debug, Parser)]
#[command(version, args_override_self = true)]
struct Settings {
    /// The port to listen on, on 127.0.0.1; 0 picks a free port.
    #[arg(long, value_name = "P", default_value_t = 5000)]
    port: u16,
    /// Send internal error details to clients, as ASP.NET Core's `EnableDetailedErrors`.
    #[arg(long)]
    detailed_errors: bool,
    /// Write the hub contract (the JSON that signalr-codegen-ts reads) to FILE and exit without
    /// serving.
    #[arg(long, value_name = "FILE")]
    write_contract: Option<std::path::PathBuf>,
    /// Share the room with every other chat process on the Redis at URL (e.g.
    /// redis://127.0.0.1:6379).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings::parse();
    if let Some(path) = &settings.write_contract {
        std::fs::write(path, contract_json()? + "\n")?;
        return Ok(());
    }
    let options = HubOptions::default().detailed_errors(settings.detailed_errors);
    let static_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    let metrics = metrics::install()?;
    let mut signalr = SignalR::new();
    if let Some(url) = &settings.redis {
        let redis = RedisOptions::new(url).hub_name::<hub::ChatHub<hub::ChatRoom>>("Chat.ChatHub");
        signalr = signalr.lifetime_managers(RedisBackplane::connect(redis).await?);
    }
    let signalr = signalr.hub_with_options("/chat", hub::ChatRoom.into_hub(), options);
    let shutdown = signalr.shutdown_handle();
    let ready = shutdown.readiness();
    let app = signalr
        .into_router()
        .route("/ready", ready)
        .merge(metrics::routes(metrics))
        .fallback_service(ServeDir::new(static_dir));

    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, settings.port)))
            .await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(async move {
            // Ctrl-C or SIGTERM: clients are told to reconnect, to this server once it is back.
            terminated().await;
            shutdown.close_all(Duration::from_secs(5)).await;
        })
        .await?;
    Ok(())
}

/// The contract of the chat hub and its clients as JSON, the input of `signalr-codegen-ts`.
fn contract_json() -> Result<String, Box<dyn std::error::Error>> {
    let manifest = Manifest::new()
        .with::<hub::ChatContract>()
        .with::<hub::ChatClientContract>();
    Ok(manifest.to_json()?)
}

/// Completes on Ctrl-C or SIGTERM.
async fn terminated() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(terminate) => terminate,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
