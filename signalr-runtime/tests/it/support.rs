//! Helpers both protocols' tests share: taking a message apart, building headers.

use signalr_runtime::protocol::{
    Ack, CancelInvocation, Close, Completion, Headers, HubMessage, Invocation, Outcome, Sequence,
    StreamItem,
};

pub(crate) fn headers(pairs: &[(&str, &str)]) -> Headers {
    pairs
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&s| s.to_owned()).collect()
}

#[track_caller]
pub(crate) fn invocation(message: HubMessage) -> Invocation {
    match message {
        HubMessage::Invocation(call) => call,
        other => panic!("expected an Invocation, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn stream_invocation(message: HubMessage) -> Invocation {
    match message {
        HubMessage::StreamInvocation(call) => call,
        other => panic!("expected a StreamInvocation, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn stream_item(message: HubMessage) -> StreamItem {
    match message {
        HubMessage::StreamItem(item) => item,
        other => panic!("expected a StreamItem, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn completion(message: HubMessage) -> Completion {
    match message {
        HubMessage::Completion(completion) => completion,
        other => panic!("expected a Completion, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn cancel(message: HubMessage) -> CancelInvocation {
    match message {
        HubMessage::CancelInvocation(cancel) => cancel,
        other => panic!("expected a CancelInvocation, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn close(message: HubMessage) -> Close {
    match message {
        HubMessage::Close(close) => close,
        other => panic!("expected a Close, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn ack(message: HubMessage) -> Ack {
    match message {
        HubMessage::Ack(ack) => ack,
        other => panic!("expected an Ack, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn sequence(message: HubMessage) -> Sequence {
    match message {
        HubMessage::Sequence(sequence) => sequence,
        other => panic!("expected a Sequence, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn assert_ping(message: HubMessage) {
    match message {
        HubMessage::Ping => {}
        other => panic!("expected a Ping, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn assert_void(outcome: &Outcome) {
    assert!(
        matches!(outcome, Outcome::Void),
        "expected no result, got {outcome:?}"
    );
}

#[track_caller]
pub(crate) fn error_text(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Error(error) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}
