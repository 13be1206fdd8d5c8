//! The hub messages of the SignalR hub protocol, independent of their encoding.

use std::collections::BTreeMap;

use super::Value;

/// Message headers: string keys to string values, carried by most message types.
pub type Headers = BTreeMap<String, String>;

/// One message of the hub protocol, after the handshake.
#[derive(Debug)]
#[non_exhaustive]
pub enum HubMessage {
    /// Type 1: call a method, with a result expected when `invocation_id` is set.
    Invocation(Invocation),
    /// Type 2: one item of a stream, in either direction.
    StreamItem(StreamItem),
    /// Type 3: the end of an invocation or stream, with a result or an error.
    Completion(Completion),
    /// Type 4: call a method that answers with a stream of items.
    StreamInvocation(Invocation),
    /// Type 5: stop an invocation or stream that is still running.
    CancelInvocation(CancelInvocation),
    /// Type 6: keep-alive; carries nothing.
    Ping,
    /// Type 7: the sender is closing the connection.
    Close(Close),
    /// Type 8: stateful reconnect, the messages received so far.
    Ack(Ack),
    /// Type 9: stateful reconnect, where replayed messages start.
    Sequence(Sequence),
}

impl HubMessage {
    /// Whether stateful reconnect counts, buffers and replays this message.
    pub fn is_trackable(&self) -> bool {
        matches!(
            self,
            HubMessage::Invocation(_)
                | HubMessage::StreamItem(_)
                | HubMessage::Completion(_)
                | HubMessage::StreamInvocation(_)
                | HubMessage::CancelInvocation(_)
        )
    }
}

/// A call of a method on the other side (message types 1 and 4).
#[derive(Debug, Default)]
pub struct Invocation {
    /// Headers sent with the message.
    pub headers: Headers,
    /// Identifies the call; `None` means no result is wanted.
    pub invocation_id: Option<String>,
    /// The method's wire name.
    pub target: String,
    /// The positional arguments, without upload streams.
    pub arguments: Vec<Value>,
    /// Identifiers of the streams the caller uploads to this call, if any.
    pub stream_ids: Option<Vec<String>>,
}

impl Invocation {
    /// A call of `target` that wants no result.
    ///
    /// ```
    /// use signalr_runtime::protocol::{Invocation, Value};
    /// let call = Invocation::new("ReceiveMessage", vec![Value::new("hi")]);
    /// assert!(call.invocation_id.is_none());
    /// ```
    pub fn new(target: impl Into<String>, arguments: Vec<Value>) -> Self {
        Invocation {
            target: target.into(),
            arguments,
            ..Invocation::default()
        }
    }
}

/// One item of a stream (message type 2).
#[derive(Debug)]
pub struct StreamItem {
    /// Headers sent with the message.
    pub headers: Headers,
    /// The stream the item belongs to.
    pub invocation_id: String,
    /// The item.
    pub item: Value,
}

/// How an invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The method returned nothing, or a stream ended.
    Void,
    /// The method returned a value (which may be `null`).
    Value(Value),
    /// The method failed; the text is shown to the caller.
    Error(String),
}

/// The end of an invocation or a stream (message type 3).
#[derive(Debug)]
pub struct Completion {
    /// Headers sent with the message.
    pub headers: Headers,
    /// The invocation or stream that ended.
    pub invocation_id: String,
    /// Its result.
    pub outcome: Outcome,
}

impl Completion {
    /// A completion of `invocation_id` with `outcome` and no headers.
    pub fn new(invocation_id: impl Into<String>, outcome: Outcome) -> Self {
        Completion {
            headers: Headers::new(),
            invocation_id: invocation_id.into(),
            outcome,
        }
    }
}

/// A request to stop a running invocation or stream (message type 5).
#[derive(Debug)]
pub struct CancelInvocation {
    /// Headers sent with the message.
    pub headers: Headers,
    /// The invocation to stop.
    pub invocation_id: String,
}

/// The sender is closing the connection (message type 7).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Close {
    /// Why, when the close is caused by an error.
    pub error: Option<String>,
    /// Whether a client configured for automatic reconnect should try again.
    pub allow_reconnect: bool,
}

/// Stateful reconnect: every message up to `sequence_id` has arrived (message type 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The highest sequence number received.
    pub sequence_id: u64,
}

/// Stateful reconnect: the next message carries `sequence_id` (message type 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequence {
    /// The sequence number of the next message.
    pub sequence_id: u64,
}
