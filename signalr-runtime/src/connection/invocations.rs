//! The invocations of one connection: starting them, the parallel-invocation limit, upload
//! streams, cancellation, and streaming results.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::HubEndpoint;
use super::encode;
use crate::error::with_detail;
use crate::hub::dispatch::{self, Call};
use crate::hub::{Arguments, Hub, HubCx, ItemStream, Upload, UploadItem};
use crate::outbound::{Outbound, TryPushError};
use crate::protocol::{Completion, HubMessage, Invocation, Outcome, Protocol, StreamItem};

/// Cancellation tokens of running invocations, by invocation id.
type Running = Arc<Mutex<HashMap<String, CancellationToken>>>;

/// How long the end of an upload with an error waits for room in the method's buffer.
const UPLOAD_ERROR_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// How many upload streams one connection may have open at once.
const MAX_OPEN_UPLOADS: usize = 1024;

/// The invocations of one connection.
pub(super) struct Invocations<H> {
    endpoint: Arc<HubEndpoint<H>>,
    cx: HubCx,
    protocol: Protocol,
    queue: Outbound,
    tasks: JoinSet<()>,
    permits: Arc<Semaphore>,
    /// Where each upload stream's items go, by stream id.
    uploads: HashMap<String, mpsc::Sender<UploadItem>>,
    /// The tokens of calls that did not end in their first poll, and of streams; all are
    /// cancelled when the connection ends.
    running: Running,
    /// Completions the queue had no room for, until the reader has waited for room.
    overflow: Vec<Bytes>,
}

