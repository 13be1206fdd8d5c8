//! Client results: invocations the server sends to one client, awaiting its Completion.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult};
use crate::protocol::{Completion, Outcome, Value};

/// What a client answered: its result, or the error text it sent.
pub(crate) type ClientAnswer = Result<Value, String>;

/// The invocations of one connection that wait for the client's Completion.
#[derive(Debug)]
pub(crate) struct PendingResults {
    /// `None` once the connection has ended: no new call can wait then.
    waiting: Mutex<Option<HashMap<String, oneshot::Sender<ClientAnswer>>>>,
}

impl Default for PendingResults {
    fn default() -> Self {
        PendingResults {
            waiting: Mutex::new(Some(HashMap::new())),
        }
    }
}

impl PendingResults {
    /// Registers `id`; the receiver resolves when the client completes it, and fails when the
    /// connection ends first.
    pub(crate) fn wait_for(&self, id: String) -> Option<oneshot::Receiver<ClientAnswer>> {
        let (sender, receiver) = oneshot::channel();
        self.waiting.lock().ok()?.as_mut()?.insert(id, sender);
        Some(receiver)
    }

    /// Forgets `id` (its caller stopped waiting).
    pub(crate) fn forget(&self, id: &str) {
        if let Some(waiting) = self
            .waiting
            .lock()
            .ok()
            .as_mut()
            .and_then(|waiting| waiting.as_mut())
        {
            waiting.remove(id);
        }
    }

    /// Delivers a Completion from the client; `false` if nothing waited for it.
    pub(crate) fn complete(&self, completion: Completion) -> bool {
        let sender = match self.waiting.lock() {
            Ok(mut waiting) => waiting
                .as_mut()
                .and_then(|waiting| waiting.remove(&completion.invocation_id)),
            Err(_) => None,
        };
        let Some(sender) = sender else { return false };
        // The caller may have stopped waiting in the meantime; then the answer has no use.
        let _ = sender.send(answer(completion.outcome));
        true
    }

    /// Fails every waiting call: the connection is gone.
    pub(crate) fn fail_all(&self) {
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = None;
        }
    }
}

/// What a client's Completion answers: its value, or its error text.
pub(crate) fn answer(outcome: Outcome) -> ClientAnswer {
    match outcome {
        Outcome::Value(value) => Ok(value),
        // A void completion answers `null`, which binds to `()` and `Option`.
        Outcome::Void => Value::from_json("null").map_err(|error| error.to_string()),
        Outcome::Error(error) => Err(error),
    }
}

/// The caller's result once the wait for connection `id`'s answer is over: its value, its
/// error, or the connection gone before it answered.
pub(crate) fn settle(
    id: &ConnectionId,
    answered: Result<ClientAnswer, oneshot::error::RecvError>,
) -> HubResult<Value> {
    match answered {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(HubError::new(error)),
        Err(_) => Err(HubError::new(format!("Connection '{id}' disconnected."))),
    }
}
