//! From an incoming invocation to the Completion its caller receives.
//!
//! The error texts here are ASP.NET Core's, word for word: official clients and their tests
//! compare them.

use std::cmp::Ordering;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::filter::{
    Chain, ConnectedNext, ConnectedTarget, DisconnectedNext, DisconnectedTarget, Filters,
    HubInvocation, InvocationResult, InvocationTarget, Opening,
};
use super::{Arguments, Hub, HubCx, InvokeError, ItemStream, MethodInfo, MethodKind, no_items};
use crate::HubOptions;
use crate::auth::{Authorization, AuthorizationContext, Policies};
use crate::error::{HubError, HubResult, with_detail};
use crate::protocol::{Completion, Outcome};
use crate::telemetry::MethodMetrics;

/// One method of a hub's table.
pub(crate) struct Method {
    pub(crate) info: MethodInfo,
    /// Its index in [`Hub::methods`].
    pub(crate) index: usize,
    metrics: MethodMetrics,
}

/// A hub's methods, sorted for lookup by wire name ignoring ASCII case, and what every call
/// passes through: the hub's authorization requirements, the endpoint's policies, filters.
pub(crate) struct MethodTable<H> {
    methods: Vec<Method>,
    /// Requirements of every method (`#[hub(authorize)]` on the trait).
    required: Vec<Authorization>,
    policies: Policies,
    filters: Filters,
    /// The path the hub is mounted at, for logs.
    path: Arc<str>,
    hub: std::marker::PhantomData<fn() -> H>,
}

/// Orders names by length, then bytes ignoring ASCII case: equal exactly when
/// `eq_ignore_ascii_case` says so, and most comparisons end at the cheap length check.
fn compare_ignoring_case(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| {
        let pairs = a.bytes().zip(b.bytes());
        pairs
            .map(|(x, y)| x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal)
    })
}

impl<H: Hub> MethodTable<H> {
    /// The table of `H` mounted at `path`, with `options`' policies and `filters` (global ones
    /// first, then the endpoint's).
    pub(crate) fn new(path: &str, options: &HubOptions, filters: Filters) -> Self {
        let mut methods: Vec<(MethodInfo, usize)> = H::methods().into_iter().zip(0..).collect();
        methods.sort_by(|(a, _), (b, _)| compare_ignoring_case(a.name(), b.name()));
        methods.dedup_by(|(later, _), (earlier, _)| {
            let duplicate = later.name().eq_ignore_ascii_case(earlier.name());
            if duplicate {
                tracing::warn!(method = later.name(), "duplicate hub method name ignored");
            }
            duplicate
        });
        let required = H::authorization();
        let named = methods.iter().flat_map(|(info, _)| info.authorization());
        for name in required
            .iter()
            .chain(named)
            .filter_map(|rule| rule.policy_name())
        {
            if options.policies.get(name).is_none() {
                tracing::error!(
                    hub = path,
                    policy = name,
                    "no policy of this name is registered: every call that requires it is refused"
                );
            }
        }
        let methods = methods
            .into_iter()
            .map(|(info, index)| Method {
                metrics: MethodMetrics::new(path, info.name()),
                info,
                index,
            })
            .collect();
        MethodTable {
            methods,
            required,
            policies: options.policies.clone(),
            filters,
            path: path.into(),
            hub: std::marker::PhantomData,
        }
    }

    pub(crate) fn find(&self, target: &str) -> Option<&Method> {
        // Sorted by length first: a binary search finds the names of the target's length, and
        // a cheap case-insensitive comparison picks among those few.
        let start = self
            .methods
            .partition_point(|method| method.info.name().len() < target.len());
        self.methods
            .get(start..)?
            .iter()
            .take_while(|method| method.info.name().len() == target.len())
            .find(|method| method.info.name().eq_ignore_ascii_case(target))
    }

    /// Whether the caller meets the hub's and the method's requirements.
    fn allowed(&self, method: &Method, cx: &HubCx, args: &Arguments) -> bool {
        let mut rules = self.required.iter().chain(method.info.authorization());
        let Some(first) = rules.next() else {
            return true;
        };
        let context = AuthorizationContext::new(cx, method.info.name(), args);
        std::iter::once(first)
            .chain(rules)
            .all(|rule| rule.allows(&context, &self.policies))
    }

