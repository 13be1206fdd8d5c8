//! Streams in both directions: what a streaming method yields, and what a client uploads.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use futures_util::stream::BoxStream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::error::{HubError, HubResult};
use crate::protocol::Value;

/// The items of a streaming method, as the runtime sends them: each a value, or the error that
/// ends the stream.
pub type ItemStream<'a> = BoxStream<'a, Result<Value, HubError>>;

/// A stream that ends at once: what a streaming call yields when it never started.
pub(crate) fn no_items<'a>() -> ItemStream<'a> {
    Box::pin(futures_util::stream::empty())
}

/// One item of an upload, or how it ended: the client's error text.
pub(crate) type UploadItem = Result<Value, String>;

/// The receiving end of one upload stream, before its item type is known.
#[derive(Debug)]
pub(crate) struct Upload(pub(crate) mpsc::Receiver<UploadItem>);

/// A stream the client uploads to a hub method (a parameter of this type is bound from the
/// invocation's `streamIds`, not from its arguments).
///
/// Each item is `Ok(T)`; when the client ends the stream with an error, the last item is that
/// error as a [`HubError`], so `?` passes it on to the client the way ASP.NET Core does
/// (`... HubException: <the client's error>`).
///
/// ```no_run
/// use signalr_runtime::hub::ClientStream;
/// use signalr_runtime::stream::StreamExt;
/// use signalr_runtime::HubResult;
///
/// async fn concat(mut lines: ClientStream<String>) -> HubResult<String> {
///     let mut all = String::new();
///     while let Some(line) = lines.next().await {
///         all.push_str(&line?);
///     }
///     Ok(all)
/// }
/// ```
pub struct ClientStream<T> {
    items: mpsc::Receiver<UploadItem>,
    ended: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> ClientStream<T> {
    pub(crate) fn new(upload: Upload) -> Self {
        ClientStream {
            items: upload.0,
            ended: false,
            item: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ClientStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientStream")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Stream for ClientStream<T> {
    type Item = HubResult<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let item =
            match self.items.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => None,
                Poll::Ready(Some(Ok(value))) => Some(value.decode().map_err(|error| {
                    HubError::new(format!("Failed to bind Stream message. {error}"))
                })),
                Poll::Ready(Some(Err(error))) => Some(Err(HubError::new(error))),
            };
        // An error ends the stream: nothing after it is delivered.
        self.ended = !matches!(item, Some(Ok(_)));
        Poll::Ready(item)
    }
}
