//! From an incoming invocation to the Completion its caller receives.
//!
//! The error texts here are ASP.NET Core's, word for word: official clients and their tests
//! compare them.

use std::cmp::Ordering;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use super::{Arguments, Hub, HubCx, InvokeError, ItemStream, MethodInfo, MethodKind};
use crate::error::{HubError, with_detail};
use crate::protocol::{Completion, Outcome};

/// A hub's methods, sorted for lookup by wire name ignoring ASCII case, each with its index
/// in [`Hub::methods`].
pub(crate) struct MethodTable<H> {
    methods: Vec<(MethodInfo, usize)>,
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
    pub(crate) fn new() -> Self {
        let mut methods: Vec<(MethodInfo, usize)> = H::methods().into_iter().zip(0..).collect();
        methods.sort_by(|(a, _), (b, _)| compare_ignoring_case(a.name(), b.name()));
        methods.dedup_by(|(later, _), (earlier, _)| {
            let duplicate = later.name().eq_ignore_ascii_case(earlier.name());
            if duplicate {
                tracing::warn!(method = later.name(), "duplicate hub method name ignored");
            }
            duplicate
        });
        MethodTable {
            methods,
            hub: std::marker::PhantomData,
        }
    }

    pub(crate) fn find(&self, target: &str) -> Option<&(MethodInfo, usize)> {
        // Sorted by length first: a binary search finds the names of the target's length, and
        // a cheap case-insensitive comparison picks among those few.
        let start = self
            .methods
            .partition_point(|(method, _)| method.name().len() < target.len());
        self.methods
            .get(start..)?
            .iter()
            .take_while(|(method, _)| method.name().len() == target.len())
            .find(|(method, _)| method.name().eq_ignore_ascii_case(target))
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
    match table.find(target) {
        None => Outcome::Error(error_text(target, InvokeError::UnknownMethod, detailed)),
        Some((method, _)) if !allowed(method, cx) => Outcome::Error(unauthorized(target)),
        Some((method, _)) if method.kind() == MethodKind::Stream => Outcome::Error(format!(
            "The client attempted to invoke the streaming '{target}' method with a non-streaming invocation."
        )),
        Some((method, index)) => {
            let invoked = AssertUnwindSafe(hub.invoke(*index, cx, args))
                .catch_unwind()
                .await;
            match invoked.unwrap_or_else(|_| Err(panicked(method))) {
                Ok(None) => Outcome::Void,
                Ok(Some(value)) => Outcome::Value(value),
                Err(error) => Outcome::Error(error_text(target, error, detailed)),
            }
        }
    }
}

/// Starts a StreamInvocation (message type 4): the method's items, or the error text that
/// completes the call at once.
pub(crate) async fn open_stream<'a, H: Hub>(
    hub: &'a H,
    table: &MethodTable<H>,
    cx: &'a HubCx,
    target: &str,
    args: Arguments,
    detailed: bool,
) -> Result<ItemStream<'a>, String> {
    match table.find(target) {
        None => Err(error_text(target, InvokeError::UnknownMethod, detailed)),
        Some((method, _)) if !allowed(method, cx) => Err(unauthorized(target)),
        Some((method, _)) if method.kind() == MethodKind::Unary => Err(format!(
            "The client attempted to invoke the non-streaming '{target}' method with a streaming invocation."
        )),
        Some((method, index)) => {
            let opened = AssertUnwindSafe(hub.stream(*index, cx, args))
                .catch_unwind()
                .await;
            opened
                .unwrap_or_else(|_| Err(panicked(method)))
                .map_err(|error| error_text(target, error, detailed))
        }
    }
}

fn allowed(method: &MethodInfo, cx: &HubCx) -> bool {
    method
        .authorization()
        .is_none_or(|authorization| authorization.allows(cx.user()))
}

fn unauthorized(target: &str) -> String {
    format!("Failed to invoke '{target}' because user is unauthorized")
}

fn panicked(method: &MethodInfo) -> InvokeError {
    tracing::error!(method = method.name(), "hub method panicked");
    InvokeError::Failed(HubError::panicked())
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
