//! Hub filters: global and per hub, around invocations, connects and disconnects.

use signalr_runtime::hub::{
    ConnectedNext, DisconnectedNext, HubFilter, HubInvocation, InvocationResult, InvokeError, Next,
};
use signalr_runtime::lifetime::{
    HubLifetimeManager, HubType, LifetimeManagers, LocalLifetimeManager,
};
use signalr_runtime::{Hub, HubError};

use super::*;

// f. Filters.

/// Logs around everything it sees, under its name.
struct Logging {
    name: &'static str,
    log: Log,
}

impl HubFilter for Logging {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        let method = invocation.method();
        push(&self.log, format!("{} before {method}", self.name));
        let result = next.run(invocation).await;
        push(&self.log, format!("{} after {method}", self.name));
        result
    }

    async fn on_connected(&self, cx: &HubCx, next: ConnectedNext<'_>) -> HubResult<()> {
        push(&self.log, format!("{} connecting", self.name));
        let result = next.run(cx).await;
        push(&self.log, format!("{} connected", self.name));
        result
    }

    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>, next: DisconnectedNext<'_>) {
        push(&self.log, format!("{} disconnecting", self.name));
        next.run(cx, error).await;
        push(&self.log, format!("{} disconnected", self.name));
    }
}

/// Refuses calls whose first argument is `"forbidden"`, and panics on `"panic"`.
struct Gatekeeper;

impl HubFilter for Gatekeeper {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        match invocation.arguments().decode::<String>(0).ok().as_deref() {
            Some("forbidden") => Err(InvokeError::Failed(HubError::new("No forbidden words."))),
            Some("panic") => panic!("a bug in a filter"),
            _ => next.run(invocation).await,
        }
    }
}

/// Records how long each call took, by method.
struct Timing(Arc<Mutex<Vec<(&'static str, Duration)>>>);

impl HubFilter for Timing {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        let method = invocation.method();
        let started = Instant::now();
        let result = next.run(invocation).await;
        self.0.lock().unwrap().push((method, started.elapsed()));
        result
    }
}

#[tokio::test]
async fn global_filters_run_around_the_hubs_own_around_invocations_connects_and_disconnects() {
    let (hub, log) = production();
    let global = Logging {
        name: "global",
        log: Arc::clone(&log),
    };
    let own = Logging {
        name: "hub",
        log: Arc::clone(&log),
    };
    let app = SignalR::new()
        .add_filter(global)
        .hub_with_options(
            "/prod",
            hub.into_hub(),
            HubOptions::default().add_filter(own),
        )
        .into_router();
    let addr = listen(app).await;

    let mut ws = open(addr, "/prod", &[]).await;
    // The handshake's answer is sent before `on_connected` runs.
    eventually("the connect chain", || entries(&log).len() >= 5).await;
    assert_eq!(
        entries(&log),
        [
            "global connecting",
            "hub connecting",
            "on_connected",
            "hub connected",
            "global connected",
        ]
    );
    log.lock().unwrap().clear();
    assert_eq!(
        call(&mut ws, "1", "Echo", "\"hi\"").await,
        result("1", "\"hi\"")
    );
    assert_eq!(
        entries(&log),
        [
            "global before Echo",
            "hub before Echo",
            "Echo hi",
            "hub after Echo",
            "global after Echo",
        ]
    );
    log.lock().unwrap().clear();
    ws.close(None).await.unwrap();
    eventually("the disconnect chain", || entries(&log).len() >= 5).await;
    assert_eq!(
        entries(&log),
        [
            "global disconnecting",
            "hub disconnecting",
            "on_disconnected",
            "hub disconnected",
            "global disconnected",
        ]
    );
}

/// `/prod` with the [`Gatekeeper`] and [`Timing`] filters; the hub's log and the timings.
async fn serve_filtered() -> (SocketAddr, Log, Arc<Mutex<Vec<(&'static str, Duration)>>>) {
    let (hub, log) = production();
    let timings = Arc::default();
    let options = HubOptions::default()
        .add_filter(Timing(Arc::clone(&timings)))
        .add_filter(Gatekeeper);
    let app = SignalR::new()
        .hub_with_options("/prod", hub.into_hub(), options)
        .into_router();
    (listen(app).await, log, timings)
}

/// Calls `Echo` with `text` as invocation `id`, and checks that it answers `text`.
async fn echoes(ws: &mut Ws, id: &str, text: &str) {
    let text = format!("\"{text}\"");
    assert_eq!(call(ws, id, "Echo", &text).await, result(id, &text));
}

/// Calls `Echo("forbidden")` as invocation `id`, which the [`Gatekeeper`] refuses.
async fn refused_as_forbidden(ws: &mut Ws, id: &str) {
    assert_eq!(
        call(ws, id, "Echo", "\"forbidden\"").await,
        error(
            id,
            "An unexpected error occurred invoking 'Echo' on the server. HubException: No forbidden words."
        )
    );
}

/// Calls `Echo("panic")` as invocation `id`, on which the [`Gatekeeper`] panics.
async fn failed_by_a_panic(ws: &mut Ws, id: &str) {
    assert_eq!(
        call(ws, id, "Echo", "\"panic\"").await,
        error(
            id,
            "An unexpected error occurred invoking 'Echo' on the server."
        )
    );
}

#[tokio::test]
async fn a_filter_inspects_the_arguments_and_refuses_with_a_hub_exception() {
    let (addr, log, _) = serve_filtered().await;
    let mut ws = open(addr, "/prod", &[]).await;
    refused_as_forbidden(&mut ws, "1").await;
    echoes(&mut ws, "2", "allowed").await;
    // The refused call never reached the method.
    assert_eq!(entries(&log), ["on_connected", "Echo allowed"]);
}

#[tokio::test]
async fn a_filter_times_the_method_it_wraps() {
    let (addr, _, timings) = serve_filtered().await;
    let mut ws = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut ws, "1", "Slow", "150").await,
        result("1", "\"slept\"")
    );
    echoes(&mut ws, "2", "quick").await;
    let timings = timings.lock().unwrap().clone();
    let [("Slow", slow), ("Echo", quick)] = timings[..] else {
        panic!("expected Slow then Echo, got {timings:?}");
    };
    assert!(slow >= Duration::from_millis(150), "{slow:?}");
    assert!(quick < Duration::from_millis(150), "{quick:?}");
}

