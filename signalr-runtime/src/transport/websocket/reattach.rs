//! Stateful reconnect's reattachment: a connection that negotiated it outlives a WebSocket that
//! drops without a close frame, and takes the client's next WebSocket for the same token in its
//! place (no new negotiate, no new handshake). The connection layer then replays what the client
//! has not acknowledged (`connection::stateful`).

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use tokio::sync::Notify;
use tungstenite::Message;

use super::Socket;

/// The reading half of a WebSocket, with the close code it shares with its writing half.
pub(super) type ReadHalf = (SplitStream<Socket>, Arc<AtomicU16>);

/// The writing half of a WebSocket, with the close code it shares with its reading half.
pub(super) type WriteHalf = (SplitSink<Socket, Message>, Arc<AtomicU16>);

/// Where a connection's next WebSocket waits until its reader and writer take their halves.
#[derive(Debug)]
pub(crate) struct Reattach {
    /// Set once the connection's handshake asked for stateful reconnect (version 2): until
    /// then, and for clients that never do, a second WebSocket is refused as always.
    enabled: AtomicBool,
    /// How long the connection waits for the client's next WebSocket (the disconnect timeout).
    pub(super) within: Duration,
    next: Mutex<Next>,
    read_ready: Notify,
    write_ready: Notify,
}

#[derive(Default)]
struct Next {
    read: Option<ReadHalf>,
    write: Option<WriteHalf>,
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field("read", &self.read.is_some())
            .field("write", &self.write.is_some())
            .finish()
    }
}

impl Reattach {
    /// A slot for a connection that waits `within` for its client's next WebSocket.
    pub(crate) fn new(within: Duration) -> Self {
        Reattach {
            enabled: AtomicBool::new(false),
            within,
            next: Mutex::default(),
            read_ready: Notify::new(),
            write_ready: Notify::new(),
        }
    }

    /// Whether the connection takes a next WebSocket.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    pub(super) fn enable(&self) {
        self.enabled.store(true, Ordering::Release);
    }

    fn lock(&self) -> MutexGuard<'_, Next> {
        // Each change is one assignment: a poisoned lock holds a consistent value.
        self.next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands the client's new WebSocket to the connection. One that was offered before and not
    /// taken yet is dropped: the client has given up on it.
    pub(super) fn offer(&self, read: ReadHalf, write: WriteHalf) {
        {
            let mut next = self.lock();
            next.read = Some(read);
            next.write = Some(write);
        }
        self.read_ready.notify_one();
        self.write_ready.notify_one();
    }

    /// The reading half of the next WebSocket, once there is one.
    pub(super) async fn next_read(&self) -> ReadHalf {
        loop {
            let ready = self.read_ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            if let Some(read) = self.lock().read.take() {
                return read;
            }
            ready.await;
        }
    }

    /// The writing half of the next WebSocket, once there is one.
    pub(super) async fn next_write(&self) -> WriteHalf {
        loop {
            let ready = self.write_ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            if let Some(write) = self.lock().write.take() {
                return write;
            }
            ready.await;
        }
    }
}