    /// Runs the method through the filters, catching a panic of either; a failure is logged
    /// once, with the hub, method and connection.
    async fn call<'a>(
        &'a self,
        hub: &'a H,
        method: &'a Method,
        cx: &'a HubCx,
        args: Arguments,
    ) -> InvocationResult {
        let called = if self.filters.is_empty() {
            AssertUnwindSafe(hub.invoke(method.index, cx, args))
                .catch_unwind()
                .await
        } else {
            let target = Unary {
                hub,
                index: method.index,
            };
            let invocation = HubInvocation::new(cx, method.info.name(), args);
            // The chain is built inside the guard: a filter may run `next` before its future
            // is polled.
            let chain = async { Chain::new(&self.filters, &target, cx).run(invocation).await };
            AssertUnwindSafe(chain).catch_unwind().await
        };
        self.settle(called, method, cx)
    }

    /// Starts a streaming method through the filters, as [`MethodTable::call`] does.
    async fn start<'a>(
        &'a self,
        hub: &'a H,
        method: &'a Method,
        cx: &'a HubCx,
        args: Arguments,
    ) -> Result<ItemStream<'a>, InvokeError> {
        if self.filters.is_empty() {
            let called = match AssertUnwindSafe(hub.stream(method.index, cx, args))
                .catch_unwind()
                .await
            {
                Ok(Ok(items)) => return Ok(items),
                Ok(Err(error)) => Ok(Err(error)),
                Err(panic) => Err(panic),
            };
            // A failure: settled (logged) into the error it is.
            return self.settle(called, method, cx).map(|_| no_items());
        }
        let target = Streaming {
            hub,
            cx,
            index: method.index,
            opening: Opening::default(),
        };
        let invocation = HubInvocation::new(cx, method.info.name(), args);
        let chain = async { Chain::new(&self.filters, &target, cx).run(invocation).await };
        let called = AssertUnwindSafe(chain).catch_unwind().await;
        self.settle(called, method, cx)?;
        // A filter that answered without running the method started no stream: it ends at once.
        Ok(target.opening.take())
    }

    fn settle(
        &self,
        called: std::thread::Result<InvocationResult>,
        method: &Method,
        cx: &HubCx,
    ) -> InvocationResult {
        let (hub, name, connection) = (&*self.path, method.info.name(), cx.connection_id());
        // The transport and user too, not only in the connection's span: spans are often off
        // at the levels production logs at.
        let (transport, user) = (cx.transport().name(), cx.user_identifier());
        match called {
            Err(_panic) => {
                tracing::error!(hub, method = name, %connection, transport, user, "hub method panicked");
                Err(InvokeError::Failed(HubError::panicked()))
            }
            Ok(Err(InvokeError::Failed(error))) => {
                let error_message = error.message();
                tracing::error!(
                    hub,
                    method = name,
                    %connection,
                    transport,
                    user,
                    error = error_message,
                    "hub method failed"
                );
                Err(InvokeError::Failed(error))
            }
            Ok(result) => result,
        }
    }

    /// Runs `on_connected` through the filters.
    pub(crate) async fn connected(&self, hub: &H, cx: &HubCx) -> HubResult<()> {
        if self.filters.is_empty() {
            return hub.on_connected(cx).await;
        }
        ConnectedNext::new(&self.filters, &Lifecycle(hub))
            .run(cx)
            .await
    }

    /// Runs `on_disconnected` through the filters.
    pub(crate) async fn disconnected(&self, hub: &H, cx: &HubCx, error: Option<&str>) {
        if self.filters.is_empty() {
            return hub.on_disconnected(cx, error).await;
        }
        DisconnectedNext::new(&self.filters, &Lifecycle(hub))
            .run(cx, error)
            .await;
    }
}

/// The end of an invocation's filter chain: the hub method.
struct Unary<'h, H> {
    hub: &'h H,
    index: usize,
}

impl<H: Hub> InvocationTarget for Unary<'_, H> {
    fn call<'a>(&'a self, invocation: HubInvocation<'a>) -> BoxFuture<'a, InvocationResult> {
        let cx = invocation.cx();
        Box::pin(self.hub.invoke(self.index, cx, invocation.into_arguments()))
    }
}

/// The end of a stream's filter chain: starting the stream, kept for the caller.
struct Streaming<'h, H> {
    hub: &'h H,
    cx: &'h HubCx,
    index: usize,
    opening: Opening<'h>,
}

impl<H: Hub> InvocationTarget for Streaming<'_, H> {
    fn call<'a>(&'a self, invocation: HubInvocation<'a>) -> BoxFuture<'a, InvocationResult> {
        let items = self
            .hub
            .stream(self.index, self.cx, invocation.into_arguments());
        Box::pin(self.opening.open(items))
    }
}

/// The end of the connect and disconnect chains: the hub's hooks.
pub(crate) struct Lifecycle<'h, H>(pub(crate) &'h H);

impl<H: Hub> ConnectedTarget for Lifecycle<'_, H> {
    fn call<'a>(&'a self, cx: &'a HubCx) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.0.on_connected(cx))
    }
}

impl<H: Hub> DisconnectedTarget for Lifecycle<'_, H> {
    fn call<'a>(&'a self, cx: &'a HubCx, error: Option<&'a str>) -> BoxFuture<'a, ()> {
        Box::pin(self.0.on_disconnected(cx, error))
    }
}