#[tokio::test]
async fn a_panicking_filter_fails_that_call_only() {
    let (addr, log, timings) = serve_filtered().await;
    let mut ws = open(addr, "/prod", &[]).await;
    failed_by_a_panic(&mut ws, "1").await;
    echoes(&mut ws, "2", "after").await;
    assert_eq!(entries(&log), ["on_connected", "Echo after"]);
    // The panic unwound through the filter around the panicking one: it timed the second call
    // only.
    let timed: Vec<_> = timings
        .lock()
        .unwrap()
        .iter()
        .map(|(method, _)| *method)
        .collect();
    assert_eq!(timed, ["Echo"]);
    // Other connections were never affected.
    let mut other = open(addr, "/prod", &[]).await;
    echoes(&mut other, "1", "fine").await;
}

#[tokio::test]
async fn a_filter_compiled_into_the_hub_runs_inside_the_others_and_keeps_the_hubs_identity() {
    let (hub, log) = production();
    let logging = |name| Logging {
        name,
        log: Arc::clone(&log),
    };
    let options = HubOptions::default().add_filter(logging("hub"));
    let hub = hub.into_hub().with_filter(logging("typed"));
    let mut signalr = SignalR::new()
        .add_filter(logging("global"))
        .hub_with_options("/prod", hub, options);
    // Asked for by the hub's own type, not the wrapper's.
    let context = signalr.context::<ProdHub<Production>>();
    let addr = listen(signalr.into_router()).await;

    let mut ws = open(addr, "/prod", &[]).await;
    eventually("the connect chain", || entries(&log).len() >= 7).await;
    assert_eq!(
        entries(&log),
        [
            "global connecting",
            "hub connecting",
            "typed connecting",
            "on_connected",
            "typed connected",
            "hub connected",
            "global connected",
        ]
    );
    log.lock().unwrap().clear();
    echoes(&mut ws, "1", "hi").await;
    assert_eq!(
        entries(&log),
        [
            "global before Echo",
            "hub before Echo",
            "typed before Echo",
            "Echo hi",
            "typed after Echo",
            "hub after Echo",
            "global after Echo",
        ]
    );
    context
        .all()
        .send(
            "Notice",
            vec![signalr_runtime::protocol::Value::new("to all")],
        )
        .await
        .unwrap();
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":1,\"target\":\"Notice\",\"arguments\":[\"to all\"]}\u{1e}"
    );
    log.lock().unwrap().clear();
    ws.close(None).await.unwrap();
    eventually("the disconnect chain", || entries(&log).len() >= 7).await;
    assert_eq!(
        entries(&log)[..4],
        [
            "global disconnecting",
            "hub disconnecting",
            "typed disconnecting",
            "on_disconnected"
        ]
    );
}

