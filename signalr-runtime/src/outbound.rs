//! The frames waiting for one connection's writer, bounded in bytes, with backpressure.
//!
//! Whoever sends to a connection (its own invocations, a broadcast from another connection, a
//! hub context) pushes encoded frames here; the connection's writer takes them out and writes
//! them to the transport. When more than the limit is waiting, a sender *waits* for the writer
//! to catch up instead of the receiver being dropped: a burst from one client then slows that
//! client's own invocations down (its read loop waits with them), and every reader still gets
//! every message. A reader that stops reading is cut off by its writer, whose send to the
//! transport times out (`HubOptions::send_timeout`); the queue is dropped with it and waiting
//! senders go on. This is ASP.NET Core's model: a pipe with a pause threshold
//! (`TransportMaxBufferSize`) that `FlushAsync` waits on, and a transport send timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

/// The connection's writer has gone: the frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// What the sending and receiving halves share.
#[derive(Debug)]
struct Shared {
    /// Bytes pushed and not yet taken by the writer.
    queued: AtomicUsize,
    /// Senders wait while `queued` is at least this.
    limit: usize,
    /// Wakes waiting senders when `queued` falls below the limit, or the writer goes.
    room: Notify,
}

/// The sending half; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    frames: mpsc::UnboundedSender<Bytes>,
    shared: Arc<Shared>,
}

/// The receiving half, owned by the connection's writer.
#[derive(Debug)]
pub(crate) struct OutboundReceiver {
    frames: mpsc::UnboundedReceiver<Bytes>,
    shared: Arc<Shared>,
}

/// A queue whose senders wait while `limit` bytes or more are waiting. A frame is accepted
/// whenever less than `limit` is queued, however large it is, so a frame larger than the limit
/// still goes through (alone).
pub(crate) fn outbound(limit: usize) -> (Outbound, OutboundReceiver) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queued: AtomicUsize::new(0),
        limit: limit.max(1),
        room: Notify::new(),
    });
    let outbound = Outbound {
        frames: sender,
        shared: Arc::clone(&shared),
    };
    (
        outbound,
        OutboundReceiver {
            frames: receiver,
            shared,
        },
    )
}

/// Why [`Outbound::try_push`] did not queue a frame.
#[derive(Debug)]
pub(crate) enum TryPushError {
    /// The queue is at its limit: [`Outbound::push`] waits for room.
    Full(Bytes),
    /// The writer has gone.
    Closed,
}

impl Outbound {
    /// Queues `frame` if the queue is under its limit.
    pub(crate) fn try_push(&self, frame: Bytes) -> Result<(), TryPushError> {
        if self.shared.queued.load(Ordering::Acquire) >= self.shared.limit {
            if self.frames.is_closed() {
                return Err(TryPushError::Closed);
            }
            return Err(TryPushError::Full(frame));
        }
        self.enqueue(frame).map_err(|Closed| TryPushError::Closed)
    }

    /// Queues `frame`, first waiting for the writer to bring the queue under its limit.
    pub(crate) async fn push(&self, frame: Bytes) -> Result<(), Closed> {
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            // Registered before the check, so a wake-up between the check and the wait is kept.
            room.as_mut().enable();
            if self.frames.is_closed() {
                return Err(Closed);
            }
            if self.shared.queued.load(Ordering::Acquire) < self.shared.limit {
                return self.enqueue(frame);
            }
            room.await;
        }
    }

    /// Queues `frame` whatever the queue holds: for the few frames a connection must send even
    /// when full (the handshake answer, its first frame).
    pub(crate) fn push_now(&self, frame: Bytes) -> Result<(), Closed> {
        self.enqueue(frame)
    }

    /// Bytes waiting for the writer.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }

    fn enqueue(&self, frame: Bytes) -> Result<(), Closed> {
        let size = frame.len();
        // Counted before the send, so the writer never subtracts bytes not yet added.
        self.shared.queued.fetch_add(size, Ordering::AcqRel);
        if self.frames.send(frame).is_err() {
            self.shared.queued.fetch_sub(size, Ordering::AcqRel);
            return Err(Closed);
        }
        Ok(())
    }
}

impl OutboundReceiver {
    /// The next frame; `None` once every sender has gone.
    pub(crate) async fn recv(&mut self) -> Option<Bytes> {
        let frame = self.frames.recv().await?;
        self.taken(frame.len());
        Some(frame)
    }

    /// The next frame if one is waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Bytes> {
        let frame = self.frames.try_recv().ok()?;
        self.taken(frame.len());
        Some(frame)
    }

    fn taken(&self, size: usize) {
        let before = self.shared.queued.fetch_sub(size, Ordering::AcqRel);
        // Only the frame that brings the queue under the limit wakes the senders: most frames
        // are taken from a queue nobody waits on, and pay no wake-up.
        if before >= self.shared.limit && before.saturating_sub(size) < self.shared.limit {
            self.shared.room.notify_waiters();
        }
    }
}

impl Drop for OutboundReceiver {
    fn drop(&mut self) {
        // Senders waiting for room must learn that there will be none.
        self.frames.close();
        self.shared.room.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(size: usize) -> Bytes {
        Bytes::from(vec![b'x'; size])
    }

    #[tokio::test]
    async fn a_sender_waits_while_the_limit_is_reached_and_goes_on_when_the_writer_takes_frames() {
        let (outbound, mut receiver) = outbound(10);
        outbound.try_push(frame(6)).unwrap();
        outbound.try_push(frame(6)).unwrap();
        assert!(matches!(
            outbound.try_push(frame(1)),
            Err(TryPushError::Full(_))
        ));
        let waiting = tokio::spawn({
            let outbound = outbound.clone();
            async move { outbound.push(frame(3)).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "12 bytes queued: the sender waits");
        assert_eq!(receiver.recv().await.unwrap().len(), 6);
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(outbound.queued(), 9);
    }

    #[tokio::test]
    async fn a_waiting_sender_is_released_when_the_writer_goes() {
        let (outbound, receiver) = outbound(4);
        outbound.try_push(frame(8)).unwrap();
        let waiting = tokio::spawn({
            let outbound = outbound.clone();
            async move { outbound.push(frame(1)).await }
        });
        tokio::task::yield_now().await;
        drop(receiver);
        assert_eq!(waiting.await.unwrap(), Err(Closed));
        assert!(matches!(
            outbound.try_push(frame(1)),
            Err(TryPushError::Closed)
        ));
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_limit_goes_through_an_empty_queue() {
        let (outbound, mut receiver) = outbound(4);
        outbound.push(frame(100)).await.unwrap();
        assert_eq!(receiver.try_recv().unwrap().len(), 100);
        assert_eq!(outbound.queued(), 0);
    }
}
