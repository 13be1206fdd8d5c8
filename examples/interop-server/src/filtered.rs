//! `/filtered`: a hub behind hub filters, for the filter tests of our own clients (not in the
//! official app).
//!
//! Three filters run in turn: two [`Recorder`]s (`first`, `second`), added to the endpoint's
//! options in that order, write what they see around every invocation, connect and disconnect
//! into the connection's log (kept in its items); inside them a [`Guard`], compiled into the hub
//! with `Hub::with_filter`, times every call, refuses a call whose first argument is
//! `"forbidden"` without running the method, and panics on `PanicInFilter`. The hub's methods
//! read the log back.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use signalr_runtime::hub::{
    ConnectedNext, DisconnectedNext, HubFilter, HubInvocation, InvocationResult, InvokeError, Next,
};
use signalr_runtime::{Hub, HubCx, HubError, HubOptions, HubResult, hub};

/// What the filter tests call.
#[hub]
pub(crate) trait Filtered {
    /// Returns `message` unchanged.
    async fn echo(&self, message: String) -> String;
    /// Sleeps `ms` milliseconds.
    async fn sleep(&self, ms: u64);
    /// How long the call before this one took, as the guard filter timed it, in milliseconds.
    async fn last_duration(&self, cx: &HubCx) -> u64;
    /// What the recorders wrote for this connection so far.
    async fn log(&self, cx: &HubCx) -> Vec<String>;
    /// What the recorders wrote for connection `connection_id` when it disconnected.
    async fn disconnect_log(&self, connection_id: String) -> Vec<String>;
    /// Never runs: the guard filter panics first.
    async fn panic_in_filter(&self) -> String;
}

/// The filtered hub. It keeps no state of its own.
#[derive(Debug, Default)]
pub(crate) struct Screened;

/// A connection's log, in its items.
#[derive(Debug, Clone, Default)]
struct Log(Vec<String>);

/// How long the last call took, in its connection's items.
#[derive(Debug, Clone, Copy, Default)]
struct LastDuration(Duration);

/// The logs of connections that disconnected, by connection id: at most 1000, all forgotten
/// when a 1001st would be added.
fn disconnect_logs() -> &'static Mutex<HashMap<String, Vec<String>>> {
    static LOGS: OnceLock<Mutex<HashMap<String, Vec<String>>>> = OnceLock::new();
    LOGS.get_or_init(Default::default)
}

fn record(cx: &HubCx, entry: String) {
    cx.items().update(|log: &mut Log| log.0.push(entry));
}

impl Filtered for Screened {
    async fn echo(&self, message: String) -> String {
        message
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms.min(5_000))).await;
    }

    async fn last_duration(&self, cx: &HubCx) -> u64 {
        let LastDuration(last) = cx.items().get().unwrap_or_default();
        u64::try_from(last.as_millis()).unwrap_or(u64::MAX)
    }

    async fn log(&self, cx: &HubCx) -> Vec<String> {
        cx.items().get::<Log>().unwrap_or_default().0
    }

    async fn disconnect_log(&self, connection_id: String) -> Vec<String> {
        let logs = disconnect_logs().lock();
        logs.ok()
            .and_then(|logs| logs.get(&connection_id).cloned())
            .unwrap_or_default()
    }

    async fn panic_in_filter(&self) -> String {
        "the guard filter should have panicked".to_owned()
    }
}

/// Writes `name:before:Method` and `name:after:Method` around invocations, and
/// `name:connected` / `name:disconnected` around the hooks.
#[derive(Debug)]
pub(crate) struct Recorder(pub(crate) &'static str);

impl HubFilter for Recorder {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        let (cx, method) = (invocation.cx(), invocation.method());
        record(cx, format!("{}:before:{method}", self.0));
        let result = next.run(invocation).await;
        let outcome = if result.is_ok() { "after" } else { "failed" };
        record(cx, format!("{}:{outcome}:{method}", self.0));
        result
    }

    async fn on_connected(&self, cx: &HubCx, next: ConnectedNext<'_>) -> HubResult<()> {
        record(cx, format!("{}:connected", self.0));
        next.run(cx).await
    }

    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>, next: DisconnectedNext<'_>) {
        record(cx, format!("{}:disconnected", self.0));
        next.run(cx, error).await;
        let log = cx.items().get::<Log>().unwrap_or_default().0;
        if let Ok(mut logs) = disconnect_logs().lock() {
            if logs.len() >= 1000 {
                logs.clear();
            }
            logs.insert(cx.connection_id().to_string(), log);
        }
    }
}

/// Times calls, refuses `"forbidden"` first arguments, panics on `PanicInFilter`.
#[derive(Debug)]
pub(crate) struct Guard;

impl HubFilter for Guard {
    #[expect(
        clippy::panic,
        reason = "the tests check that a panicking filter fails one call"
    )]
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        let cx = invocation.cx();
        if invocation.method() == "PanicInFilter" {
            panic!("a filter panicked on purpose");
        }
        let first = invocation.arguments().decode::<String>(0).ok();
        if first.as_deref() == Some("forbidden") {
            return Err(InvokeError::Failed(HubError::new(
                "The argument 'forbidden' was refused by a filter.",
            )));
        }
        let started = Instant::now();
        let result = next.run(invocation).await;
        cx.items().insert(LastDuration(started.elapsed()));
        result
    }
}

/// The filtered hub's options: the recorders.
pub(crate) fn options(base: HubOptions) -> HubOptions {
    base.add_filter(Recorder("first"))
        .add_filter(Recorder("second"))
}

/// The filtered hub, with the guard compiled in.
pub(crate) fn hub() -> signalr_runtime::hub::Filtered<FilteredHub<Screened>, Guard> {
    Screened.into_hub().with_filter(Guard)
}
