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

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

/// Bytes queued in every connection's outbound queue of the process, for soak tests: every
/// change of a queue's `queued` is mirrored here.
#[cfg(feature = "stats")]
static QUEUED_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Bytes waiting in every connection's outbound queue of the process.
#[cfg(feature = "stats")]
pub(crate) fn queued_bytes() -> usize {
    QUEUED_BYTES.load(Ordering::Relaxed)
}

/// The connection's writer has gone: the frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// The queue itself: a `VecDeque` allocates nothing until the first frame, so an idle
/// connection's queue costs one small allocation (tokio's channels allocate a block of slots
/// up front, about 1.5 KiB per connection), and a queue drained after a burst gives its memory
/// back.
#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    /// Bytes in `frames`.
    queued: usize,
    /// Set when the writer has gone: nothing is queued any more.
    closed: bool,
}

/// What the sending and receiving halves share.
#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    /// Senders wait while `queued` is at least this.
    limit: usize,
    /// Live [`Outbound`]s: the writer's `recv` ends when none is left.
    senders: AtomicUsize,
    /// Wakes the writer when a frame arrives in an empty queue, or the last sender goes.
    ready: Notify,
    /// Wakes waiting senders when `queued` falls below the limit, or the writer goes.
    room: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock cannot leave the queue inconsistent (every change is
        // one push or pop with its count), so a poisoned lock is used as it is.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The sending half; cheap to clone.
#[derive(Debug)]
pub(crate) struct Outbound {
    shared: Arc<Shared>,
}

/// The receiving half, owned by the connection's writer.
#[derive(Debug)]
pub(crate) struct OutboundReceiver {
    shared: Arc<Shared>,
}

/// A queue whose senders wait while `limit` bytes or more are waiting. A frame is accepted
/// whenever less than `limit` is queued, however large it is, so a frame larger than the limit
/// still goes through (alone).
pub(crate) fn outbound(limit: usize) -> (Outbound, OutboundReceiver) {
    let shared = Arc::new(Shared {
        queue: Mutex::default(),
        limit: limit.max(1),
        senders: AtomicUsize::new(1),
        ready: Notify::new(),
        room: Notify::new(),
    });
    let outbound = Outbound {
        shared: Arc::clone(&shared),
    };
    (outbound, OutboundReceiver { shared })
}

/// Why [`Outbound::try_push`] did not queue a frame.
#[derive(Debug)]
pub(crate) enum TryPushError {
    /// The queue is at its limit: [`Outbound::push`] waits for room.
    Full(Bytes),
    /// The writer has gone.
    Closed,
}

impl Clone for Outbound {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Outbound {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Outbound {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The writer's `recv` may be waiting for a frame that will never come.
            self.shared.ready.notify_one();
        }
    }
}

impl Outbound {
    /// Queues `frame` if the queue is under its limit.
    pub(crate) fn try_push(&self, frame: Bytes) -> Result<(), TryPushError> {
        let queue = self.shared.lock();
        if queue.closed {
            return Err(TryPushError::Closed);
        }
        if queue.queued >= self.shared.limit {
            return Err(TryPushError::Full(frame));
        }
        self.enqueue(queue, frame);
        Ok(())
    }

    /// Queues `frame`, first waiting for the writer to bring the queue under its limit.
    pub(crate) async fn push(&self, frame: Bytes) -> Result<(), Closed> {
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            // Registered before the check, so a wake-up between the check and the wait is kept.
            room.as_mut().enable();
            {
                let queue = self.shared.lock();
                if queue.closed {
                    return Err(Closed);
                }
                if queue.queued < self.shared.limit {
                    self.enqueue(queue, frame);
                    return Ok(());
                }
            }
            room.await;
        }
    }

    /// Queues `frame` whatever the queue holds: for the few frames a connection must send even
    /// when full (the handshake answer, its first frame).
    pub(crate) fn push_now(&self, frame: Bytes) -> Result<(), Closed> {
        let queue = self.shared.lock();
        if queue.closed {
            return Err(Closed);
        }
        self.enqueue(queue, frame);
        Ok(())
    }

    /// Bytes waiting for the writer.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.shared.lock().queued
    }

    fn enqueue(&self, mut queue: MutexGuard<'_, Queue>, frame: Bytes) {
        let was_empty = queue.frames.is_empty();
        queue.queued += frame.len();
        #[cfg(feature = "stats")]
        QUEUED_BYTES.fetch_add(frame.len(), Ordering::Relaxed);
        queue.frames.push_back(frame);
        drop(queue);
        // Only a writer that found the queue empty waits; the permit `notify_one` leaves is
        // kept for it if it has not started waiting yet.
        if was_empty {
            self.shared.ready.notify_one();
        }
    }
}

/// A drained queue keeps up to this many slots; a larger one (left by a burst) is freed.
const KEPT_SLOTS: usize = 16;

impl OutboundReceiver {
    /// The next frame; `None` once every sender has gone and the queue is empty.
    pub(crate) async fn recv(&mut self) -> Option<Bytes> {
        loop {
            let ready = self.shared.ready.notified();
            if let Some(frame) = self.try_recv() {
                return Some(frame);
            }
            if self.shared.senders.load(Ordering::Acquire) == 0 {
                // A frame pushed by the last sender before it went is still taken.
                return self.try_recv();
            }
            ready.await;
        }
    }

    /// The next frame if one is waiting.
    pub(crate) fn try_recv(&self) -> Option<Bytes> {
        let mut queue = self.shared.lock();
        let frame = queue.frames.pop_front()?;
        let before = queue.queued;
        queue.queued = before.saturating_sub(frame.len());
        #[cfg(feature = "stats")]
        QUEUED_BYTES.fetch_sub(before - queue.queued, Ordering::Relaxed);
        let room = before >= self.shared.limit && queue.queued < self.shared.limit;
        if queue.frames.is_empty() && queue.frames.capacity() > KEPT_SLOTS {
            queue.frames = VecDeque::new();
        }
        drop(queue);
        // Only the frame that brings the queue under the limit wakes the senders: most frames
        // are taken from a queue nobody waits on, and pay no wake-up.
        if room {
            self.shared.room.notify_waiters();
        }
        Some(frame)
    }
}

impl Drop for OutboundReceiver {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.closed = true;
        // What nobody will send is freed now, not when the last sender goes.
        queue.frames = VecDeque::new();
        #[cfg(feature = "stats")]
        QUEUED_BYTES.fetch_sub(queue.queued, Ordering::Relaxed);
        queue.queued = 0;
        drop(queue);
        // Senders waiting for room must learn that there will be none.
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
    async fn the_writer_gets_every_frame_then_none_once_every_sender_has_gone() {
        let (outbound, mut receiver) = outbound(1 << 20);
        let second = outbound.clone();
        let waiting = tokio::spawn(async move {
            let mut frames = Vec::new();
            while let Some(frame) = receiver.recv().await {
                frames.push(frame.len());
            }
            frames
        });
        tokio::task::yield_now().await;
        outbound.try_push(frame(1)).unwrap();
        second.push(frame(2)).await.unwrap();
        drop(outbound);
        second.push_now(frame(3)).unwrap();
        drop(second);
        assert_eq!(waiting.await.unwrap(), [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_limit_goes_through_an_empty_queue() {
        let (outbound, receiver) = outbound(4);
        outbound.push(frame(100)).await.unwrap();
        assert_eq!(receiver.try_recv().unwrap().len(), 100);
        assert_eq!(outbound.queued(), 0);
    }
}
