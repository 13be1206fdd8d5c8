//! A client connection held by the service, as the hub's connection layer sees it: bytes from
//! `ConnectionData` messages in, `ConnectionData` messages out.

use bytes::Bytes;
use tokio::sync::mpsc;

use super::protocol::{CloseConnection, ConnectionData, ServiceMessage};
use crate::error::ProtocolError;
use crate::protocol::TransferFormat;
use crate::transport::{FrameSink, FrameSource, Transport, TransportClosed};

/// The header of `OpenConnection` that names the client's transport (`WebSockets`,
/// `ServerSentEvents`, `LongPolling`): the project's own, as Azure's protocol has none; a
/// client of a service that sends none is taken to use WebSockets.
pub const TRANSPORT_HEADER: &str = "Asrs-Transport";

/// What the client sent, as the server connection's reader hands it over.
pub(super) struct ServiceSource {
    pub(super) incoming: mpsc::Receiver<Bytes>,
}

impl FrameSource for ServiceSource {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        Ok(self.incoming.recv().await)
    }
}

/// Frames for the client, as messages on its server connection.
pub(super) struct ServiceSink {
    pub(super) connection_id: String,
    pub(super) transport: Transport,
    pub(super) writer: mpsc::Sender<Bytes>,
}

impl ServiceSink {
    async fn end(&mut self, error: Option<&str>) {
        let close = ServiceMessage::CloseConnection(CloseConnection {
            connection_id: self.connection_id.clone(),
            error_message: error.map(str::to_owned),
            headers: Vec::new(),
        });
        // The server connection may be gone: then the service has closed the client already.
        let _ = self.writer.send(close.to_bytes()).await;
    }
}

impl FrameSink for ServiceSink {
    fn kind(&self) -> Transport {
        self.transport
    }

    async fn send(&mut self, frame: Bytes, _format: TransferFormat) -> Result<(), TransportClosed> {
        // The service knows each client's protocol, and so the frame type to use.
        let data = ServiceMessage::ConnectionData(ConnectionData {
            connection_id: self.connection_id.clone(),
            payload: frame,
        });
        self.writer
            .send(data.to_bytes())
            .await
            .map_err(|_| TransportClosed)
    }

    async fn close(&mut self) {
        self.end(None).await;
    }

    async fn fail(&mut self) {
        self.end(Some("The server closed the connection after an error."))
            .await;
    }
}

/// The transport an `OpenConnection`'s headers name.
pub(super) fn transport_of(headers: &[(String, Vec<String>)]) -> Transport {
    let named = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(TRANSPORT_HEADER))
        .and_then(|(_, values)| values.first());
    match named.map(String::as_str) {
        Some("ServerSentEvents") => Transport::ServerSentEvents,
        Some("LongPolling") => Transport::LongPolling,
        _ => Transport::WebSockets,
    }
}
