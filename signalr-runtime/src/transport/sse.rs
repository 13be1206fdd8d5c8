//! Server-Sent Events: one long GET response carries every frame to the client; the client's
//! messages arrive by POST.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use tokio::sync::mpsc;

use super::Endpoint;
use super::http::{HttpConnection, refusal};
use super::negotiate::{Binding, Negotiated};
use super::{FrameSink, Transport, TransportClosed};
use crate::protocol::TransferFormat;
use crate::request::Request;

/// Events waiting for the client to read them; the writer's send timeout applies beyond that.
const EVENT_CAPACITY: usize = 16;

/// `GET P?id=` with `Accept: text/event-stream`: binds the connection to SSE and streams it.
pub(crate) fn start<E: Endpoint>(
    endpoint: Arc<E>,
    negotiated: Arc<Negotiated>,
    token: String,
    request: Request,
) -> Response {
    let (connection, source) = HttpConnection::new(Transport::ServerSentEvents, None);
    let connection = Arc::new(connection);
    let expiry = endpoint.options().disconnect_timeout;
    let bound = Binding::Http(Arc::clone(&connection));
    let id = match negotiated.claim(&token, expiry, |_, early, _| {
        connection.preload(early);
        bound
    }) {
        Ok((id, _)) => id,
        Err(error) => return refusal(&error, Transport::ServerSentEvents),
    };
    let (events, events_rx) = mpsc::channel(EVENT_CAPACITY);
    // The client going away drops the response body: the connection ends then, as ASP.NET
    // Core's does when the request aborts, not at the next frame it fails to send.
    let gone = DisposeOnDrop(Arc::clone(&connection));
    tokio::spawn(async move {
        let sink = SseSink {
            events,
            connection: Arc::clone(&connection),
        };
        // The request lives as long as the connection: its own bytes, not hyper's buffer.
        let request = super::detach::detach(request);
        endpoint.serve(id, request, source, sink).await;
        connection.dispose().await;
        negotiated.release(&token);
    });
    // A comment line first: it lets the client's `start()` complete before any data is sent.
    let opening =
        futures_util::stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b":\r\n")) });
    let rest = futures_util::stream::unfold((events_rx, gone), |(mut events, gone)| async move {
        events
            .recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), (events, gone)))
    });
    let body = Body::from_stream(futures_util::StreamExt::chain(opening, rest));
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache,no-store"),
            (header::PRAGMA, "no-cache"),
            (header::CONTENT_ENCODING, "identity"),
        ],
        body,
    )
        .into_response()
}

/// Disposes the connection when the response body that holds it is dropped.
struct DisposeOnDrop(Arc<HttpConnection>);

impl Drop for DisposeOnDrop {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// Frames to an SSE response: each frame one event of `data:` lines.
struct SseSink {
    events: mpsc::Sender<Bytes>,
    connection: Arc<HttpConnection>,
}

impl FrameSink for SseSink {
    fn kind(&self) -> Transport {
        Transport::ServerSentEvents
    }

    async fn send(&mut self, frame: Bytes, _format: TransferFormat) -> Result<(), TransportClosed> {
        self.events
            .send(event(&frame))
            .await
            .map_err(|_| TransportClosed)
    }

    async fn close(&mut self) {
        // The response ends when the connection drops its sender; POSTs are refused from now.
        self.connection.dispose().await;
    }

    async fn fail(&mut self) {
        // The status went out with the first event: ending the stream is all that is left.
        self.close().await;
    }
}

/// One SSE event: `data: <line>\r\n` for every line of the payload, then an empty line. A
/// line ends at CRLF, LF or a lone CR, as an EventSource reads them: a CR left inside a `data:`
/// line would cut it there.
fn event(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 16);
    let mut rest = payload;
    loop {
        let end = rest.iter().position(|&byte| byte == b'\r' || byte == b'\n');
        let (line, next) = match end {
            None => (rest, None),
            Some(at) => {
                let (line, tail) = rest.split_at(at);
                // CRLF is one line ending; a CR or LF alone is one too.
                let skip = if tail.starts_with(b"\r\n") { 2 } else { 1 };
                (line, tail.get(skip..))
            }
        };
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    out.extend_from_slice(b"\r\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::event;

    #[test]
    fn every_line_becomes_a_data_line() {
        assert_eq!(
            &event(b"{\"type\":6}\x1e")[..],
            b"data: {\"type\":6}\x1e\r\n\r\n"
        );
        assert_eq!(&event(b"a\r\nb")[..], b"data: a\r\ndata: b\r\n\r\n");
        assert_eq!(
            &event(b"a\rb\nc")[..],
            b"data: a\r\ndata: b\r\ndata: c\r\n\r\n"
        );
        assert_eq!(&event(b"a\n")[..], b"data: a\r\ndata: \r\n\r\n");
    }
}
