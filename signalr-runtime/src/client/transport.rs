//! The client's transports behind one interface: a sink of frames and a source of byte chunks.

use bytes::Bytes;

use super::ClientError;
use super::long_polling::{self, LpSink, LpSource};
use super::net::Net;
use super::sse;
use super::url::HubUrl;
use super::websocket::{self, WsSink, WsSource};
use crate::Transport;
use crate::protocol::TransferFormat;

/// Where frames to the server go.
#[derive(Debug)]
pub(crate) enum Sink {
    WebSocket(WsSink),
    Post(LpSink),
}

/// Where bytes from the server come from.
#[derive(Debug)]
pub(crate) enum Source {
    WebSocket(WsSource),
    /// Long Polling and Server-Sent Events: chunks a reader task received.
    Http(LpSource),
}

/// Opens `transport` to `url` (which carries the connection's `id` when negotiated).
pub(crate) async fn open(
    transport: Transport,
    url: &HubUrl,
    headers: &[(axum::http::HeaderName, String)],
    net: &Net,
) -> Result<(Sink, Source), ClientError> {
    match transport {
        Transport::WebSockets => {
            let (sink, source) = websocket::connect(url, headers, net).await?;
            Ok((Sink::WebSocket(sink), Source::WebSocket(source)))
        }
        Transport::LongPolling => {
            let (sink, source) = long_polling::connect(url, headers, net).await?;
            Ok((Sink::Post(sink), Source::Http(source)))
        }
        Transport::ServerSentEvents => {
            let (sink, source) = sse::connect(url, headers, net).await?;
            Ok((Sink::Post(sink), Source::Http(source)))
        }
    }
}

impl Sink {
    /// Sends one frame.
    pub(crate) async fn send(
        &mut self,
        frame: Bytes,
        format: TransferFormat,
    ) -> Result<(), ClientError> {
        match self {
            Sink::WebSocket(sink) => sink.send(frame, format).await,
            Sink::Post(sink) => sink.send(frame).await,
        }
    }

    /// Ends the transport gracefully.
    pub(crate) async fn close(&mut self) {
        match self {
            Sink::WebSocket(sink) => sink.close().await,
            Sink::Post(sink) => sink.close().await,
        }
    }
}

impl Source {
    /// The next chunk of bytes; `None` once the server ended the transport normally.
    pub(crate) async fn recv(&mut self) -> Result<Option<Bytes>, ClientError> {
        match self {
            Source::WebSocket(source) => source.recv().await,
            Source::Http(source) => source.recv().await,
        }
    }
}
