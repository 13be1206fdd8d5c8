//! The handshake: the first record in each direction, always JSON whatever protocol follows.

use serde::Deserialize;

use super::framing::RECORD_SEPARATOR;
use crate::error::ProtocolError;

/// What a client asks for in its first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRequest {
    /// The hub protocol's name, such as `json`.
    pub protocol: String,
    /// The protocol version the client speaks.
    pub version: i64,
}

#[derive(Deserialize)]
struct Fields {
    protocol: Option<String>,
    version: Option<i64>,
}

/// Parses a handshake record (without its separator).
///
/// # Errors
///
/// A [`ProtocolError`] when the record is not JSON or lacks `protocol` or `version`.
///
/// ```
/// use signalr_runtime::protocol::parse_handshake_request;
/// let request = parse_handshake_request(br#"{"version":1,"protocol":"json"}"#).unwrap();
/// assert_eq!((request.protocol.as_str(), request.version), ("json", 1));
/// ```
pub fn parse_handshake_request(record: &[u8]) -> Result<HandshakeRequest, ProtocolError> {
    let fields: Fields = super::json::parse_object(record)?;
    Ok(HandshakeRequest {
        protocol: fields
            .protocol
            .ok_or(ProtocolError::MissingProperty("protocol"))?,
        version: fields
            .version
            .ok_or(ProtocolError::MissingProperty("version"))?,
    })
}

/// Appends the handshake response: `{}` on success, or the error for the client to show.
///
/// ```
/// use signalr_runtime::protocol::write_handshake_response;
/// let mut out = Vec::new();
/// write_handshake_response(None, &mut out);
/// assert_eq!(out, b"{}\x1e");
/// ```
pub fn write_handshake_response(error: Option<&str>, out: &mut Vec<u8>) {
    match error {
        None => out.extend_from_slice(b"{}"),
        Some(error) => {
            out.extend_from_slice(b"{\"error\":");
            // Writing a &str into a Vec cannot fail; fall back to a generic text if it ever did.
            if serde_json::to_writer(&mut *out, error).is_err() {
                out.extend_from_slice(b"\"Handshake failed.\"");
            }
            out.push(b'}');
        }
    }
    out.push(RECORD_SEPARATOR);
}
