//! The Server-Sent Events transport: one long GET response carries the server's messages as
//! events of `data:` lines; every message to the server is a POST. Text only (JSON).

use axum::http::{Method, StatusCode, header};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ClientError;
use super::http;
use super::long_polling::{LpSink, LpSource};
use super::net::Net;
use super::url::HubUrl;

/// Opens the event stream; sends go through POSTs as with Long Polling.
pub(crate) async fn connect(
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    net: &Net,
) -> Result<(LpSink, LpSource), ClientError> {
    let mut get_headers = headers.to_vec();
    get_headers.push((header::ACCEPT, "text/event-stream".to_owned()));
    let (status, body) = http::open(Method::GET, url, &get_headers, Bytes::new(), net).await?;
    if status != StatusCode::OK {
        let body = axum::body::to_bytes(body, 64 * 1024)
            .await
            .unwrap_or_default();
        return Err(ClientError::Http {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    let reading = CancellationToken::new();
    let (tx, events) = mpsc::channel(16);
    tokio::spawn(read_events(body, tx, reading.clone()));
    let sink = LpSink::new(
        url.clone(),
        headers.to_vec(),
        CancellationToken::new(),
        false,
        net.clone(),
    );
    // The reader stops (closing the GET) when the source is dropped.
    Ok((sink, LpSource::new(events, reading.drop_guard())))
}

/// Parses the event stream until it ends, fails, or the client closes.
async fn read_events(
    body: axum::body::Body,
    tx: mpsc::Sender<Result<Option<Bytes>, ClientError>>,
    reading: CancellationToken,
) {
    let mut chunks = body.into_data_stream();
    let mut parser = EventParser::default();
    loop {
        let chunk = tokio::select! {
            () = reading.cancelled() => return,
            chunk = chunks.next() => chunk,
        };
        let next = match chunk {
            Some(Ok(chunk)) => match parser.feed(&chunk) {
                Ok(events) => {
                    for event in events {
                        if tx.send(Ok(Some(event))).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
                Err(error) => Err(error),
            },
            None => Ok(None),
            Some(Err(error)) => Err(ClientError::Transport(error.to_string())),
        };
        let _ = tx.send(next).await;
        return;
    }
}

/// The most an event (its data and the line being read) may hold: as much as a Long Polling
/// response. Without a limit, a server that never ends a line or an event grows it forever.
const MAX_EVENT: usize = http::MAX_BODY;

/// The `text/event-stream` format, as much of it as SignalR uses: `data:` lines, joined by
/// `\n`, dispatched at an empty line; comments and other fields ignored.
#[derive(Debug, Default)]
pub(crate) struct EventParser {
    /// Bytes of the current, incomplete line.
    line: BytesMut,
    /// The data of the current event.
    data: BytesMut,
    /// Whether the current event has a data line.
    has_data: bool,
    /// The last byte was `\r`: a following `\n` belongs to the same line end.
    after_cr: bool,
}

impl EventParser {
    /// The events `chunk` completes.
    ///
    /// # Errors
    ///
    /// [`ClientError::Protocol`] once an unfinished event holds more than [`MAX_EVENT`] bytes.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Bytes>, ClientError> {
        let mut events = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
            match byte {
                b'\n' if after_cr => {}
                b'\r' | b'\n' => {
                    if let Some(event) = self.end_line() {
                        events.push(event);
                    }
                }
                _ => self.line.extend_from_slice(&[byte]),
            }
        }
        if self.line.len().saturating_add(self.data.len()) > MAX_EVENT {
            return Err(ClientError::Protocol(format!(
                "a Server-Sent Event over {MAX_EVENT} bytes"
            )));
        }
        Ok(events)
    }

    fn end_line(&mut self) -> Option<Bytes> {
        let line = self.line.split();
        if line.is_empty() {
            let event = std::mem::take(&mut self.data).freeze();
            return std::mem::take(&mut self.has_data).then_some(event);
        }
        if let Some(value) = line.strip_prefix(b"data:") {
            let value = value.strip_prefix(b" ").unwrap_or(value);
            if self.has_data {
                self.data.extend_from_slice(b"\n");
            }
            self.data.extend_from_slice(value);
            self.has_data = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_pieces() {
        let mut parser = EventParser::default();
        assert!(parser.feed(b":\r\n").unwrap().is_empty());
        assert!(parser.feed(b"data: {\"type\":6}\x1e\r").unwrap().is_empty());
        assert_eq!(
            parser.feed(b"\n\r\n").unwrap(),
            [Bytes::from_static(b"{\"type\":6}\x1e")]
        );
        assert_eq!(
            parser.feed(b"data: a\ndata:b\n\ndata: c\r\r").unwrap(),
            [Bytes::from_static(b"a\nb"), Bytes::from_static(b"c")]
        );
        assert!(parser.feed(b"event: x\n\n").unwrap().is_empty());
    }

    #[test]
    fn an_endless_line_or_event_is_an_error() {
        let piece = vec![b'x'; 1024 * 1024];
        let mut parser = EventParser::default();
        let mut fed = parser.feed(b"data: ");
        while fed.is_ok() && parser.line.len() <= MAX_EVENT {
            fed = parser.feed(&piece);
        }
        assert!(matches!(fed, Err(ClientError::Protocol(_))), "{fed:?}");

        // Many short data lines and never the empty line that ends the event.
        let mut parser = EventParser::default();
        let line = [b"data: ".as_slice(), &piece, b"\n"].concat();
        let mut fed = Ok(Vec::new());
        for _ in 0..=MAX_EVENT / piece.len() {
            fed = parser.feed(&line);
            if fed.is_err() {
                break;
            }
        }
        assert!(matches!(fed, Err(ClientError::Protocol(_))), "{fed:?}");
    }
}
