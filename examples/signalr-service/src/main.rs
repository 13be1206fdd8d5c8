//! `signalr-service`: a SignalR service on the Azure SignalR Service protocol.
//!
//! Clients connect to it exactly as to a SignalR server (negotiate, WebSockets, Server-Sent
//! Events, Long Polling; JSON and MessagePack), redirected here by an application server's
//! negotiate with a token signed with the access key. Application servers connect to
//! `/server/?hub=NAME` over WebSockets and serve the hubs: the service opens each client on
//! one server connection of its hub, passes its bytes both ways, and carries out the servers'
//! broadcasts, group, user and connection sends and group changes.
//!
//! ```text
//! signalr-service --port 8080 --access-key KEY
//! ```
//!
//! prints `listening on http://127.0.0.1:8080` once ready; `--threads N` sets its worker
//! threads. Application servers use the
//! connection string `Endpoint=http://127.0.0.1:8080;AccessKey=KEY;Version=1.0;`.

mod client;
mod registry;
mod server;

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::routing::any;
use clap::Parser;
use signalr_runtime::service::AccessKey;
use signalr_runtime::{HubOptions, SignalR};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use registry::Registry;

/// A SignalR service on the Azure SignalR Service protocol.
///
/// Once ready, it prints `listening on http://127.0.0.1:PORT`.
#[derive(Debug, clap::Parser)]
#[command(version, args_override_self = true)]
struct Args {
    /// The port to listen on (127.0.0.1 only); 0 picks a free one.
    #[arg(long, value_name = "PORT", default_value_t = 8080)]
    port: u16,
    /// The key application servers and redirected clients sign their tokens with (the
    /// connection string's AccessKey).
    #[arg(long, value_name = "KEY")]
    access_key: String,
    /// Worker threads (default: one per CPU the process may use).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// An origin whose pages may connect (repeat for more). Without any, pages of every origin
    /// may, as Azure SignalR Service allows by default: a client's page comes from its
    /// application server, never from the service, and access needs the redirect's token.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
}

/// The service's routes: `/server/` for application servers, `/client/` for clients (with CORS
/// for `allowed_origins`, or every origin when there are none).
fn app(registry: &Arc<Registry>, allowed_origins: &[String]) -> Router {
    let options = HubOptions::default().authenticator(client::Admission::new(Arc::clone(registry)));
    let cors = if allowed_origins.is_empty() {
        CorsLayer::new()
            .allow_origin(AllowOrigin::mirror_request())
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
            .allow_headers(AllowHeaders::mirror_request())
    } else {
        signalr_runtime::cors(allowed_origins.iter().map(String::as_str))
    };
    SignalR::new()
        .connection_with_options(
            "/client/",
            client::Relay::new(Arc::clone(registry)),
            options,
        )
        .into_router()
        .layer(cors)
        .route(
            "/server/",
            any(server::accept).with_state(Arc::clone(registry)),
        )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(usize::from(threads));
    }
    runtime.enable_all().build()?.block_on(serve(args))
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // Logs on stderr: stdout carries only the `listening on` line.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let registry = Arc::new(Registry::new(AccessKey::new(&args.access_key)));
    // Room for a reconnect storm's pending connections (tokio's default keeps 128).
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind((std::net::Ipv4Addr::LOCALHOST, args.port).into())?;
    let listener = socket.listen(4096)?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app(&registry, &args.allowed_origins).into_make_service(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
