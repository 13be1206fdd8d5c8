//! The frames waiting for one connection's writer, bounded in bytes, with backpressure that
//! one slow client cannot turn against everybody else.
//!
//! Whoever sends to a connection (its own invocations, a broadcast from another connection, a
//! hub context) pushes encoded frames here; the connection's writer takes them out and writes
//! them to the transport. When more than the buffer size is waiting, a sender *waits* for the
//! writer to catch up instead of the receiver being dropped: a burst from one client then slows
//! that client's own invocations down (its read loop waits with them), and every reader still
//! gets every message. This is ASP.NET Core's model: a pipe with a pause threshold
//! (`TransportMaxBufferSize`) that `FlushAsync` waits on.
//!
//! Where we differ: in ASP.NET Core a broadcast waits for every receiver's flush, so a client
//! whose network is stuck holds up every broadcaster (and, behind them, everyone's calls) until
//! its transport's send times out. Here a sender from elsewhere ([`Outbound::deliver`]) waits
//! for a full queue only up to `slow_wait`; a receiver that has not made room by then is
//! *slow*: frames for it are kept without anybody waiting, up to `slow_buffer` bytes, until its
//! queue drains below the buffer size again. A slow receiver that would need more is cut off:
//! its queue is dropped and its writer ends the connection. The connection's own answers
//! ([`Outbound::push`]) always wait, so a client that calls without reading is read no further
//! rather than buffered for. A writer whose transport takes longer than `send_timeout` to accept
//! a frame ends the connection too (see `connection::writer`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::HubOptions;

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

/// How much may wait for one connection, and how long a sender from elsewhere waits for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Senders wait while at least this many bytes are queued.
    pub(crate) buffer: usize,
    /// How long [`Outbound::deliver`] waits for room before the receiver counts as slow.
    pub(crate) slow_wait: Duration,
    /// The most a slow receiver's queue may hold; a frame that would take it beyond this cuts
    /// the receiver off.
    pub(crate) slow_buffer: usize,
}

impl Limits {
    pub(crate) fn new(options: &HubOptions) -> Self {
        Limits {
            buffer: options.transport_max_buffer_size,
            slow_wait: options.slow_client_wait,
            slow_buffer: options.slow_client_buffer_size,
        }
    }

    /// A queue of `buffer` bytes with the default slow-client settings.
    #[cfg(test)]
    pub(crate) fn buffer(buffer: usize) -> Self {
        Limits {
            buffer,
            ..Limits::new(&HubOptions::default())
        }
    }
}

/// The queue itself: a `VecDeque` allocates nothing until the first frame, so an idle
/// connection's queue costs one small allocation (tokio's channels allocate a block of slots
/// up front, about 1.5 KiB per connection), and a queue drained after a burst gives its memory
/// back.
#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    /// Bytes in `frames`.
    queued: usize,
    /// Set when the writer has gone, or the receiver was cut off: nothing is queued any more.
    closed: bool,
    /// A sender from elsewhere waited [`Limits::slow_wait`] for room in vain; cleared when the
    /// queue drains below the buffer size.
    slow: bool,
    /// The receiver was slow and needed more than [`Limits::slow_buffer`]: its writer ends the
    /// connection.
    cut: bool,
}

impl Queue {
    /// Drops every frame (and the memory holding them) and takes no more.
    fn close(&mut self) {
        self.closed = true;
        self.frames = VecDeque::new();
        #[cfg(feature = "stats")]
        QUEUED_BYTES.fetch_sub(self.queued, Ordering::Relaxed);
        self.queued = 0;
    }
}

/// What the sending and receiving halves share.
#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    limits: Limits,
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

/// A queue whose senders wait while `limits.buffer` bytes or more are waiting. A frame is
/// accepted whenever less than that is queued, however large it is, so a frame larger than the
/// buffer still goes through (alone).
pub(crate) fn outbound(limits: Limits) -> (Outbound, OutboundReceiver) {
    let limits = Limits {
        buffer: limits.buffer.max(1),
        ..limits
    };
    let shared = Arc::new(Shared {
        queue: Mutex::default(),
        limits,
        senders: AtomicUsize::new(1),
        ready: Notify::new(),
        room: Notify::new(),
    });
    let outbound = Outbound {
        shared: Arc::clone(&shared),
    };
    (outbound, OutboundReceiver { shared })
}

