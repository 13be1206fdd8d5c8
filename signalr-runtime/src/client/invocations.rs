//! The calls waiting for the server: invocations awaiting a completion, streams awaiting items.
//!
//! The table also decides what counts as malformed: a completion or stream item for an id this
//! client never used is a protocol error that ends the connection. Streams the client cancelled
//! stay in the table until their completion arrives, so the server's late answer to a cancelled
//! stream is not mistaken for one.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot};

use super::ClientError;
use crate::protocol::{Completion, Outcome, StreamItem, Value};

/// What an invocation answers: a result (`None` when the method returned nothing) or an error.
pub(crate) type CallResult = Result<Option<Value>, ClientError>;

/// One waiting call.
#[derive(Debug)]
enum Waiting {
    /// An invocation; the caller may have stopped waiting (the receiver dropped).
    Call(oneshot::Sender<CallResult>),
    /// A stream from the server; items go to the channel, an error ends it.
    Stream(mpsc::UnboundedSender<Result<Value, ClientError>>),
    /// A stream the client cancelled; items are dropped until its completion arrives.
    Cancelled,
}

#[derive(Debug, Default)]
struct Table {
    waiting: HashMap<String, Waiting>,
    /// Set once the session ended: no new calls, every waiting one failed with this.
    closed: Option<ClientError>,
}

/// The calls of one session.
#[derive(Debug, Default)]
pub(crate) struct Invocations(Mutex<Table>);

impl Invocations {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // The table stays consistent whatever a panicking thread left half done: every
        // operation is a single insert or remove.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers an invocation with id `id`.
    pub(crate) fn call(&self, id: &str) -> Result<oneshot::Receiver<CallResult>, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.insert(id, Waiting::Call(tx))?;
        Ok(rx)
    }

    /// Registers a stream with id `id`.
    pub(crate) fn stream(
        &self,
        id: &str,
    ) -> Result<mpsc::UnboundedReceiver<Result<Value, ClientError>>, ClientError> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.insert(id, Waiting::Stream(tx))?;
        Ok(rx)
    }

    fn insert(&self, id: &str, waiting: Waiting) -> Result<(), ClientError> {
        let mut table = self.table();
        if let Some(error) = &table.closed {
            return Err(error.clone());
        }
        table.waiting.insert(id.to_owned(), waiting);
        Ok(())
    }

    /// Forgets a call whose message could not be sent.
    pub(crate) fn forget(&self, id: &str) {
        self.table().waiting.remove(id);
    }

    /// Fails the call `id` with `error` (its invocation could not be sent).
    pub(crate) fn fail(&self, id: &str, error: ClientError) {
        let waiting = self.table().waiting.remove(id);
        match waiting {
            Some(Waiting::Call(tx)) => {
                let _ = tx.send(Err(error));
            }
            Some(Waiting::Stream(tx)) => {
                let _ = tx.send(Err(error));
            }
            Some(Waiting::Cancelled) | None => {}
        }
    }

    /// Marks a stream cancelled by the client.
    pub(crate) fn cancel(&self, id: &str) {
        if let Some(waiting) = self.table().waiting.get_mut(id) {
            *waiting = Waiting::Cancelled;
        }
    }

    /// Delivers a stream item.
    pub(crate) fn item(&self, item: StreamItem) -> Result<(), ClientError> {
        let mut table = self.table();
        match table.waiting.get(&item.invocation_id) {
            Some(Waiting::Stream(tx)) => {
                if tx.send(Ok(item.item)).is_err() {
                    // The stream was dropped between its cancel and here: nothing to tell.
                    table.waiting.insert(item.invocation_id, Waiting::Cancelled);
                }
                Ok(())
            }
            Some(Waiting::Cancelled) => Ok(()),
            Some(Waiting::Call(_)) => Err(ClientError::Protocol(format!(
                "a stream item for invocation '{}', which is not a stream",
                item.invocation_id
            ))),
            None => Err(ClientError::Protocol(format!(
                "a stream item for unknown invocation id '{}'",
                item.invocation_id
            ))),
        }
    }

    /// Delivers a completion.
    pub(crate) fn complete(&self, completion: Completion) -> Result<(), ClientError> {
        let waiting = self.table().waiting.remove(&completion.invocation_id);
        let result = match completion.outcome {
            Outcome::Void => Ok(None),
            Outcome::Value(value) => Ok(Some(value)),
            Outcome::Error(error) => Err(ClientError::Hub(error)),
        };
        match waiting {
            Some(Waiting::Call(tx)) => {
                // The caller may have stopped waiting.
                let _ = tx.send(result);
                Ok(())
            }
            Some(Waiting::Stream(tx)) => match result {
                Ok(None) => Ok(()),
                Err(error) => {
                    let _ = tx.send(Err(error));
                    Ok(())
                }
                Ok(Some(_)) => Err(ClientError::Protocol(format!(
                    "the completion of stream '{}' carries a result",
                    completion.invocation_id
                ))),
            },
            Some(Waiting::Cancelled) => Ok(()),
            None => Err(ClientError::Protocol(format!(
                "a completion for unknown invocation id '{}'",
                completion.invocation_id
            ))),
        }
    }

    /// Ends the session: every waiting call fails with `error`, and so does every later one.
    pub(crate) fn close(&self, error: &ClientError) {
        let waiting = {
            let mut table = self.table();
            table.closed = Some(error.clone());
            std::mem::take(&mut table.waiting)
        };
        for (_, waiting) in waiting {
            match waiting {
                Waiting::Call(tx) => {
                    let _ = tx.send(Err(error.clone()));
                }
                Waiting::Stream(tx) => {
                    let _ = tx.send(Err(error.clone()));
                }
                Waiting::Cancelled => {}
            }
        }
    }
}
