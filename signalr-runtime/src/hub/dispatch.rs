//! From an incoming invocation to the Completion its caller receives.
//!
//! The error texts here are ASP.NET Core's, word for word: official clients and their tests
//! compare them.

use std::cmp::Ordering;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use super::{Arguments, Hub, HubCx, InvokeError, MethodInfo, MethodKind};
use crate::error::{HubError, with_detail};
use crate::protocol::{Completion, Invocation, Outcome, Value};

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

/// How the client asked for the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// Invocation message (type 1).
    Invocation,
    /// StreamInvocation message (type 4).
    Stream,
}

/// Runs one invocation and returns the Completion to send, if the caller wants one.
pub(crate) async fn invoke<H: Hub>(
    hub: &H,
    table: &MethodTable<H>,
    cx: &HubCx,
    call: Invocation,
    kind: CallKind,
    detailed_errors: bool,
) -> Option<Completion> {
    let target = call.target;
    let outcome = match table.find(&target) {
        None => outcome_of(&target, Err(InvokeError::UnknownMethod), detailed_errors),
        Some((method, index)) => match refusal(method, &target, kind, call.stream_ids.as_deref()) {
            Some(text) => Outcome::Error(text),
            None => {
                let invoked = hub.invoke(*index, cx, Arguments::new(call.arguments));
                let result = AssertUnwindSafe(invoked)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| {
                        tracing::error!(method = method.name(), "hub method panicked");
                        Err(InvokeError::Failed(HubError::panicked()))
                    });
                outcome_of(&target, result, detailed_errors)
            }
        },
    };
    let id = call.invocation_id?;
    Some(Completion::new(id, outcome))
}

/// The refusal for a call that does not fit the method's shape, if it does not.
fn refusal(
    method: &MethodInfo,
    target: &str,
    kind: CallKind,
    streams: Option<&[String]>,
) -> Option<String> {
    match (method.kind(), kind) {
        (MethodKind::Unary, CallKind::Stream) => {
            return Some(format!(
                "The client attempted to invoke the non-streaming '{target}' method with a streaming invocation."
            ));
        }
        (MethodKind::Unary, CallKind::Invocation) => {}
    }
    let sent = streams.map_or(0, <[String]>::len);
    (sent > 0).then(|| {
        format!(
            "An unexpected error occurred invoking '{target}' on the server. \
             HubException: Client sent {sent} stream(s), Hub method expects 0."
        )
    })
}

fn outcome_of(target: &str, result: Result<Option<Value>, InvokeError>, detailed: bool) -> Outcome {
    let binding_failed = || format!("Failed to invoke '{target}' due to an error on the server.");
    let text = match result {
        Ok(None) => return Outcome::Void,
        Ok(Some(value)) => return Outcome::Value(value),
        // What clients see: the protocol parser asks for the parameter types first, and that
        // lookup is what fails in ASP.NET Core.
        Err(InvokeError::UnknownMethod) => format!(
            "Failed to invoke '{target}' due to an error on the server. HubException: Method does not exist."
        ),
        Err(InvokeError::ArgumentCount { provided, expected }) => with_detail(
            &binding_failed(),
            detailed.then(|| {
                format!(
                    "InvalidDataException: Invocation provides {provided} argument(s) but target expects {expected}."
                )
            }),
        ),
        Err(InvokeError::ArgumentType { .. }) => with_detail(
            &binding_failed(),
            detailed.then(|| {
                "InvalidDataException: Error binding arguments. Make sure that the types of the \
                 provided values match the types of the hub method being invoked."
                    .to_owned()
            }),
        ),
        Err(InvokeError::Failed(error)) => with_detail(
            &format!("An unexpected error occurred invoking '{target}' on the server."),
            error.detail(detailed),
        ),
    };
    Outcome::Error(text)
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