impl<H: Hub> Invocations<H> {
    pub(super) fn new(
        endpoint: Arc<HubEndpoint<H>>,
        cx: HubCx,
        protocol: Protocol,
        queue: Outbound,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(
            endpoint.options.maximum_parallel_invocations_per_client,
        ));
        Invocations {
            endpoint,
            cx,
            protocol,
            queue,
            tasks: JoinSet::new(),
            permits,
            uploads: HashMap::new(),
            running: Arc::default(),
            overflow: Vec::new(),
        }
    }

    /// The permit a non-streaming invocation waits for; `None` once the semaphore is closed.
    pub(super) fn permits(&self) -> Arc<Semaphore> {
        Arc::clone(&self.permits)
    }

    /// Starts an Invocation (type 1). Calls with upload streams run at once, outside the limit:
    /// otherwise their items, queued behind another call, could never arrive.
    ///
    /// The method is polled once here, on the reader's task: most calls finish in that poll, and
    /// then cost neither a task nor a place in the running map (no CancelInvocation can name a
    /// call that ended before the next message was read). A call that has to wait (for a client
    /// result, a timer, a full queue) moves to a task of its own, so the reader goes on reading:
    /// a client result from the caller itself still arrives. `task` is the reader's: a pending
    /// method may have registered its waker, and wakes the reader once for nothing at worst, its
    /// own task polling it again at once.
    pub(super) fn invoke(
        &mut self,
        call: Invocation,
        permit: Option<OwnedSemaphorePermit>,
        task: &mut Context<'_>,
    ) {
        if let Some(id) = &call.invocation_id
            && self.in_use(id)
        {
            // Refused before its upload streams open, so nothing of it outlives this message;
            // the call holding the id is left as it was.
            drop(permit);
            self.refuse_duplicate(id.clone());
            return;
        }
        let span = invocation_span(&call);
        let (call, token) = self.prepare(call);
        let Call {
            target,
            invocation_id: id,
            args,
        } = call;
        let endpoint = Arc::clone(&self.endpoint);
        let cx = self.cx.for_invocation(token.clone());
        let method = async move {
            let detailed = endpoint.options.detailed_errors;
            dispatch::run(
                &endpoint.hub,
                &endpoint.methods,
                &cx,
                &target,
                args,
                detailed,
            )
            .await
        };
        // Boxed before the first poll so that a pending call can move to a task afterwards.
        let mut method = Box::pin(method.instrument(span));
        if let Poll::Ready(outcome) = method.as_mut().poll(task) {
            drop(permit);
            if let Some(id) = id {
                self.send_completion(Completion::new(id, outcome));
            }
            return;
        }
        if let (Some(id), Ok(mut running)) = (&id, self.running.lock()) {
            running.insert(id.clone(), token);
        }
        let (queue, protocol, running) =
            (self.queue.clone(), self.protocol, Arc::clone(&self.running));
        self.tasks.spawn(async move {
            let outcome = method.await;
            drop(permit);
            forget(&running, id.as_deref());
            if let Some(id) = id {
                // The connection may be closing; then nobody is waiting for this result.
                let frame = encode_completion(protocol, Completion::new(id, outcome));
                let _ = queue.push(frame).await;
            }
        });
    }

    /// Queues a Completion from the reader's task when the queue has room; else keeps it for
    /// the reader, which waits for room before it reads the client's next message (see
    /// [`Invocations::overflow`]). A client that calls faster than it reads its answers is
    /// slowed down, never buffered for without bound.
    fn send_completion(&mut self, completion: Completion) {
        let frame = encode_completion(self.protocol, completion);
        if let Err(TryPushError::Full(frame)) = self.queue.try_push(frame) {
            self.overflow.push(frame);
        }
    }

    /// The Completions that did not fit the queue, in order, with the queue to wait on: the
    /// reader waits for room for them before reading on.
    pub(super) fn overflow(&mut self) -> Option<(Outbound, Vec<Bytes>)> {
        if self.overflow.is_empty() {
            return None;
        }
        Some((self.queue.clone(), std::mem::take(&mut self.overflow)))
    }

    /// Whether a call must wait for a permit: only calls without upload streams count.
    pub(super) fn needs_permit(call: &Invocation) -> bool {
        call.stream_ids.as_ref().is_none_or(Vec::is_empty)
    }

    /// Starts a StreamInvocation (type 4); streams never count toward the parallel limit.
    pub(super) fn stream(&mut self, call: Invocation) {
        let Some(id) = call.invocation_id.clone() else {
            return;
        };
        if self.in_use(&id) {
            self.refuse_duplicate(id);
            return;
        }
        let span = invocation_span(&call);
        let (call, token) = self.prepare(call);
        if let Ok(mut running) = self.running.lock() {
            running.insert(id.clone(), token.clone());
        }
        let endpoint = Arc::clone(&self.endpoint);
        let cx = self.cx.for_invocation(token);
        let (queue, protocol, running) =
            (self.queue.clone(), self.protocol, Arc::clone(&self.running));
        let task = async move {
            let detailed = endpoint.options.detailed_errors;
            let opened = dispatch::open_stream(
                &endpoint.hub,
                &endpoint.methods,
                &cx,
                &call.target,
                call.args,
                detailed,
            )
            .await;
            let outcome = match opened {
                Err(text) => Some(Outcome::Error(text)),
                Ok(items) => send_items(items, &cx, &id, protocol, &queue, detailed).await,
            };
            forget(&running, Some(&id));
            if let Some(outcome) = outcome {
                let _ = queue
                    .push(encode_completion(protocol, Completion::new(id, outcome)))
                    .await;
            }
        };
        self.tasks.spawn(task.instrument(span));
    }

    /// Whether a call that is still running (a stream, or a method that did not end at once)
    /// has invocation id `id`: ids are unique per connection while in use, as in ASP.NET Core.
    fn in_use(&self, id: &str) -> bool {
        self.running
            .lock()
            .is_ok_and(|running| running.contains_key(id))
    }

    /// Answers a call whose invocation id is in use with ASP.NET Core's error.
    fn refuse_duplicate(&mut self, id: String) {
        let text = format!("Invocation ID '{id}' is already in use.");
        self.send_completion(Completion::new(id, Outcome::Error(text)));
    }

    /// Opens the call's upload streams and makes its cancellation token; the caller registers
    /// the token if the call outlives the moment.
    fn prepare(&mut self, call: Invocation) -> (Call, CancellationToken) {
        let mut stream_ids = call.stream_ids.unwrap_or_default();
        if self.uploads.len() + stream_ids.len() > MAX_OPEN_UPLOADS {
            // Too many open uploads: the call gets none, and fails on its stream count.
            tracing::debug!("too many open upload streams; the call's streams are refused");
            stream_ids.clear();
        }
        let uploads = stream_ids
            .into_iter()
            .map(|stream_id| {
                let (sender, receiver) =
                    mpsc::channel(self.endpoint.options.stream_buffer_capacity);
                self.uploads.insert(stream_id, sender);
                Upload(receiver)
            })
            .collect();
        // Not a child of a connection-wide token: creating a child locks its parent, and a
        // call that ends in its first poll never needs one. `finish` cancels the ones running.
        let token = CancellationToken::new();
        let args = Arguments::with_uploads(call.arguments, uploads);
        (
            Call {
                target: call.target,
                invocation_id: call.invocation_id,
                args,
            },
            token,
        )
    }

    /// Delivers an upload item if its stream has room now; else it waits in a
    /// [`BlockedUpload`] for the reader to deliver.
    pub(super) fn try_upload_item(&mut self, item: StreamItem) -> Option<BlockedUpload> {
        let Some(sender) = self.uploads.get(&item.invocation_id) else {
            tracing::debug!("stream item for an unknown stream ignored");
            return None;
        };
        match sender.try_send(Ok(item.item)) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(item)) => Some(BlockedUpload {
                sender: sender.clone(),
                item,
            }),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // The method is done with the stream (or with the whole call).
                self.uploads.remove(&item.invocation_id);
                None
            }
        }
    }

    /// Ends an upload stream, if `completion` is for one: its error, if it has one, goes to the
    /// method now, or waits for room (see [`BlockedUpload`]).
    pub(super) fn end_upload(&mut self, completion: Completion) -> UploadEnd {
        let Some(sender) = self.uploads.remove(&completion.invocation_id) else {
            return UploadEnd::NotAnUpload(completion);
        };
        let Outcome::Error(error) = completion.outcome else {
            return UploadEnd::Ended;
        };
        match sender.try_send(Err(error)) {
            Err(mpsc::error::TrySendError::Full(item)) => {
                UploadEnd::Failing(BlockedUpload { sender, item })
            }
            // Delivered, or the method is done with the stream.
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => UploadEnd::Ended,
        }
    }

    /// CancelInvocation: the call's token fires; a stream completes without error.
    pub(super) fn cancel(&self, id: &str) {
        if let Some(token) = self
            .running
            .lock()
            .ok()
            .and_then(|running| running.get(id).cloned())
        {
            token.cancel();
        }
    }

    /// Forgets tasks that have finished, and the upload streams of calls that ended (their
    /// receivers went with the call).
    pub(super) fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
        self.uploads.retain(|_, sender| !sender.is_closed());
    }

    /// The connection ended: streams stop, cancellation fires, and calls already running go on
    /// to their end (as in ASP.NET Core) with nobody to send their results to.
    pub(super) fn finish(mut self) {
        if let Ok(running) = self.running.lock() {
            running.values().for_each(CancellationToken::cancel);
        }
        self.tasks.detach_all();
    }
}

