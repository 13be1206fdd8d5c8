//! The writing loop of a connection with stateful reconnect: every queued message is kept until
//! the client acknowledges it, nothing more is taken while the replay buffer is full, Acks go
//! out every second, and when the client's next WebSocket replaces this one it gets the
//! Sequence and the replay before anything else.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::{Ended, Line, Sent, join};
use crate::connection::encode;
use crate::connection::stateful::Stateful;
use crate::outbound::OutboundReceiver;
use crate::protocol::{Ack, HubMessage, Sequence};
use crate::transport::FrameSink;

/// How often the connection acknowledges what the client sent, when it sent something
/// (ASP.NET Core's interval).
const ACK_INTERVAL: Duration = Duration::from_secs(1);

impl<S: FrameSink, C: Future> Line<'_, S, C> {
    /// The loop of a connection with stateful reconnect.
    pub(super) async fn resumable(&mut self, stateful: &Stateful) -> Ended {
        let mut acks = tokio::time::interval(ACK_INTERVAL);
        acks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Since when the writer has waited for the client's Ack with its buffer full.
        let mut full_since: Option<Instant> = None;
        loop {
            let room = stateful.has_room();
            if room {
                full_since = None;
            } else if full_since.is_none() {
                full_since = Some(Instant::now());
            }
            let given_up = full_since.and_then(|since| since.checked_add(stateful.ack_within));
            let frame = tokio::select! {
                biased;
                _ = &mut self.close_requested => return Ended::Closing,
                // First, so that a flowing queue is not slowed by polling the rarer waits.
                next = next_or_wait(self.queue, stateful, room, given_up) => match next {
                    Next::Frame(first) => super::coalesce(first, self.queue, Some(stateful)),
                    Next::Ended => return self.queue_ended(),
                    Next::Room => continue,
                    // Cut off as a slow client while its Acks did not come, or no Ack for as
                    // long as a client may stay silent: gone.
                    Next::Cut | Next::GivenUp => return Ended::Gone,
                },
                // The client's next WebSocket, before this one was seen to fail. (Frames sent
                // meanwhile into the old one are kept, and replayed.)
                () = self.sink.replaced() => match self.resend(stateful).await {
                    Sent::Delivered => continue,
                    _ => match self.reattach(stateful).await {
                        Ok(()) => continue,
                        Err(ended) => return ended,
                    },
                },
                _ = acks.tick() => match stateful.ack_due() {
                    Some(sequence_id) => encode(self.protocol, &HubMessage::Ack(Ack { sequence_id })),
                    None => continue,
                },
                () = &mut self.idle, if self.pings => match self.ping_due() {
                    Some(ping) => ping,
                    None => continue,
                },
            };
            if self.send(frame).await != Sent::Delivered {
                // The WebSocket dropped or stalled: the client's next one takes its place.
                if let Err(ended) = self.reattach(stateful).await {
                    return ended;
                }
            }
        }
    }

    /// Waits for the client's next transport, at most the disconnect timeout, and replays over
    /// it what the client has not acknowledged.
    async fn reattach(&mut self, stateful: &Stateful) -> Result<(), Ended> {
        let deadline = Instant::now().checked_add(stateful.reattach_within);
        loop {
            tokio::select! {
                biased;
                _ = &mut self.close_requested => return Err(Ended::Closing),
                () = self.sink.replaced() => {}
                () = sleep_until_or_never(deadline) => return Err(Ended::Gone),
            }
            if self.resend(stateful).await == Sent::Delivered {
                return Ok(());
            }
        }
    }

    /// Over the client's new transport: the Sequence (where the replay starts), then every
    /// message it has not acknowledged.
    async fn resend(&mut self, stateful: &Stateful) -> Sent {
        let (sequence_id, frames) = stateful.replay();
        let sequence = encode(
            self.protocol,
            &HubMessage::Sequence(Sequence { sequence_id }),
        );
        let sent = self.send(sequence).await;
        if sent != Sent::Delivered {
            return sent;
        }
        let mut frames = frames.into_iter();
        while let Some(first) = frames.next() {
            let joined = join(first, &mut || frames.next(), &mut |_| {});
            let sent = self.send(joined).await;
            if sent != Sent::Delivered {
                return sent;
            }
        }
        Sent::Delivered
    }
}

/// What the writer of a stateful connection gets from its queue.
enum Next {
    Frame(Bytes),
    /// Every sender has gone, or the client was cut off.
    Ended,
    /// The client's Ack made room in a full replay buffer.
    Room,
    /// The client was cut off as too slow while the buffer was full.
    Cut,
    /// The buffer stayed full for as long as the client may stay silent.
    GivenUp,
}

/// The next frame when the replay buffer has `room`; else what ends the wait for an Ack.
async fn next_or_wait(
    queue: &mut OutboundReceiver,
    stateful: &Stateful,
    room: bool,
    given_up: Option<Instant>,
) -> Next {
    if room {
        return match queue.recv().await {
            Some(frame) => Next::Frame(frame),
            None => Next::Ended,
        };
    }
    tokio::select! {
        biased;
        () = stateful.room() => Next::Room,
        () = queue.cut_off() => Next::Cut,
        () = sleep_until_or_never(given_up) => Next::GivenUp,
    }
}

/// Completes at `deadline`; never without one.
async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
