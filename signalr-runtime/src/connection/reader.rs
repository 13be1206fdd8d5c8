//! The reading half of a connection: what the client sends, parsed and acted on.
//!
//! Messages are handled as they are parsed, within the poll that read them; only the few that
//! have to wait (for an invocation permit, room in an upload stream, an upload's end, room in
//! the client's queue) make the reader wait, and the states for those waits are boxed, as an
//! idle connection's future is as large as its largest state.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::TryAcquireError;
use tokio::time::Instant;

use super::Ending;
use super::invocations::{BlockedUpload, Invocations, UploadEnd};
use super::stateful::Resumable;
use crate::closing::Closing;
use crate::error::ProtocolError;
use crate::hub::Hub;
use crate::lifetime::PendingResults;
use crate::outbound::Outbound;
use crate::protocol::{HubMessage, Invocation, Protocol};
use crate::transport::FrameSource;

/// Where handling the messages at hand stopped (see [`Reader::handle_available`]).
enum Handled {
    /// Every complete message was handled: read on.
    Drained,
    /// The connection ends.
    Ended(Ending),
    /// A message has to wait (see [`Reader::wait`]); boxed, as it is rare and this is kept in
    /// the reader's state while it waits.
    Waiting(Box<Wait>),
    /// The client's answers do not fit its queue: these frames wait for room.
    Overflow(Outbound, Vec<Bytes>),
}

/// What a message that could not be handled at once waits for.
enum Wait {
    /// A free invocation permit.
    Permit(Invocation),
    /// Room in an upload stream's buffer for an item, or for the error that ended it.
    Room(BlockedUpload),
}

/// The reading half of a connection.
pub(super) struct Reader<H> {
    pub(super) protocol: Protocol,
    pub(super) max_size: usize,
    pub(super) client_timeout: Duration,
    pub(super) buffer: BytesMut,
    /// How much of `buffer` is known to hold no complete message.
    pub(super) scanned: usize,
    pub(super) closing: Closing,
    /// Stateful reconnect's count of what the client sent, when it is on (boxed: rare).
    pub(super) stateful: Option<Box<Resumable>>,
    pub(super) pending: Arc<PendingResults>,
    pub(super) invocations: Invocations<H>,
}

