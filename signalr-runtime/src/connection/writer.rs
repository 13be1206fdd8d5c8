//! The writing half of a connection: queued frames out, Pings when idle, Close at the end.
//!
//! A connection with stateful reconnect runs its own loop (`resumable`), boxed: an idle
//! connection's writer waits in its loop for its whole life, and most connections should not
//! carry the state of one that numbers, keeps and replays what it sends.

mod resumable;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::time::Sleep;

use super::encode;
use super::stateful::Stateful;
use crate::closing::Closing;
use crate::outbound::OutboundReceiver;
use crate::protocol::{Close, HubMessage, Protocol, TransferFormat};
use crate::transport::FrameSink;

/// Frames queued together are sent as one transport frame up to this size: fewer writes and
/// syscalls under load, while a single large message still goes out alone.
const COALESCE_LIMIT: usize = 64 * 1024;

/// What the writer task needs; built before it is spawned so that no close request is missed.
pub(super) struct Writer<S> {
    pub(super) sink: S,
    pub(super) queue: OutboundReceiver,
    pub(super) closing: Closing,
    pub(super) protocol: Protocol,
    pub(super) keep_alive: Duration,
    /// A client that takes longer than this to accept one frame is treated as gone.
    pub(super) send_timeout: Duration,
    /// Stateful reconnect's bookkeeping, when it is on.
    pub(super) stateful: Option<Arc<Stateful>>,
}

/// Why a writing loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The connection is closing: what is still queued goes out, then the Close.
    Closing,
    /// The client cannot be reached.
    Gone,
}

/// What a writing loop works with.
struct Line<'a, S, C> {
    sink: &'a mut S,
    queue: &'a mut OutboundReceiver,
    /// Completes when the connection is asked to close. One wait for the connection's life, not
    /// a new one registered per frame.
    close_requested: Pin<&'a mut C>,
    /// The keep-alive timer: one for the connection's life, moved only when it fires (re-arming
    /// a timeout around every wait for the queue cost a timer-wheel insert and removal per
    /// message).
    idle: Pin<&'a mut Sleep>,
    ping: Bytes,
    keep_alive: Duration,
    /// Long Polling's interval is `Duration::MAX`: no Pings, and the timer is never polled.
    pings: bool,
    last_sent: Instant,
    protocol: Protocol,
    send_timeout: Duration,
}

impl<S: FrameSink> Writer<S> {
    /// Not an `async fn`, and `self` is not taken apart: either would keep the sink and the
    /// rest a second time in the future, which lives as long as the connection.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn keeps its arguments twice in its future"
    )]
    pub(super) fn run(mut self) -> impl Future<Output = ()> + Send {
        async move {
            let ended = {
                let close_requested = self.closing.wait();
                tokio::pin!(close_requested);
                let idle = tokio::time::sleep(self.keep_alive);
                tokio::pin!(idle);
                let mut line = Line {
                    sink: &mut self.sink,
                    queue: &mut self.queue,
                    close_requested,
                    idle,
                    ping: encode(self.protocol, &HubMessage::Ping),
                    keep_alive: self.keep_alive,
                    pings: Instant::now().checked_add(self.keep_alive).is_some(),
                    last_sent: Instant::now(),
                    protocol: self.protocol,
                    send_timeout: self.send_timeout,
                };
                // The handshake's answer goes before anything queued, alone in its transport
                // frame, as ASP.NET Core sends it (replies to messages that came with the
                // handshake follow it). Not queued: an idle connection's queue then never
                // allocates.
                if line.send(super::handshake::accepted()).await != Sent::Delivered {
                    // Even with stateful reconnect: a client without the answer is not
                    // connected yet, so it cannot come back to resume.
                    Ended::Gone
                } else {
                    match self.stateful.as_deref() {
                        None => line.plain().await,
                        Some(stateful) => Box::pin(line.resumable(stateful)).await,
                    }
                }
            };
            // Boxed: it runs once, and its sends would make every state of this future larger.
            Box::pin(self.finish(ended)).await;
        }
    }

    /// After the writing loop: a client that cannot be reached is let go; else what was queued
    /// before the close still goes out, then the Close message.
    async fn finish(&mut self, ended: Ended) {
        if ended == Ended::Gone {
            return gone(&self.closing, &self.queue);
        }
        let format = self.protocol.transfer_format();
        let close = self.closing.requested().unwrap_or_default();
        while let Some(first) = self.queue.try_recv() {
            let frame = coalesce(first, &mut self.queue, None);
            let sent = send(
                &mut self.sink,
                frame,
                format,
                self.send_timeout,
                &self.queue,
            )
            .await;
            if sent != Sent::Delivered {
                return;
            }
        }
        // The client may have gone already; the close below is all that is left to do then.
        let close = encode(self.protocol, &HubMessage::Close(close));
        send(
            &mut self.sink,
            close,
            format,
            self.send_timeout,
            &self.queue,
        )
        .await;
        self.sink.close().await;
    }
}

