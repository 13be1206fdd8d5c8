//! The writing half of a connection: queued frames out, Pings when idle, Close at the end.

use std::future::Future as _;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::watch;

use super::encode;
use crate::closing::request_close;
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
    pub(super) closing: watch::Sender<Option<Close>>,
    pub(super) closed: watch::Receiver<Option<Close>>,
    pub(super) protocol: Protocol,
    pub(super) keep_alive: Duration,
    /// A client that takes longer than this to accept one frame is treated as gone.
    pub(super) send_timeout: Duration,
}

impl<S: FrameSink> Writer<S> {
    pub(super) async fn run(self) {
        let Writer {
            mut sink,
            mut queue,
            closing,
            mut closed,
            protocol,
            keep_alive,
            send_timeout,
        } = self;
        let format = protocol.transfer_format();
        let ping = encode(protocol, &HubMessage::Ping);
        // One timer for the connection's life, moved only when it fires: re-arming a timeout
        // around every wait for the queue cost a timer-wheel insert and removal per message.
        let mut last_sent = Instant::now();
        let idle = tokio::time::sleep(keep_alive);
        tokio::pin!(idle);
        // Long Polling's interval is `Duration::MAX`: no Pings, and the timer is never polled.
        let mut pings = Instant::now().checked_add(keep_alive).is_some();
        // The connection queues the handshake answer before anything else.
        let mut handshake_answer = true;
        {
            // Likewise one wait for the close request, not a new one registered per frame.
            let close_requested = closed.changed();
            tokio::pin!(close_requested);
            loop {
                let frame = tokio::select! {
                    biased;
                    _ = &mut close_requested => break,
                    next = queue.recv() => match next {
                        // The handshake answer goes out alone, in its own frame, as ASP.NET Core
                        // sends it: replies to messages that came with the handshake follow it.
                        Some(first) if std::mem::take(&mut handshake_answer) => first,
                        Some(first) => coalesce(first, &mut queue),
                        None => break,
                    },
                    () = &mut idle, if pings => match last_sent.checked_add(keep_alive) {
                        // Nothing sent for a whole interval: tell the client the server is alive.
                        Some(due) if Instant::now() >= due => ping.clone(),
                        Some(due) => {
                            idle.as_mut().reset(due.into());
                            continue;
                        }
                        None => {
                            pings = false;
                            continue;
                        }
                    },
                };
                if !send(&mut sink, frame, format, send_timeout, &queue).await {
                    return gone(&closing, &queue);
                }
                last_sent = Instant::now();
            }
        }
        if queue.is_cut() {
            // Its transport is not taking what it has; a Close would not get through either.
            return gone(&closing, &queue);
        }
        // What was queued before the close still goes out, then the Close message.
        let close = closed.borrow().clone().unwrap_or_default();
        while let Some(first) = queue.try_recv() {
            let frame = coalesce(first, &mut queue);
            if !send(&mut sink, frame, format, send_timeout, &queue).await {
                return;
            }
        }
        // The client may have gone already; the close below is all that is left to do then.
        let close = encode(protocol, &HubMessage::Close(close));
        send(&mut sink, close, format, send_timeout, &queue).await;
        sink.close().await;
    }
}

/// Ends a connection whose client cannot be reached, letting it reconnect.
fn gone(closing: &watch::Sender<Option<Close>>, queue: &OutboundReceiver) {
    if queue.is_cut() {
        tracing::debug!("client too slow: more was waiting for it than its slow buffer holds");
    }
    request_close(
        closing,
        Close {
            error: None,
            allow_reconnect: true,
        },
    );
}

/// Sends one frame; `false` when the client cannot be reached, or is too slow to be: it takes
/// longer than `limit`, or is cut off from `queue` meanwhile.
async fn send<S: FrameSink>(
    sink: &mut S,
    frame: Bytes,
    format: TransferFormat,
    limit: Duration,
    queue: &OutboundReceiver,
) -> bool {
    if frame.is_empty() {
        return true;
    }
    let sending = sink.send(frame, format);
    tokio::pin!(sending);
    // Most sends complete at once, the socket having room. Only one that has to wait needs a
    // deadline, whose clock reading and timer entry would otherwise be paid for every frame.
    match std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await {
        Poll::Ready(sent) => sent.is_ok(),
        Poll::Pending => tokio::select! {
            sent = tokio::time::timeout(limit, sending) => matches!(sent, Ok(Ok(()))),
            () = queue.cut_off() => false,
        },
    }
}

/// Joins `first` with whatever else is already queued, up to [`COALESCE_LIMIT`].
fn coalesce(first: Bytes, queue: &mut OutboundReceiver) -> Bytes {
    if first.len() >= COALESCE_LIMIT {
        return first;
    }
    let Some(second) = queue.try_recv() else {
        return first;
    };
    let mut joined = BytesMut::with_capacity(first.len() + second.len());
    joined.extend_from_slice(&first);
    joined.extend_from_slice(&second);
    while joined.len() < COALESCE_LIMIT {
        match queue.try_recv() {
            Some(next) => joined.extend_from_slice(&next),
            None => break,
        }
    }
    joined.freeze()
}