impl<H: Hub> Reader<H> {
    /// Not an `async fn`, so that `self` is not kept twice in the future (see
    /// [`serve`](super::serve)).
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn keeps its arguments twice in its future"
    )]
    pub(super) fn run(mut self, source: &mut impl FrameSource) -> impl Future<Output = Ending> {
        async move {
            let ending = self.read(source).await;
            self.invocations.finish();
            ending
        }
    }

    async fn read(&mut self, source: &mut impl FrameSource) -> Ending {
        let mut last_received = Instant::now();
        // ASP.NET Core only times out clients that have shown they ping.
        let mut client_pings = false;
        // One timer and one close-request wait for the reader's life, as in the writer: a fresh
        // timer per message cost a timer-wheel insert and removal, a fresh wait a registration.
        // The timer is moved only when it fires before the client's real deadline.
        let timeout = tokio::time::sleep(self.client_timeout);
        tokio::pin!(timeout);
        let closing = self.closing.clone();
        let close_requested = closing.wait();
        tokio::pin!(close_requested);
        loop {
            if self.closing.is_requested() {
                return Ending::Aborted;
            }
            loop {
                // What is matched here stays in the reader's state while its arms wait: it is
                // small (see `Handled`).
                match std::future::poll_fn(|cx| {
                    Poll::Ready(self.handle_available(cx, &mut client_pings))
                })
                .await
                {
                    Handled::Drained => break,
                    Handled::Ended(ending) => return ending,
                    Handled::Waiting(waiting) => {
                        if let Some(ending) = Box::pin(self.wait(*waiting)).await {
                            return ending;
                        }
                    }
                    Handled::Overflow(queue, frames) => {
                        // The client's answers do not fit its queue: it reads slower than it
                        // calls. Nothing more is read from it until they do (boxed: rare).
                        let mut room = Box::pin(async move {
                            for frame in frames {
                                queue.push(frame).await?;
                            }
                            Ok::<(), crate::outbound::Closed>(())
                        });
                        loop {
                            let reading = self
                                .stateful
                                .as_ref()
                                .is_some_and(|stateful| stateful.can_set_aside());
                            tokio::select! {
                                biased;
                                _ = &mut close_requested => return Ending::Aborted,
                                pushed = &mut room => match pushed {
                                    Ok(()) => break,
                                    Err(_) => return Ending::Aborted,
                                },
                                // With stateful reconnect the room may wait for the client's
                                // Ack (the writer's replay buffer is full): read on for it.
                                chunk = source.next_chunk(), if reading => match chunk {
                                    Ok(Some(bytes)) => {
                                        if let Err(error) = self.set_aside(source, &bytes) {
                                            return Ending::Protocol(error);
                                        }
                                    }
                                    Ok(None) => return Ending::TransportEnded,
                                    Err(error) => return Ending::Protocol(error),
                                },
                            }
                        }
                    }
                }
            }
            self.invocations.reap();
            tokio::select! {
                biased;
                _ = &mut close_requested => return Ending::Aborted,
                chunk = source.next_chunk() => match chunk {
                    Ok(Some(bytes)) => {
                        self.append(source, &bytes);
                        last_received = Instant::now();
                    }
                    Ok(None) if self.buffer.is_empty() => return Ending::TransportEnded,
                    Ok(None) => return Ending::Protocol(ProtocolError::Truncated),
                    Err(error) => return Ending::Protocol(error),
                },
                () = &mut timeout, if client_pings => {
                    match last_received.checked_add(self.client_timeout) {
                        Some(due) if Instant::now() < due => timeout.as_mut().reset(due),
                        Some(_) => return Ending::TimedOut,
                        // A timeout too long to represent never comes.
                        None => client_pings = false,
                    }
                }
            }
        }
    }

    /// Adds `bytes` to what was read, after dropping what an earlier transport left unfinished:
    /// a replacing transport sends that message again, whole.
    fn append(&mut self, source: &mut impl FrameSource, bytes: &[u8]) {
        if source.take_replaced() {
            self.buffer.clear();
            self.scanned = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next message to handle: one set aside for stateful reconnect, else the next complete
    /// one in what was read.
    fn next_message(&mut self) -> Result<Option<HubMessage>, ProtocolError> {
        if let Some(message) = self.stateful.as_mut().and_then(|s| s.next_set_aside()) {
            return Ok(Some(message));
        }
        self.protocol
            .parse_scanned(&mut self.buffer, self.max_size, &mut self.scanned)
    }

    /// Adds `bytes` to what was read and sets aside every complete message in it (see
    /// [`Resumable::set_aside`]).
    fn set_aside(
        &mut self,
        source: &mut impl FrameSource,
        bytes: &[u8],
    ) -> Result<(), ProtocolError> {
        self.append(source, bytes);
        let Some(stateful) = self.stateful.as_mut() else {
            return Ok(());
        };
        while stateful.can_set_aside() {
            let before = self.buffer.len();
            let parsed =
                self.protocol
                    .parse_scanned(&mut self.buffer, self.max_size, &mut self.scanned)?;
            let Some(message) = parsed else {
                break;
            };
            stateful.set_aside(message, before.saturating_sub(self.buffer.len()));
        }
        Ok(())
    }

    /// Handles every complete message at hand within this one poll of the connection's task
    /// (`cx`), so that an invocation that ends in its first poll needs neither a task nor a
    /// future in the reader's state. Stops at the first message that has to wait, at the end of
    /// the connection, or when the client's answers overflow its queue.
    fn handle_available(&mut self, cx: &mut Context<'_>, client_pings: &mut bool) -> Handled {
        loop {
            // Checked before each message, so also after one that waited (see `wait`).
            if let Some((queue, frames)) = self.invocations.overflow() {
                return Handled::Overflow(queue, frames);
            }
            let message = match self.next_message() {
                Ok(Some(message)) => message,
                Ok(None) => return Handled::Drained,
                Err(error) => return Handled::Ended(Ending::Protocol(error)),
            };
            *client_pings |= matches!(message, HubMessage::Ping);
            if let Some(stop) = self.handle(message, cx) {
                return stop;
            }
        }
    }

    /// Acts on one message at once; `Some` when the reader has to stop for it.
    fn handle(&mut self, message: HubMessage, cx: &mut Context<'_>) -> Option<Handled> {
        if let Some(stateful) = &mut self.stateful {
            match stateful.admit(&message) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(error) => return Some(Handled::Ended(Ending::Protocol(error))),
            }
        }
        match message {
            HubMessage::Invocation(call) => {
                let permit = if Invocations::<H>::needs_permit(&call) {
                    match self.invocations.permits().try_acquire_owned() {
                        Ok(permit) => Some(permit),
                        Err(TryAcquireError::Closed) => return None,
                        // The next message waits for a free permit, as in ASP.NET Core.
                        Err(TryAcquireError::NoPermits) => {
                            return Some(Handled::Waiting(Box::new(Wait::Permit(call))));
                        }
                    }
                } else {
                    None
                };
                self.invocations.invoke(call, permit, cx);
            }
            HubMessage::StreamInvocation(call) => self.invocations.stream(call),
            HubMessage::StreamItem(item) => {
                // Nothing more reaches a method once the connection is closing.
                if self.closing.is_requested() {
                    return Some(Handled::Ended(Ending::Aborted));
                }
                if let Some(item) = self.invocations.try_upload_item(item) {
                    return Some(Handled::Waiting(Box::new(Wait::Room(item))));
                }
            }
            // The client ends an upload stream, or answers a client result.
            HubMessage::Completion(completion) => match self.invocations.end_upload(completion) {
                UploadEnd::NotAnUpload(completion) => {
                    if !self.pending.complete(completion) {
                        tracing::debug!("completion for an unknown invocation id ignored");
                    }
                }
                UploadEnd::Ended => {}
                UploadEnd::Failing(failed) => {
                    return Some(Handled::Waiting(Box::new(Wait::Room(failed))));
                }
            },
            HubMessage::CancelInvocation(cancel) => self.invocations.cancel(&cancel.invocation_id),
            HubMessage::Close(close) => {
                return Some(Handled::Ended(Ending::ClientClosed(close.error)));
            }
            HubMessage::Ping => {}
            other => tracing::trace!(message = ?other, "message type not handled yet; ignored"),
        }
        None
    }

    /// Finishes a message that has to wait (see [`Wait`]). Rare, so the caller boxes it (see
    /// `read`); `Some` ends the connection.
    async fn wait(&mut self, waiting: Wait) -> Option<Ending> {
        match waiting {
            Wait::Permit(call) => {
                let permits = self.invocations.permits();
                let permit = tokio::select! {
                    biased;
                    _ = self.closing.wait() => return Some(Ending::Aborted),
                    permit = permits.acquire_owned() => permit.ok()?,
                };
                let mut start = Some((call, permit));
                std::future::poll_fn(|cx| {
                    if let Some((call, permit)) = start.take() {
                        self.invocations.invoke(call, Some(permit), cx);
                    }
                    Poll::Ready(())
                })
                .await;
            }
            Wait::Room(blocked) => {
                tokio::select! {
                    biased;
                    _ = self.closing.wait() => return Some(Ending::Aborted),
                    () = blocked.deliver() => {}
                }
            }
        }
        None
    }
}
