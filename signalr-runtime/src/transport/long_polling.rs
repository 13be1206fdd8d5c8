//! Long Polling: each GET waits for frames and returns them; the client's messages arrive by
//! POST, and DELETE ends the connection.

use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use tokio::sync::{Mutex, Notify, mpsc};
use tokio::time::Instant;

use super::Endpoint;
use super::http::{HttpConnection, LongPoll, not_found, refusal};
use super::negotiate::{Binding, ClaimError, Negotiated};
use super::{FrameSink, Transport, TransportClosed};
use crate::protocol::TransferFormat;
use crate::request::Request;

/// Frames that may wait for the next poll; the writer's send timeout applies beyond that. Few:
/// each may be a coalesced 64 KiB, and a client that stops polling holds them until it is
/// reaped (the connection's own queue, bounded in bytes, holds the rest).
const PENDING_FRAMES: usize = 2;

/// `GET P?id=` (no upgrade, no event stream): the first poll starts the connection and returns
/// at once; later polls wait for frames.
pub(crate) async fn poll<E: Endpoint>(
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    token: String,
    request: Request,
) -> Response {
    match negotiated.binding(&token) {
        Err(_) => not_found(),
        Ok(Some(Binding::Http(connection))) if connection.kind == Transport::LongPolling => {
            wait(&connection, endpoint.options().long_poll_timeout).await
        }
        Ok(Some(other)) => refusal(&ClaimError::Bound(other), Transport::LongPolling),
        Ok(None) => start(endpoint, negotiated, token, request),
    }
}

fn start<E: Endpoint>(
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    token: String,
    request: Request,
) -> Response {
    let (outbound, outbound_rx) = mpsc::channel(PENDING_FRAMES);
    let failed = Arc::new(AtomicBool::new(false));
    let poll = LongPoll {
        failed: Arc::clone(&failed),
        outbound: Mutex::new(outbound_rx),
        superseded: Notify::new(),
        last_poll: StdMutex::new(Instant::now()),
        end_seen: Notify::new(),
    };
    let (connection, source) = HttpConnection::new(Transport::LongPolling, Some(poll));
    let connection = Arc::new(connection);
    let options = endpoint.options();
    let bound = Binding::Http(Arc::clone(&connection));
    let id = match negotiated.claim(&token, options.disconnect_timeout, |_, early, _| {
        connection.preload(early);
        bound
    }) {
        Ok((id, _)) => id,
        Err(error) => return refusal(&error, Transport::LongPolling),
    };
    let disconnect_timeout = options.disconnect_timeout;
    tokio::spawn(reap(Arc::clone(&connection), disconnect_timeout));
    tokio::spawn(async move {
        let sink = LpSink {
            outbound: Some(outbound),
            failed: Arc::clone(&failed),
        };
        // The request lives as long as the connection: its own bytes, not hyper's buffer.
        let request = super::detach::detach(request);
        endpoint.serve(id, request, source, sink).await;
        connection.dispose().await;
        // The last frames wait for the next poll, which may come only after the connection
        // ended (a client that posts its handshake before polling learns of a refusal so).
        if let Some(poll) = &connection.poll {
            let _ = tokio::time::timeout(disconnect_timeout, poll.end_seen.notified()).await;
        }
        negotiated.release(&token);
    });
    respond(StatusCode::OK, Bytes::new())
}

/// A poll: the frames waiting now, or the first to come within `timeout`.
async fn wait(connection: &HttpConnection, timeout: Duration) -> Response {
    let Some(poll) = &connection.poll else {
        return not_found();
    };
    // The poll already waiting, if any, answers 204 and lets this one take over.
    poll.superseded.notify_waiters();
    let superseded = poll.superseded.notified();
    tokio::pin!(superseded);
    superseded.as_mut().enable();
    let mut outbound = poll.outbound.lock().await;
    let first = tokio::select! {
        biased;
        () = &mut superseded => return finish(poll, StatusCode::NO_CONTENT, Bytes::new()),
        next = outbound.recv() => next,
        () = tokio::time::sleep(timeout) => return finish(poll, StatusCode::OK, Bytes::new()),
    };
    let Some(first) = first else {
        // The connection has ended and every frame was delivered: the client stops polling,
        // told whether it ended cleanly (204) or with an unexpected error (500).
        poll.end_seen.notify_one();
        let status = if poll.failed.load(Ordering::Relaxed) {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::NO_CONTENT
        };
        return finish(poll, status, Bytes::new());
    };
    // One frame waiting (the usual case) goes out as it is; only several are joined.
    let Ok(second) = outbound.try_recv() else {
        return finish(poll, StatusCode::OK, first);
    };
    let mut body = BytesMut::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while let Ok(more) = outbound.try_recv() {
        body.extend_from_slice(&more);
    }
    finish(poll, StatusCode::OK, body.freeze())
}

fn finish(poll: &LongPoll, status: StatusCode, body: Bytes) -> Response {
    if let Ok(mut last_poll) = poll.last_poll.lock() {
        *last_poll = Instant::now();
    }
    respond(status, body)
}

fn respond(status: StatusCode, body: Bytes) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream"),
        (header::CACHE_CONTROL, "no-cache, no-store"),
        (header::PRAGMA, "no-cache"),
        (header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
    ];
    if status == StatusCode::NO_CONTENT {
        return (status, headers).into_response();
    }
    (status, headers, body).into_response()
}

/// Ends a connection whose client stopped polling for `timeout`.
async fn reap(connection: Arc<HttpConnection>, timeout: Duration) {
    let Some(poll) = &connection.poll else { return };
    let period = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    loop {
        tokio::time::sleep(period).await;
        if connection.is_disposed() {
            return;
        }
        let polling = poll.outbound.try_lock().is_err();
        let idle = poll
            .last_poll
            .lock()
            .map(|last| last.elapsed())
            .unwrap_or_default();
        if !polling && idle >= timeout {
            tracing::debug!("long polling client stopped polling; closing");
            connection.dispose().await;
            return;
        }
    }
}

/// Frames for the next poll.
struct LpSink {
    /// `None` once closed: polls then drain what is left and answer 204.
    outbound: Option<mpsc::Sender<Bytes>>,
    /// Shared with the polls: set when the connection ended with an unexpected error.
    failed: Arc<AtomicBool>,
}

impl FrameSink for LpSink {
    fn kind(&self) -> Transport {
        Transport::LongPolling
    }

    async fn send(&mut self, frame: Bytes, _format: TransferFormat) -> Result<(), TransportClosed> {
        match &self.outbound {
            Some(outbound) => outbound.send(frame).await.map_err(|_| TransportClosed),
            None => Err(TransportClosed),
        }
    }

    async fn close(&mut self) {
        self.outbound = None;
    }

    async fn fail(&mut self) {
        self.failed.store(true, Ordering::Relaxed);
        self.close().await;
    }
}
