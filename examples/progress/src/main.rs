//! The classic SignalR demo: a long task on the server reports its progress to the browser that
//! started it, through the hub context, from outside the hub.
//!
//! Run with `cargo run -p progress`, then open <http://127.0.0.1:5000> and press the button.
//!
//! The page connects to `/progressDemo`, then `POST`s `/task/lengthy?connectionId=ID` with its
//! own connection id. The task calls that one client's `initProgressBar()`, then
//! `updateProgressBar(percent)` from 0 to 100, then `clearProgressBar()`. Options: `--port P`
//! (default 5000; 0 picks a free port) and `--step-ms MS` (the pause between updates, default
//! 200); `--help` lists them. Once ready, the server prints `listening on http://127.0.0.1:P`.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use signalr_runtime::hub::HubContext;
use signalr_runtime::{ConnectionId, HubCx, SignalR, hub, hub_client};
use tower_http::services::ServeDir;

/// The hub clients connect to. It has no methods of its own: the work is started over HTTP, as
/// in the ASP.NET Core demo.
#[hub]
trait ProgressDemo {
    /// Nothing to do when a client connects; the hub exists to reach clients.
    async fn on_connected(&self, cx: &HubCx) -> signalr_runtime::HubResult<()>;
}

/// What the task calls on the client that started it.
#[hub_client]
trait ProgressClient {
    /// Show the bar, at 0.
    #[hub(name = "initProgressBar")]
    async fn init_progress_bar(&self);
    /// Move the bar to `percent`.
    #[hub(name = "updateProgressBar")]
    async fn update_progress_bar(&self, percent: u32);
    /// The task is done.
    #[hub(name = "clearProgressBar")]
    async fn clear_progress_bar(&self);
}

struct Progress;

impl ProgressDemo for Progress {
    async fn on_connected(&self, _cx: &HubCx) -> signalr_runtime::HubResult<()> {
        Ok(())
    }
}

/// How long the full bar stays before `clearProgressBar()`.
const FULL_BAR_SHOWN: Duration = Duration::from_secs(1);

/// What the task route needs.
#[derive(Clone)]
struct App {
    hub: HubContext,
    step: Duration,
}

/// `POST /task/lengthy?connectionId=ID`: starts the task for that connection; 202 at once.
async fn lengthy(State(app): State<App>, Query(query): Query<Vec<(String, String)>>) -> StatusCode {
    let Some(id) = query
        .into_iter()
        .find_map(|(key, value)| (key == "connectionId").then_some(value))
    else {
        return StatusCode::BAD_REQUEST;
    };
    tokio::spawn(run_task(app, ConnectionId::from(id)));
    StatusCode::ACCEPTED
}

/// The long task: 5 % at a time, telling the client after each step.
async fn run_task(app: App, id: ConnectionId) {
    let client = app.hub.client(id);
    if client.init_progress_bar().await.is_err() {
        return;
    }
    for percent in (0..=100).step_by(5) {
        tokio::time::sleep(app.step).await;
        if client.update_progress_bar(percent).await.is_err() {
            return;
        }
    }
    // Leave the full bar in sight a moment before the page is told the work is done.
    tokio::time::sleep(FULL_BAR_SHOWN).await;
    let _ = client.clear_progress_bar().await;
}

/// The classic SignalR demo: a long task on the server drives the progress bar of the browser
/// that started it, through the hub context.
///
/// Once ready, the server prints `listening on http://127.0.0.1:P`.
#[derive(Debug, Parser)]
#[command(version, args_override_self = true)]
struct Settings {
    /// The port to listen on, on 127.0.0.1; 0 picks a free port.
    #[arg(long, value_name = "P", default_value_t = 5000)]
    port: u16,
    /// The pause between two updates of the bar, in milliseconds.
    #[arg(long = "step-ms", value_name = "MS", default_value_t = 200)]
    step_ms: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::parse();
    let mut signalr = SignalR::new().hub("/progressDemo", Progress.into_hub());
    let app = App {
        hub: signalr.context::<ProgressDemoHub<Progress>>(),
        step: Duration::from_millis(settings.step_ms),
    };
    let static_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    let router = signalr
        .into_router()
        .route("/task/lengthy", post(lengthy).with_state(app))
        .fallback_service(ServeDir::new(static_dir));
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, settings.port)))
            .await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router.into_make_service()).await?;
    Ok(())
}