/// What the dispatcher needs of an invocation.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) target: String,
    pub(crate) invocation_id: Option<String>,
    pub(crate) args: Arguments,
}

/// Runs an Invocation (message type 1) and returns the Completion to send, if the caller wants
/// one.
pub(crate) async fn invoke<H: Hub>(
    hub: &H,
    table: &MethodTable<H>,
    cx: &HubCx,
    call: Call,
    detailed: bool,
) -> Option<Completion> {
    let Call {
        target,
        invocation_id,
        args,
    } = call;
    let outcome = run(hub, table, cx, &target, args, detailed).await;
    Some(Completion::new(invocation_id?, outcome))
}

/// Runs a non-streaming call of `target` and returns how it ended; the caller owns the
/// invocation id, so that the connection can keep it outside the method's future.
pub(crate) async fn run<H: Hub>(
    hub: &H,
    table: &MethodTable<H>,
    cx: &HubCx,
    target: &str,
    args: Arguments,
    detailed: bool,
) -> Outcome {
    let Some(method) = table.find(target) else {
        return Outcome::Error(error_text(target, InvokeError::UnknownMethod, detailed));
    };
    if !table.allowed(method, cx, &args) {
        return Outcome::Error(unauthorized(target));
    }
    if method.info.kind() == MethodKind::Stream {
        return Outcome::Error(format!(
            "The client attempted to invoke the streaming '{target}' method with a non-streaming invocation."
        ));
    }
    let started = MethodMetrics::start();
    let result = table.call(hub, method, cx, args).await;
    method.metrics.record(started, result.is_ok());
    match result {
        Ok(None) => Outcome::Void,
        Ok(Some(value)) => Outcome::Value(value),
        Err(error) => Outcome::Error(error_text(target, error, detailed)),
    }
}

/// Starts a StreamInvocation (message type 4): the method's items, or the error text that
/// completes the call at once.
pub(crate) async fn open_stream<'a, H: Hub>(
    hub: &'a H,
    table: &'a MethodTable<H>,
    cx: &'a HubCx,
    target: &str,
    args: Arguments,
    detailed: bool,
) -> Result<ItemStream<'a>, String> {
    let Some(method) = table.find(target) else {
        return Err(error_text(target, InvokeError::UnknownMethod, detailed));
    };
    if !table.allowed(method, cx, &args) {
        return Err(unauthorized(target));
    }
    if method.info.kind() == MethodKind::Unary {
        return Err(format!(
            "The client attempted to invoke the non-streaming '{target}' method with a streaming invocation."
        ));
    }
    let started = MethodMetrics::start();
    let opened = table.start(hub, method, cx, args).await;
    method.metrics.record(started, opened.is_ok());
    opened.map_err(|error| error_text(target, error, detailed))
}

fn unauthorized(target: &str) -> String {
    format!("Failed to invoke '{target}' because user is unauthorized")
}

/// ASP.NET Core's text for a call that failed.
fn error_text(target: &str, error: InvokeError, detailed: bool) -> String {
    let binding_failed = || format!("Failed to invoke '{target}' due to an error on the server.");
    let unexpected = || format!("An unexpected error occurred invoking '{target}' on the server.");
    match error {
        // What clients see: the protocol parser asks for the parameter types first, and that
        // lookup is what fails in ASP.NET Core.
        InvokeError::UnknownMethod => format!(
            "Failed to invoke '{target}' due to an error on the server. HubException: Method does not exist."
        ),
        InvokeError::ArgumentCount { provided, expected } => with_detail(
            &binding_failed(),
            detailed.then(|| {
                format!(
                    "InvalidDataException: Invocation provides {provided} argument(s) but target expects {expected}."
                )
            }),
        ),
        InvokeError::ArgumentType { .. } => with_detail(
            &binding_failed(),
            detailed.then(|| {
                "InvalidDataException: Error binding arguments. Make sure that the types of the \
                 provided values match the types of the hub method being invoked."
                    .to_owned()
            }),
        ),
        // A HubException in ASP.NET Core, so always detailed.
        InvokeError::StreamCount { provided, expected } => format!(
            "{} HubException: Client sent {provided} stream(s), Hub method expects {expected}.",
            unexpected()
        ),
        InvokeError::Failed(error) => with_detail(&unexpected(), error.detail(detailed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_order_is_total() {
        assert_eq!(compare_ignoring_case("Echo", "echo"), Ordering::Equal);
        assert_eq!(compare_ignoring_case("a", "B"), Ordering::Less);
        assert_eq!(compare_ignoring_case("ab", "A"), Ordering::Greater);
        assert_eq!(compare_ignoring_case("b", "AA"), Ordering::Less);
    }
}
