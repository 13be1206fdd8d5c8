//! The server side of the handshake: read the request, choose the protocol, answer.

use bytes::BytesMut;

use crate::HubOptions;
use crate::error::{ProtocolError, with_detail};
use crate::protocol::{
    HandshakeRequest, Protocol, TransferFormat, parse_handshake_request, take_text_record,
    write_handshake_response,
};
use crate::transport::{FrameSink, FrameSource, Transport};

/// Why no handshake request could be read.
enum Failure {
    /// The client left before sending one; it gets no answer.
    Gone,
    /// The client gets this text as the handshake error.
    Refused(String),
}

/// What the handshake settled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Agreed {
    pub(crate) protocol: Protocol,
    /// The protocol version the client asked for: 2 turns stateful reconnect on, where it was
    /// negotiated.
    pub(crate) version: i64,
}

/// Runs the handshake. A refusal is answered here and gives `None` (the connection must end);
/// the success answer is left to the caller, who sends it once the connection is registered,
/// so that a client which saw it can already be reached by broadcasts.
pub(crate) async fn perform(
    options: &HubOptions,
    source: &mut impl FrameSource,
    sink: &mut impl FrameSink,
    buffer: &mut BytesMut,
) -> Option<Agreed> {
    let read = read_request(source, buffer, options);
    let chosen = match tokio::time::timeout(options.handshake_timeout, read).await {
        Err(_elapsed) => Err(Failure::Refused(CANCELED.to_owned())),
        Ok(Err(failure)) => Err(failure),
        Ok(Ok(request)) => choose_protocol(&request, sink.kind())
            .map(|protocol| Agreed {
                protocol,
                version: request.version,
            })
            .map_err(Failure::Refused),
    };
    let mut response = Vec::new();
    match chosen {
        Ok(agreed) => Some(agreed),
        Err(Failure::Refused(error)) => {
            tracing::debug!(%error, "handshake refused");
            write_handshake_response(Some(&error), &mut response);
            // The connection ends either way; a client that cannot hear the reason has gone.
            let _ = sink.send(response.into(), TransferFormat::Text).await;
            None
        }
        Err(Failure::Gone) => None,
    }
}

const CANCELED: &str = "Handshake was canceled.";

/// The success answer: `{}` and the record separator (`write_handshake_response(None, ..)`,
/// which a test compares it with), shared rather than allocated per connection.
pub(crate) fn accepted() -> bytes::Bytes {
    bytes::Bytes::from_static(b"{}\x1e")
}

async fn read_request(
    source: &mut impl FrameSource,
    buffer: &mut BytesMut,
    options: &HubOptions,
) -> Result<HandshakeRequest, Failure> {
    let refuse =
        |error: &ProtocolError| Failure::Refused(unexpected(error, options.detailed_errors));
    let mut scanned = 0;
    loop {
        match take_text_record(buffer, options.maximum_receive_message_size, &mut scanned) {
            Ok(Some(record)) => {
                return parse_handshake_request(&record).map_err(|error| refuse(&error));
            }
            Ok(None) => {}
            // ASP.NET Core gives up waiting for an oversized handshake, hence "canceled".
            Err(ProtocolError::MessageTooLarge { .. }) => {
                return Err(Failure::Refused(CANCELED.to_owned()));
            }
            Err(error) => return Err(refuse(&error)),
        }
        match source.next_chunk().await {
            Ok(Some(chunk)) => buffer.extend_from_slice(&chunk),
            Ok(None) => return Err(Failure::Gone),
            Err(_too_large) => return Err(Failure::Refused(CANCELED.to_owned())),
        }
    }
}

fn unexpected(error: &ProtocolError, detailed_errors: bool) -> String {
    with_detail(
        "An unexpected error occurred during connection handshake.",
        detailed_errors.then(|| format!("{}: {error}", ProtocolError::TYPE_NAME)),
    )
}

fn choose_protocol(request: &HandshakeRequest, transport: Transport) -> Result<Protocol, String> {
    let name = &request.protocol;
    let protocol = Protocol::from_name(name)
        .ok_or_else(|| format!("The protocol '{name}' is not supported."))?;
    if request.version > i64::from(protocol.version()) {
        return Err(format!(
            "The server does not support version {} of the '{name}' protocol.",
            request.version
        ));
    }
    if !transport.carries(protocol.transfer_format()) {
        return Err(format!(
            "Cannot use the '{name}' protocol on the current transport. \
             The transport does not support 'Binary' transfer format."
        ));
    }
    Ok(protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_answer_is_what_the_protocol_writes() {
        let mut written = Vec::new();
        write_handshake_response(None, &mut written);
        assert_eq!(accepted(), written);
    }
}
