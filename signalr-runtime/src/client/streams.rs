//! Streams in both directions: [`HubStream`] for items from the server, [`Upload`] for items
//! to it.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{BoxStream, Stream, StreamExt as _};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::DropGuard;

use super::ClientError;
use super::session::Session;
use crate::protocol::{CancelInvocation, Headers, HubMessage, Value};

/// Items of a stream the server sends, decoded into `T`.
///
/// The stream ends after the server's completion; an error (from the hub method, or the
/// connection ending) is its last item. Dropping it before the end cancels the stream on the
/// server.
///
/// ```no_run
/// use signalr_runtime::client::{ClientError, HubConnection};
/// use signalr_runtime::protocol::Value;
/// use signalr_runtime::stream::StreamExt as _;
///
/// # async fn run(connection: HubConnection) -> Result<(), ClientError> {
/// let mut countdown = connection.stream::<u32>("Countdown", vec![Value::new(10)]).await?;
/// while let Some(number) = countdown.next().await {
///     println!("{}", number?);
/// }
/// # Ok(())
/// # }
/// ```
pub struct HubStream<T> {
    id: String,
    items: mpsc::UnboundedReceiver<Result<Value, ClientError>>,
    session: Arc<Session>,
    decode: fn(&Value) -> Result<T, ClientError>,
    done: bool,
    /// Stops the call's uploads when the stream is dropped.
    _uploads: DropGuard,
}

impl<T> fmt::Debug for HubStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubStream")
            .field("id", &self.id)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T> HubStream<T> {
    pub(crate) fn new(
        id: String,
        items: mpsc::UnboundedReceiver<Result<Value, ClientError>>,
        session: Arc<Session>,
        decode: fn(&Value) -> Result<T, ClientError>,
        uploads: DropGuard,
    ) -> Self {
        HubStream {
            id,
            items,
            session,
            decode,
            done: false,
            _uploads: uploads,
        }
    }
}

impl<T> Stream for HubStream<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let next = match self.items.poll_recv(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(next) => next,
        };
        Poll::Ready(match next {
            Some(Ok(value)) => Some((self.decode)(&value)),
            Some(Err(error)) => {
                self.done = true;
                Some(Err(error))
            }
            None => {
                self.done = true;
                None
            }
        })
    }
}

impl<T> Drop for HubStream<T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.session.invocations.cancel(&self.id);
        let _ = self
            .session
            .outgoing
            .send(HubMessage::CancelInvocation(CancelInvocation {
                headers: Headers::new(),
                invocation_id: std::mem::take(&mut self.id),
            }));
    }
}

/// A stream of items the client uploads to a hub method's `ClientStream<T>` parameter. It stops
/// being read once the call has completed.
///
/// ```no_run
/// use signalr_runtime::client::{ClientError, HubConnection, Upload};
/// use signalr_runtime::stream;
///
/// # async fn run(connection: HubConnection) -> Result<(), ClientError> {
/// let lines = Upload::new(stream::iter(["a".to_owned(), "b".to_owned()]));
/// let joined: String = connection
///     .invoke_with_uploads("StreamingConcat", Vec::new(), vec![lines])
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct Upload(pub(crate) BoxStream<'static, Value>);

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Upload")
    }
}

impl Upload {
    /// Uploads every item of `items`; the upload completes when the stream ends.
    pub fn new<T, S>(items: S) -> Self
    where
        T: Serialize + Send + Sync + 'static,
        S: Stream<Item = T> + Send + 'static,
    {
        Upload(items.map(Value::new).boxed())
    }

    /// Uploads values that are already wrapped.
    pub fn from_values<S>(values: S) -> Self
    where
        S: Stream<Item = Value> + Send + 'static,
    {
        Upload(values.boxed())
    }
}
