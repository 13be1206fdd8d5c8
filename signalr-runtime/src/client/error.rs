//! What can go wrong on a client connection, as plain values.

use std::fmt;

/// Why a client operation failed or a connection ended.
///
/// Everything the server sends that does not follow the protocol ends up here, never in a panic.
/// The type is `Clone` because one failure (the connection ending) is reported to every pending
/// call at once.
///
/// ```no_run
/// use signalr_runtime::client::{ClientError, HubConnection};
/// use signalr_runtime::protocol::Value;
///
/// # async fn run(connection: HubConnection) {
/// match connection.invoke::<String>("Echo", vec![Value::new("hi")]).await {
///     Ok(text) => println!("{text}"),
///     // The hub method failed: the server's text.
///     Err(ClientError::Hub(text)) => eprintln!("the hub said: {text}"),
///     // Anything else: the connection, the protocol, the types.
///     Err(other) => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL cannot be used (not `http://` or `ws://`, no host, ...).
    InvalidUrl(String),
    /// A configured header (or the access token) is not a valid HTTP header.
    InvalidHeader(String),
    /// An HTTP request (negotiate, a poll, a send) got an unexpected status.
    Http {
        /// The status code.
        status: u16,
        /// The response body, as text.
        body: String,
    },
    /// The network failed: connecting, reading or writing.
    Transport(String),
    /// The TLS handshake failed: the server's certificate is not trusted, names another host,
    /// or has expired (or a configured root certificate could not be read).
    Tls(String),
    /// The negotiate response was an error or could not be understood.
    Negotiate(String),
    /// No transport both sides support fits the chosen protocol.
    NoTransport(String),
    /// The server refused the handshake, or answered it with something else.
    Handshake(String),
    /// The server sent bytes that are not a valid message of the protocol.
    Protocol(String),
    /// The server closed the connection with this error (a Close message carrying one).
    ServerClosed(String),
    /// Nothing arrived from the server within the server timeout.
    ServerTimeout,
    /// The hub method failed; the text is the server's.
    Hub(String),
    /// A result, stream item or argument does not fit the Rust type asked for.
    Decode(String),
    /// The connection is not connected (not started, stopped, or between reconnect attempts).
    NotConnected,
    /// The connection ended before the call completed, without an error.
    ConnectionClosed,
    /// `start` was called on a connection that is not disconnected.
    AlreadyStarted,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl(detail) => write!(f, "invalid URL: {detail}"),
            ClientError::InvalidHeader(detail) => write!(f, "invalid header: {detail}"),
            ClientError::Http { status, body } => {
                write!(f, "unexpected HTTP status {status}")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            ClientError::Transport(detail) => write!(f, "transport failed: {detail}"),
            ClientError::Tls(detail) => write!(f, "TLS failed: {detail}"),
            ClientError::Negotiate(detail) => write!(f, "negotiate failed: {detail}"),
            ClientError::NoTransport(detail) => write!(f, "no usable transport: {detail}"),
            ClientError::Handshake(detail) => write!(f, "handshake failed: {detail}"),
            ClientError::Protocol(detail) => write!(f, "invalid message from the server: {detail}"),
            ClientError::ServerClosed(error) => {
                write!(f, "the server closed the connection with an error: {error}")
            }
            ClientError::ServerTimeout => f.write_str(
                "the server sent nothing within the server timeout; the connection is lost",
            ),
            ClientError::Hub(error) => f.write_str(error),
            ClientError::Decode(detail) => write!(f, "cannot decode the value: {detail}"),
            ClientError::NotConnected => f.write_str("the connection is not connected"),
            ClientError::ConnectionClosed => {
                f.write_str("the connection closed before the call completed")
            }
            ClientError::AlreadyStarted => {
                f.write_str("the connection can only be started while it is disconnected")
            }
        }
    }
}

impl std::error::Error for ClientError {}

impl From<crate::error::ProtocolError> for ClientError {
    fn from(error: crate::error::ProtocolError) -> Self {
        ClientError::Protocol(error.to_string())
    }
}

impl From<crate::protocol::DecodeError> for ClientError {
    fn from(error: crate::protocol::DecodeError) -> Self {
        ClientError::Decode(error.to_string())
    }
}