#[tokio::test]
async fn a_filter_compiled_into_the_hub_refuses_and_fails_calls_alone() {
    let (hub, log) = production();
    let app = SignalR::new()
        .hub("/prod", hub.into_hub().with_filter(Gatekeeper))
        .into_router();
    let addr = listen(app).await;
    let mut ws = open(addr, "/prod", &[]).await;
    refused_as_forbidden(&mut ws, "1").await;
    failed_by_a_panic(&mut ws, "2").await;
    echoes(&mut ws, "3", "allowed").await;
    assert_eq!(entries(&log), ["on_connected", "Echo allowed"]);
}

/// Refuses `Counter(13)`, and answers `Counter(0)` itself without starting the stream.
struct Picky;

impl HubFilter for Picky {
    async fn on_invocation(
        &self,
        invocation: HubInvocation<'_>,
        next: impl Next<'_>,
    ) -> InvocationResult {
        match invocation.arguments().decode::<u32>(0).ok() {
            Some(13) => Err(InvokeError::Failed(HubError::new("Not 13."))),
            Some(0) => Ok(None),
            _ => next.run(invocation).await,
        }
    }
}

#[tokio::test]
async fn a_filter_compiled_into_the_hub_starts_refuses_or_answers_streams() {
    let log = Log::default();
    let options = HubOptions::default().add_filter(Logging {
        name: "options",
        log: Arc::clone(&log),
    });
    let app = SignalR::new()
        .hub_with_options("/hub", Tester.into_hub().with_filter(Picky), options)
        .into_router();
    let addr = listen(app).await;
    let mut ws = open(addr, "/hub", &[]).await;
    let stream = |id: &str, to: u32| {
        format!(
            "{{\"type\":4,\"invocationId\":\"{id}\",\"target\":\"Counter\",\"arguments\":[{to}]}}\u{1e}"
        )
    };
    send(&mut ws, &stream("s", 2)).await;
    let mut records = Vec::new();
    while records.len() < 3 {
        records.extend(records_of(&recv(&mut ws).await));
    }
    assert_eq!(
        records,
        [
            "{\"type\":2,\"invocationId\":\"s\",\"item\":1}",
            "{\"type\":2,\"invocationId\":\"s\",\"item\":2}",
            "{\"type\":3,\"invocationId\":\"s\"}",
        ]
    );
    send(&mut ws, &stream("t", 13)).await;
    assert_eq!(
        recv(&mut ws).await,
        error(
            "t",
            "An unexpected error occurred invoking 'Counter' on the server. HubException: Not 13."
        )
    );
    // Answered by the filter: no stream started, so it ends at once with no items.
    send(&mut ws, &stream("u", 0)).await;
    assert_eq!(
        recv(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"u\"}\u{1e}"
    );
    // Every one passed through the options' filter first.
    let seen = entries(&log);
    let before = seen
        .iter()
        .filter(|entry| *entry == "options before Counter");
    assert_eq!(before.count(), 3, "{seen:?}");
}

#[tokio::test]
async fn the_filter_given_last_to_with_filter_runs_first() {
    let (hub, log) = production();
    let logging = |name| Logging {
        name,
        log: Arc::clone(&log),
    };
    let hub = hub
        .into_hub()
        .with_filter(logging("inner"))
        .with_filter(logging("outer"));
    let addr = listen(SignalR::new().hub("/prod", hub).into_router()).await;
    let mut ws = open(addr, "/prod", &[]).await;
    eventually("the connect chain", || entries(&log).len() >= 5).await;
    log.lock().unwrap().clear();
    echoes(&mut ws, "1", "hi").await;
    assert_eq!(
        entries(&log),
        [
            "outer before Echo",
            "inner before Echo",
            "Echo hi",
            "inner after Echo",
            "outer after Echo",
        ]
    );
}

/// Every hub in memory, recording the hub types it was asked for.
#[derive(Debug, Default, Clone)]
struct Recording(Arc<Mutex<Vec<&'static str>>>);

impl LifetimeManagers for Recording {
    fn manager(&self, hub: HubType) -> Arc<dyn HubLifetimeManager> {
        self.0.lock().unwrap().push(hub.name());
        Arc::new(LocalLifetimeManager::default())
    }
}

#[tokio::test]
async fn lifetime_managers_know_a_filtered_hub_by_the_hub_inside() {
    let managers = Recording::default();
    let (plain, _) = production();
    let (filtered, _) = production();
    let _app = SignalR::new()
        .lifetime_managers(managers.clone())
        .hub("/a", plain.into_hub())
        .hub("/b", filtered.into_hub().with_filter(Gatekeeper))
        .into_router();
    // One manager, for the hub's own type, shared by both paths.
    assert_eq!(
        *managers.0.lock().unwrap(),
        [std::any::type_name::<ProdHub<Production>>()]
    );
}

/// The records of one WebSocket message, without their separators.
fn records_of(text: &str) -> Vec<String> {
    records(text).map(str::to_owned).collect()
}
