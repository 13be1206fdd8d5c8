//! The writing half of a connection: queued frames out, Pings when idle, Close at the end.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::{mpsc, watch};

use super::{encode, request_close};
use crate::protocol::{Close, HubMessage, Protocol};
use crate::transport::FrameSink;

/// Frames queued together are sent as one transport frame up to this size: fewer writes and
/// syscalls under load, while a single large message still goes out alone.
const COALESCE_LIMIT: usize = 64 * 1024;

/// What the writer task needs; built before it is spawned so that no close request is missed.
pub(super) struct Writer<S> {
    pub(super) sink: S,
    pub(super) queue: mpsc::Receiver<Bytes>,
    pub(super) closing: watch::Sender<Option<Close>>,
    pub(super) closed: watch::Receiver<Option<Close>>,
    pub(super) protocol: Protocol,
    pub(super) keep_alive: Duration,
    /// A client that takes longer than this to accept one frame is treated as gone.
    pub(super) send_timeout: Duration,
}

impl<S: FrameSink> Writer<S> {
    pub(super) async fn run(mut self) {
        let ping = encode(self.protocol, &HubMessage::Ping);
        // One timer for the connection's life, moved only when it fires: re-arming a timeout
        // around every wait for the queue cost a timer-wheel insert and removal per message.
        let mut last_sent = Instant::now();
        let idle = tokio::time::sleep(self.keep_alive);
        tokio::pin!(idle);
        // Long Polling's interval is `Duration::MAX`: no Pings, and the timer is never polled.
        let mut pings = Instant::now().checked_add(self.keep_alive).is_some();
        loop {
            let frame = tokio::select! {
                biased;
                _ = self.closed.changed() => break,
                next = self.queue.recv() => match next {
                    Some(first) => coalesce(first, &mut self.queue),
                    None => break,
                },
                () = &mut idle, if pings => match last_sent.checked_add(self.keep_alive) {
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
            if !self.send(frame).await {
                request_close(
                    &self.closing,
                    Close {
                        error: None,
                        allow_reconnect: true,
                    },
                );
                return;
            }
            last_sent = Instant::now();
        }
        // What was queued before the close still goes out, then the Close message.
        let close = self.closed.borrow().clone().unwrap_or_default();
        while let Ok(first) = self.queue.try_recv() {
            let frame = coalesce(first, &mut self.queue);
            if !self.send(frame).await {
                return;
            }
        }
        // The client may have gone already; the close below is all that is left to do then.
        self.send(encode(self.protocol, &HubMessage::Close(close)))
            .await;
        self.sink.close().await;
    }

    /// Sends one frame; `false` when the client cannot be reached (or is too slow to be).
    async fn send(&mut self, frame: Bytes) -> bool {
        if frame.is_empty() {
            return true;
        }
        let format = self.protocol.transfer_format();
        matches!(
            tokio::time::timeout(self.send_timeout, self.sink.send(frame, format)).await,
            Ok(Ok(()))
        )
    }
}

/// Joins `first` with whatever else is already queued, up to [`COALESCE_LIMIT`].
fn coalesce(first: Bytes, queue: &mut mpsc::Receiver<Bytes>) -> Bytes {
    if first.len() >= COALESCE_LIMIT {
        return first;
    }
    let Ok(second) = queue.try_recv() else {
        return first;
    };
    let mut joined = BytesMut::with_capacity(first.len() + second.len());
    joined.extend_from_slice(&first);
    joined.extend_from_slice(&second);
    while joined.len() < COALESCE_LIMIT {
        match queue.try_recv() {
            Ok(next) => joined.extend_from_slice(&next),
            Err(_) => break,
        }
    }
    joined.freeze()
}