/// A child of the connection's span for one call: its method and id, never its arguments.
fn invocation_span(call: &Invocation) -> tracing::Span {
    let id = call.invocation_id.as_deref().unwrap_or("");
    tracing::debug_span!("invocation", target = %call.target, id)
}

fn forget(running: &Running, id: Option<&str>) {
    if let (Some(id), Ok(mut running)) = (id, running.lock()) {
        running.remove(id);
    }
}

/// Sends a stream's items as StreamItem messages; returns how the stream ended, or `None` when
/// the connection is gone.
async fn send_items(
    mut items: ItemStream<'_>,
    cx: &HubCx,
    id: &str,
    protocol: Protocol,
    queue: &Outbound,
    detailed: bool,
) -> Option<Outcome> {
    let failed = "An error occurred on the server while streaming results.";
    loop {
        let next = tokio::select! {
            biased;
            // Cancelled by the client (or the connection ended): not an error.
            () = cx.cancelled() => return Some(Outcome::Void),
            next = AssertUnwindSafe(items.next()).catch_unwind() => next,
        };
        let item = match next {
            Ok(None) => return Some(Outcome::Void),
            Ok(Some(Ok(item))) => item,
            Ok(Some(Err(error))) => {
                return Some(Outcome::Error(with_detail(failed, error.detail(detailed))));
            }
            Err(_panic) => {
                tracing::error!("a hub stream panicked");
                return Some(Outcome::Error(failed.to_owned()));
            }
        };
        let message = HubMessage::StreamItem(StreamItem {
            headers: Default::default(),
            invocation_id: id.to_owned(),
            item,
        });
        queue.push(encode(protocol, &message)).await.ok()?;
    }
}

/// Encodes a Completion; a result that cannot be serialized becomes an error for the caller.
pub(super) fn encode_completion(protocol: Protocol, completion: Completion) -> Bytes {
    let message = HubMessage::Completion(completion);
    match protocol.encode(&message) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::error!(%error, "a hub method's result could not be serialized");
            let HubMessage::Completion(completion) = message else {
                return Bytes::new();
            };
            let text = "The result could not be serialized.".to_owned();
            let failed = Completion::new(completion.invocation_id, Outcome::Error(text));
            encode(protocol, &HubMessage::Completion(failed))
        }
    }
}

/// What a Completion from the client came to (see [`Invocations::end_upload`]).
pub(super) enum UploadEnd {
    /// It is for no upload stream: a client result.
    NotAnUpload(Completion),
    /// The stream has ended (with its error, when it had one).
    Ended,
    /// The stream ended with an error that the method's full buffer has no room for yet.
    Failing(BlockedUpload),
}

/// An upload's item or error, waiting for room in the method's buffer.
pub(super) struct BlockedUpload {
    sender: mpsc::Sender<UploadItem>,
    item: UploadItem,
}

impl BlockedUpload {
    /// Delivers the item once the method has taken one from its buffer (a method done with the
    /// stream drops it; `reap` then forgets the stream). An error, which ends the stream, waits
    /// at most [`UPLOAD_ERROR_PATIENCE`]: a method that has stopped reading its stream must not
    /// stall the connection, and without the error the stream just ends.
    pub(super) async fn deliver(self) {
        let error = self.item.is_err();
        let send = self.sender.send(self.item);
        if error {
            let _ = tokio::time::timeout(UPLOAD_ERROR_PATIENCE, send).await;
        } else {
            let _ = send.await;
        }
    }
}
