//! The writing half of a connection: queued frames out, Pings when idle, Close at the end.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::watch;

use super::encode;
use super::stateful::Stateful;
use crate::closing::request_close;
use crate::outbound::OutboundReceiver;
use crate::protocol::{Ack, Close, HubMessage, Protocol, Sequence, TransferFormat};
use crate::transport::FrameSink;

/// Frames queued together are sent as one transport frame up to this size: fewer writes and
/// syscalls under load, while a single large message still goes out alone.
const COALESCE_LIMIT: usize = 64 * 1024;

/// How often a stateful-reconnect connection acknowledges what the client sent, when it sent
/// something (ASP.NET Core's interval).
const ACK_INTERVAL: Duration = Duration::from_secs(1);

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
    /// Stateful reconnect's bookkeeping, when it is on.
    pub(super) stateful: Option<Arc<Stateful>>,
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
            stateful,
        } = self;
        let stateful = stateful.as_deref();
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
        let mut acks = stateful.map(|_| {
            let mut acks = tokio::time::interval(ACK_INTERVAL);
            acks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            acks
        });
        let mut last_ack = 0;
        {
            // Likewise one wait for the close request, not a new one registered per frame.
            let close_requested = closed.changed();
            tokio::pin!(close_requested);
            loop {
                // With stateful reconnect, nothing more is taken while the client has not
                // acknowledged as much as may be kept for it.
                let room = stateful.is_none_or(Stateful::has_room);
                let frame = tokio::select! {
                    biased;
                    _ = &mut close_requested => break,
                    () = sink.replaced(), if stateful.is_some() => {
                        // The client's next WebSocket, before this one was seen to fail.
                        if let Some(stateful) = stateful
                            && !resend(&mut sink, stateful, protocol, send_timeout, &queue).await
                            && !reattach(&mut sink, stateful, protocol, send_timeout, &queue, &mut close_requested).await
                        {
                            break;
                        }
                        continue;
                    }
                    () = room_in(stateful), if !room => continue,
                    next = queue.recv(), if room => match next {
                        // The handshake answer goes out alone, in its own frame, as ASP.NET Core
                        // sends it: replies to messages that came with the handshake follow it.
                        Some(first) if std::mem::take(&mut handshake_answer) => first,
                        Some(first) => coalesce(first, &mut queue, stateful),
                        None => break,
                    },
                    () = tick(&mut acks) => match stateful.and_then(|s| s.ack_due(&mut last_ack)) {
                        Some(sequence_id) => encode(protocol, &HubMessage::Ack(Ack { sequence_id })),
                        None => continue,
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
                match send(&mut sink, frame, format, send_timeout, &queue).await {
                    Sent::Delivered => {}
                    // The WebSocket dropped: with stateful reconnect, the client's next one
                    // takes its place (the reader ends the connection if none comes in time).
                    Sent::Failed if stateful.is_some() => {
                        if let Some(stateful) = stateful
                            && !reattach(
                                &mut sink,
                                stateful,
                                protocol,
                                send_timeout,
                                &queue,
                                &mut close_requested,
                            )
                            .await
                        {
                            break;
                        }
                    }
                    Sent::Failed | Sent::Stalled => return gone(&closing, &queue),
                }
                last_sent = Instant::now();
            }
        }
        // What was queued before the close still goes out, then the Close message.
        let close = closed.borrow().clone().unwrap_or_default();
        while let Some(first) = queue.try_recv() {
            let frame = coalesce(first, &mut queue, None);
            if send(&mut sink, frame, format, send_timeout, &queue).await != Sent::Delivered {
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
        Poll::Pending => tokio::select! {
            result = tokio::time::timeout(limit, sending) => result.map_or(Sent::Stalled, sent),
            () = queue.cut_off() => Sent::Stalled,
        },
    }
}

/// Waits for the client's next transport after this one failed, and replays over it what the
/// client has not acknowledged; `false` when the connection is closing instead.
async fn reattach<S: FrameSink, C: Future + Unpin>(
    sink: &mut S,
    stateful: &Stateful,
    protocol: Protocol,
    limit: Duration,
    queue: &OutboundReceiver,
    close_requested: &mut C,
) -> bool {
    loop {
        tokio::select! {
            biased;
            _ = &mut *close_requested => return false,
            () = sink.replaced() => {}
        }
        if resend(sink, stateful, protocol, limit, queue).await {
            return true;
        }
    }
}

/// Over the client's new transport: the Sequence (where the replay starts), then every message
/// it has not acknowledged; `false` when this transport fails too.
async fn resend<S: FrameSink>(
    sink: &mut S,
    stateful: &Stateful,
    protocol: Protocol,
    limit: Duration,
    queue: &OutboundReceiver,
) -> bool {
    let format = protocol.transfer_format();
    let (sequence_id, frames) = stateful.replay();
    let sequence = encode(protocol, &HubMessage::Sequence(Sequence { sequence_id }));
    if send(sink, sequence, format, limit, queue).await != Sent::Delivered {
        return false;
    }
    let mut frames = frames.into_iter();
    while let Some(first) = frames.next() {
        let joined = join(first, &mut || frames.next(), &mut |_| {});
        if send(sink, joined, format, limit, queue).await != Sent::Delivered {
            return false;
        }
    }
    true
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

/// The next tick of the Ack timer; never without one.
async fn tick(acks: &mut Option<tokio::time::Interval>) {
    match acks {
        Some(acks) => {
            acks.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Completes when the client's acknowledgements have made room; never without stateful
/// reconnect.
async fn room_in(stateful: Option<&Stateful>) {
    match stateful {
        Some(stateful) => stateful.room().await,
        None => std::future::pending().await,
    }
}
