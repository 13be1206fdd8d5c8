//! From an incoming invocation to the Completion its caller receives.
//!
//! The error texts here are ASP.NET Core's, word for word: official clients and their tests
//! compare them.

use std::cmp::Ordering;

use super::{Arguments, Hub, HubCx, InvokeError, Method, MethodKind};
use crate::error::with_detail;
use crate::protocol::{Completion, Invocation, Outcome, Value};

/// A hub's methods, sorted for lookup by wire name ignoring ASCII case.
pub(crate) struct MethodTable<H> {
    methods: Vec<Method<H>>,
}

fn compare_ignoring_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|byte| byte.to_ascii_lowercase())
        .cmp(b.bytes().map(|byte| byte.to_ascii_lowercase()))
}

impl<H: Hub> MethodTable<H> {
    pub(crate) fn new() -> Self {
        let mut methods = H::methods();
        methods.sort_by(|a, b| compare_ignoring_case(a.name, b.name));
        methods.dedup_by(|later, earlier| {
            let duplicate = later.name.eq_ignore_ascii_case(earlier.name);
            if duplicate {
                tracing::warn!(method = later.name, "duplicate hub method name ignored");
            }
            duplicate
        });
        MethodTable { methods }
    }

    fn find(&self, target: &str) -> Option<&Method<H>> {
        self.methods
            .binary_search_by(|method| compare_ignoring_case(method.name, target))
            .ok()
            .and_then(|index| self.methods.get(index))
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
        None => Outcome::Error(format!(
            "Failed to invoke '{target}' due to an error on the server. HubException: Method does not exist."
        )),
        Some(method) => match refusal(method, &target, kind, call.stream_ids.as_deref()) {
            Some(text) => Outcome::Error(text),
            None => {
                let result = (method.handler)(hub, cx, Arguments::new(call.arguments)).await;
                outcome_of(&target, result, detailed_errors)
            }
        },
    };
    let id = call.invocation_id?;
    Some(Completion::new(id, outcome))
}

/// The refusal for a call that does not fit the method's shape, if it does not.
fn refusal<H>(
    method: &Method<H>,
    target: &str,
    kind: CallKind,
    streams: Option<&[String]>,
) -> Option<String> {
    match (method.kind, kind) {
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
    let binding_failed = format!("Failed to invoke '{target}' due to an error on the server.");
    match result {
        Ok(None) => Outcome::Void,
        Ok(Some(value)) => Outcome::Value(value),
        Err(InvokeError::ArgumentCount { provided, expected }) => Outcome::Error(with_detail(
            &binding_failed,
            detailed.then(|| {
                format!(
                    "InvalidDataException: Invocation provides {provided} argument(s) but target expects {expected}."
                )
            }),
        )),
        Err(InvokeError::ArgumentType { .. }) => Outcome::Error(with_detail(
            &binding_failed,
            detailed.then(|| {
                "InvalidDataException: Error binding arguments. Make sure that the types of the \
                 provided values match the types of the hub method being invoked."
                    .to_owned()
            }),
        )),
        Err(InvokeError::Failed(error)) => Outcome::Error(with_detail(
            &format!("An unexpected error occurred invoking '{target}' on the server."),
            error.detail(detailed),
        )),
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
    }
}