/// Why [`Outbound::try_push`] or [`Outbound::try_deliver`] did not queue a frame.
#[derive(Debug)]
pub(crate) enum TryPushError {
    /// The queue is at its limit: [`Outbound::push`] or [`Outbound::deliver`] waits for room.
    Full(Bytes),
    /// The writer has gone, or the receiver was cut off.
    Closed,
}

/// Who queues a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The connection itself (its answers and stream items).
    Own,
    /// Someone else (a broadcast, a hub context, a server's call).
    Elsewhere,
}

/// What a queue does with a frame.
enum Admission {
    Queued,
    Closed,
    Wait(Bytes),
}

impl Admission {
    fn into_try(self) -> Result<(), TryPushError> {
        match self {
            Admission::Queued => Ok(()),
            Admission::Closed => Err(TryPushError::Closed),
            Admission::Wait(frame) => Err(TryPushError::Full(frame)),
        }
    }
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
    /// Queues one of the connection's own frames if the queue is under its limit.
    pub(crate) fn try_push(&self, frame: Bytes) -> Result<(), TryPushError> {
        self.admit(frame, Origin::Own).into_try()
    }

    /// Queues one of the connection's own frames (an answer, a stream item), first waiting
    /// for the writer to bring the queue under its limit, however long that takes.
    pub(crate) async fn push(&self, mut frame: Bytes) -> Result<(), Closed> {
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            // Registered before the check, so a wake-up between the check and the wait is kept.
            room.as_mut().enable();
            frame = match self.admit(frame, Origin::Own) {
                Admission::Queued => return Ok(()),
                Admission::Closed => return Err(Closed),
                Admission::Wait(frame) => frame,
            };
            room.await;
        }
    }

    /// Queues a frame from elsewhere (a broadcast, a hub context, a server's call) if the queue
    /// is under its limit, or the receiver is slow and has room left in its slow buffer.
    pub(crate) fn try_deliver(&self, frame: Bytes) -> Result<(), TryPushError> {
        self.admit(frame, Origin::Elsewhere).into_try()
    }

    /// Queues a frame from elsewhere, waiting for room at most [`Limits::slow_wait`]: a receiver
    /// that has not made room by then is marked slow, and the frame kept for it without
    /// waiting (or the receiver cut off, when its slow buffer is full).
    pub(crate) async fn deliver(&self, mut frame: Bytes) -> Result<(), Closed> {
        let mut deadline = None;
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            frame = match self.admit(frame, Origin::Elsewhere) {
                Admission::Queued => return Ok(()),
                Admission::Closed => return Err(Closed),
                Admission::Wait(frame) => frame,
            };
            // The clock is read only by a sender that has to wait.
            let until = *deadline
                .get_or_insert_with(|| Instant::now().checked_add(self.shared.limits.slow_wait));
            match until {
                Some(until) => {
                    if tokio::time::timeout_at(until, room).await.is_err() {
                        self.mark_slow();
                    }
                }
                // A wait too long for the clock: never slow.
                None => room.await,
            }
        }
    }

    /// What the queue does with `frame` now: a connection's own frames wait for the buffer
    /// size whatever happens; frames from elsewhere are kept for a slow receiver.
    fn admit(&self, frame: Bytes, origin: Origin) -> Admission {
        let mut queue = self.shared.lock();
        let limits = &self.shared.limits;
        if queue.closed {
            return Admission::Closed;
        }
        if queue.queued < limits.buffer {
            self.enqueue(queue, frame);
            return Admission::Queued;
        }
        if origin == Origin::Own || !queue.slow {
            return Admission::Wait(frame);
        }
        if queue.queued.saturating_add(frame.len()) <= limits.slow_buffer {
            self.enqueue(queue, frame);
            return Admission::Queued;
        }
        // Slow, and needing more than it may have: this receiver alone pays, with its
        // connection; nobody waits for it any more.
        crate::telemetry::dropped_messages(queue.frames.len() + 1);
        queue.close();
        queue.cut = true;
        drop(queue);
        self.shared.ready.notify_one();
        self.shared.room.notify_waiters();
        Admission::Closed
    }

    /// The receiver did not make room within [`Limits::slow_wait`]; the other senders waiting
    /// for it are woken to keep their frames for it without waiting either.
    fn mark_slow(&self) {
        let mut queue = self.shared.lock();
        if queue.queued >= self.shared.limits.buffer && !queue.slow {
            queue.slow = true;
            drop(queue);
            self.shared.room.notify_waiters();
        }
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
    /// The next frame; `None` once every sender has gone and the queue is empty, or the
    /// receiver was cut off (see [`OutboundReceiver::is_cut`]).
    pub(crate) async fn recv(&mut self) -> Option<Bytes> {
        loop {
            let ready = self.shared.ready.notified();
            if let Some(frame) = self.try_recv() {
                return Some(frame);
            }
            if self.is_cut() {
                return None;
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
        let buffer = self.shared.limits.buffer;
        let room = before >= buffer && queue.queued < buffer;
        if room {
            // Caught up: the next time its queue is full, senders wait for it again.
            queue.slow = false;
        }
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

    /// Whether the receiver was cut off for being slow and needing more than its slow buffer.
    pub(crate) fn is_cut(&self) -> bool {
        self.shared.lock().cut
    }

    /// Completes when the receiver is cut off: the writer stops waiting for its transport then.
    pub(crate) async fn cut_off(&self) {
        loop {
            let ready = self.shared.ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            if self.is_cut() {
                return;
            }
            // Taking a wake-up meant for `recv` is harmless: it looks at the queue before it
            // waits.
            ready.await;
        }
    }
}

impl Drop for OutboundReceiver {
    fn drop(&mut self) {
        // What nobody will send is freed now, not when the last sender goes.
        self.shared.lock().close();
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
        let (outbound, mut receiver) = outbound(Limits::buffer(10));
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
        let (outbound, receiver) = outbound(Limits::buffer(4));
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
        let (outbound, mut receiver) = outbound(Limits::buffer(1 << 20));
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
        second.try_push(frame(3)).unwrap();
        drop(second);
        assert_eq!(waiting.await.unwrap(), [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_limit_goes_through_an_empty_queue() {
        let (outbound, receiver) = outbound(Limits::buffer(4));
        outbound.push(frame(100)).await.unwrap();
        assert_eq!(receiver.try_recv().unwrap().len(), 100);
        assert_eq!(outbound.queued(), 0);
    }

    fn slow_limits() -> Limits {
        Limits {
            buffer: 10,
            slow_wait: Duration::from_millis(500),
            slow_buffer: 30,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_receiver_that_makes_no_room_is_waited_for_once_then_kept_for_without_waiting() {
        let (outbound, receiver) = outbound(slow_limits());
        outbound.try_deliver(frame(12)).unwrap();
        let started = Instant::now();
        outbound.deliver(frame(5)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        // Slow now: frames from elsewhere are kept at once, up to the slow buffer.
        outbound.try_deliver(frame(5)).unwrap();
        outbound.deliver(frame(5)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        assert_eq!(outbound.queued(), 27);
        // The connection's own answers still wait for the buffer.
        assert!(matches!(
            outbound.try_push(frame(1)),
            Err(TryPushError::Full(_))
        ));
        // Caught up: the next full queue is waited for again.
        for _ in 0..4 {
            receiver.try_recv().unwrap();
        }
        outbound.try_deliver(frame(20)).unwrap();
        assert!(matches!(
            outbound.try_deliver(frame(1)),
            Err(TryPushError::Full(_))
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn senders_waiting_together_for_a_slow_receiver_go_on_together() {
        let (outbound, _receiver) = outbound(slow_limits());
        outbound.try_deliver(frame(10)).unwrap();
        let first = tokio::spawn({
            let outbound = outbound.clone();
            async move { outbound.deliver(frame(1)).await }
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        let started = Instant::now();
        let second = tokio::spawn({
            let outbound = outbound.clone();
            async move { outbound.deliver(frame(1)).await }
        });
        assert_eq!(first.await.unwrap(), Ok(()));
        assert_eq!(second.await.unwrap(), Ok(()));
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(100),
            "the second sender stops waiting when the first finds the receiver slow"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_receiver_that_needs_more_than_its_slow_buffer_is_cut_off_and_its_memory_freed()
    {
        let (outbound, mut receiver) = outbound(slow_limits());
        outbound.try_deliver(frame(10)).unwrap();
        let own_answer = tokio::spawn({
            let outbound = outbound.clone();
            async move { outbound.push(frame(1)).await }
        });
        outbound.deliver(frame(15)).await.unwrap();
        assert_eq!(outbound.deliver(frame(6)).await, Err(Closed));
        assert!(receiver.is_cut());
        assert_eq!(outbound.queued(), 0);
        assert_eq!(own_answer.await.unwrap(), Err(Closed));
        assert!(matches!(
            outbound.try_deliver(frame(1)),
            Err(TryPushError::Closed)
        ));
        assert_eq!(receiver.recv().await, None, "the writer ends");
    }
}