impl<S: FrameSink, C: Future> Line<'_, S, C> {
    /// The loop of a connection without stateful reconnect.
    async fn plain(&mut self) -> Ended {
        loop {
            let frame = tokio::select! {
                biased;
                _ = &mut self.close_requested => return Ended::Closing,
                next = self.queue.recv() => match next {
                    Some(first) => coalesce(first, self.queue, None),
                    None => return self.queue_ended(),
                },
                () = &mut self.idle, if self.pings => match self.ping_due() {
                    Some(ping) => ping,
                    None => continue,
                },
            };
            if self.send(frame).await != Sent::Delivered {
                return Ended::Gone;
            }
        }
    }

    /// Why the queue ended: the connection is closing, or the client was cut off as too slow.
    fn queue_ended(&self) -> Ended {
        if self.queue.is_cut() {
            Ended::Gone
        } else {
            Ended::Closing
        }
    }

    /// When the idle timer fires: a Ping if nothing was sent for a whole interval, else the
    /// timer moved to when that will be.
    fn ping_due(&mut self) -> Option<Bytes> {
        match self.last_sent.checked_add(self.keep_alive) {
            Some(due) if Instant::now() >= due => Some(self.ping.clone()),
            Some(due) => {
                self.idle.as_mut().reset(due.into());
                None
            }
            None => {
                self.pings = false;
                None
            }
        }
    }

    /// Sends `frame`, noting when for the keep-alive.
    async fn send(&mut self, frame: Bytes) -> Sent {
        let format = self.protocol.transfer_format();
        let sent = send(self.sink, frame, format, self.send_timeout, self.queue).await;
        if sent == Sent::Delivered {
            self.last_sent = Instant::now();
        }
        sent
    }
}

/// Ends a connection whose client cannot be reached, letting it reconnect.
fn gone(closing: &Closing, queue: &OutboundReceiver) {
    if queue.is_cut() {
        tracing::debug!("client too slow: more was waiting for it than its slow buffer holds");
    }
    closing.request(Close {
        error: None,
        allow_reconnect: true,
    });
}

/// How a send went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Delivered,
    /// The transport failed: the client cannot be reached over it.
    Failed,
    /// The client is too slow to be reached: it took longer than the send timeout, or was cut
    /// off from its queue meanwhile.
    Stalled,
}

/// Sends one frame, waiting at most `limit` for the client to take it.
async fn send<S: FrameSink>(
    sink: &mut S,
    frame: Bytes,
    format: TransferFormat,
    limit: Duration,
    queue: &OutboundReceiver,
) -> Sent {
    if frame.is_empty() {
        return Sent::Delivered;
    }
    let sending = sink.send(frame, format);
    tokio::pin!(sending);
    let sent = |result: Result<(), _>| match result {
        Ok(()) => Sent::Delivered,
        Err(_) => Sent::Failed,
    };
    // Most sends complete at once, the socket having room. Only one that has to wait needs a
    // deadline, whose clock reading and timer entry would otherwise be paid for every frame.
    match std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await {
        Poll::Ready(result) => sent(result),
        // Boxed: the timer and the cut-off wait would otherwise grow every connection's writer,
        // idle ones included, for a wait that is rare.
        Poll::Pending => Box::pin(async {
            tokio::select! {
                result = tokio::time::timeout(limit, sending) => result.map_or(Sent::Stalled, sent),
                () = queue.cut_off() => Sent::Stalled,
            }
        })
        .await,
    }
}

/// Joins `first` with whatever else is already queued, up to [`COALESCE_LIMIT`]; with stateful
/// reconnect, each is kept until the client acknowledges it, and no more is taken than may be
/// kept.
fn coalesce(first: Bytes, queue: &mut OutboundReceiver, stateful: Option<&Stateful>) -> Bytes {
    match stateful {
        None => join(first, &mut || queue.try_recv(), &mut |_| {}),
        Some(stateful) => join(
            first,
            &mut || stateful.has_room().then(|| queue.try_recv()).flatten(),
            &mut |frame| stateful.record(frame),
        ),
    }
}

/// Joins `first` with the frames `next` gives, up to [`COALESCE_LIMIT`]; `each` sees every
/// frame joined.
fn join(
    first: Bytes,
    next: &mut dyn FnMut() -> Option<Bytes>,
    each: &mut dyn FnMut(&Bytes),
) -> Bytes {
    each(&first);
    if first.len() >= COALESCE_LIMIT {
        return first;
    }
    let Some(second) = next() else {
        return first;
    };
    each(&second);
    let mut joined = BytesMut::with_capacity(first.len() + second.len());
    joined.extend_from_slice(&first);
    joined.extend_from_slice(&second);
    while joined.len() < COALESCE_LIMIT {
        match next() {
            Some(frame) => {
                each(&frame);
                joined.extend_from_slice(&frame);
            }
            None => break,
        }
    }
    joined.freeze()
}
