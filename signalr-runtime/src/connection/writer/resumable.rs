//! The writing loop of a connection with stateful reconnect: every queued message is kept until
//! the client acknowledges it, nothing more is taken while the replay buffer is full, Acks go
//! out every second, and when the client's next WebSocket replaces this one it gets the
//! Sequence and the replay before anything else.

use std::future::Future;
use std::time::Duration;

use super::{Ended, Line, Sent, join};
use crate::connection::encode;
use crate::connection::stateful::Stateful;
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
        let mut last_ack = 0;
        loop {
            let room = stateful.has_room();
            let frame = tokio::select! {
                biased;
                _ = &mut self.close_requested => return Ended::Closing,
                // First, so that a flowing queue is not slowed by polling the rarer waits.
                next = self.queue.recv(), if room => match next {
                    Some(first) => self.first_or_coalesced(first, Some(stateful)),
                    None => return Ended::Closing,
                },
                // The client's next WebSocket, before this one was seen to fail. (Frames sent
                // meanwhile into the old one are kept, and replayed.)
                () = self.sink.replaced() => {
                    if !self.resend(stateful).await && !self.reattach(stateful).await {
                        return Ended::Closing;
                    }
                    continue;
                }
                () = stateful.room(), if !room => continue,
                _ = acks.tick() => match stateful.ack_due(&mut last_ack) {
                    Some(sequence_id) => encode(self.protocol, &HubMessage::Ack(Ack { sequence_id })),
                    None => continue,
                },
                () = &mut self.idle, if self.pings => match self.ping_due() {
                    Some(ping) => ping,
                    None => continue,
                },
            };
            match self.send(frame).await {
                Sent::Delivered => {}
                // The WebSocket dropped: the client's next one takes its place (the reader ends
                // the connection if none comes in time).
                Sent::Failed => {
                    if !self.reattach(stateful).await {
                        return Ended::Closing;
                    }
                }
                Sent::Stalled => return Ended::Gone,
            }
        }
    }

    /// Waits for the client's next transport after this one failed, and replays over it what
    /// the client has not acknowledged; `false` when the connection is closing instead.
    async fn reattach(&mut self, stateful: &Stateful) -> bool {
        loop {
            tokio::select! {
                biased;
                _ = &mut self.close_requested => return false,
                () = self.sink.replaced() => {}
            }
            if self.resend(stateful).await {
                return true;
            }
        }
    }

    /// Over the client's new transport: the Sequence (where the replay starts), then every
    /// message it has not acknowledged; `false` when this transport fails too.
    async fn resend(&mut self, stateful: &Stateful) -> bool {
        let (sequence_id, frames) = stateful.replay();
        let sequence = encode(
            self.protocol,
            &HubMessage::Sequence(Sequence { sequence_id }),
        );
        if self.send(sequence).await != Sent::Delivered {
            return false;
        }
        let mut frames = frames.into_iter();
        while let Some(first) = frames.next() {
            let joined = join(first, &mut || frames.next(), &mut |_| {});
            if self.send(joined).await != Sent::Delivered {
                return false;
            }
        }
        true
    }
}
