//! Errors: what the wire parser reports, and what hub methods return to their callers.

use std::fmt;

/// A malformed or oversized message. The connection that sent it is closed with this text.
///
/// The texts follow ASP.NET Core's, where this is an `InvalidDataException`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes are not the JSON the protocol expects.
    InvalidJson(String),
    /// The bytes are not the MessagePack the protocol expects; the text says what was wrong, in
    /// ASP.NET Core's words (such as `Reading 'target' as String failed.`).
    InvalidMessagePack(String),
    /// A property the message type requires is absent.
    MissingProperty(&'static str),
    /// A completion carries both a result and an error.
    ResultAndError,
    /// No complete message fits in the configured maximum size.
    MessageTooLarge {
        /// The configured limit, in bytes.
        max_size: usize,
    },
    /// The transport ended in the middle of a message.
    Truncated,
    /// A value the server tried to send could not be serialized.
    Serialize(String),
    /// The client broke the WebSocket protocol (RFC 6455): reserved bits or opcodes, an
    /// unmasked frame, text that is not UTF-8.
    WebSocket(String),
    /// Stateful reconnect: the client's Sequence names a message it never sent.
    SequenceAhead,
}

impl ProtocolError {
    /// The exception type ASP.NET Core names in detailed error texts for this error.
    pub(crate) const TYPE_NAME: &'static str = "InvalidDataException";
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::InvalidJson(detail) => write!(f, "Error reading JSON: {detail}"),
            ProtocolError::InvalidMessagePack(text) => f.write_str(text),
            ProtocolError::MissingProperty(name) => {
                write!(f, "Missing required property '{name}'.")
            }
            ProtocolError::ResultAndError => {
                f.write_str("The 'error' and 'result' properties are mutually exclusive.")
            }
            ProtocolError::MessageTooLarge { max_size } => write!(
                f,
                "The maximum message size of {max_size}B was exceeded. \
                 The message size can be configured in AddHubOptions."
            ),
            ProtocolError::Truncated => {
                f.write_str("Connection terminated while reading a message.")
            }
            ProtocolError::Serialize(detail) => write!(f, "Error writing a message: {detail}"),
            ProtocolError::WebSocket(detail) => write!(f, "WebSocket protocol error: {detail}"),
            ProtocolError::SequenceAhead => {
                f.write_str("Sequence ID greater than amount of messages we've received.")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

/// The error a hub method returns; its caller receives it in the completion.
///
/// Two kinds exist, as in ASP.NET Core:
///
/// - [`HubError::new`] is meant for the client (ASP.NET Core's `HubException`): its message is
///   always sent, as `An unexpected error occurred invoking 'M' on the server. HubException: …`.
/// - Any other error, converted with `?`, is an internal failure: the client sees only the
///   generic text unless detailed errors are on, which appends the error's type name and message.
///
/// `HubError` deliberately does not implement [`std::error::Error`], so that every error type
/// converts into it with `?`.
///
/// ```
/// use signalr_runtime::HubError;
///
/// fn parse(text: &str) -> Result<u32, HubError> {
///     if text.is_empty() {
///         return Err(HubError::new("A number is required."));
///     }
///     Ok(text.parse::<u32>()?)
/// }
/// assert_eq!(parse("").unwrap_err().message(), "A number is required.");
/// assert_eq!(parse("x").unwrap_err().type_name(), "ParseIntError");
/// ```
pub struct HubError {
    message: String,
    type_name: &'static str,
    visible: bool,
}

/// The result type of hub methods.
pub type HubResult<T> = Result<T, HubError>;

impl HubError {
    /// An error whose message the client always sees (ASP.NET Core's `HubException`).
    pub fn new(message: impl Into<String>) -> Self {
        HubError {
            message: message.into(),
            type_name: "HubException",
            visible: true,
        }
    }

    /// Hub code panicked: an internal error, shown in detail only with detailed errors.
    pub(crate) fn panicked() -> Self {
        HubError {
            message: "the hub code panicked".to_owned(),
            type_name: "Panic",
            visible: false,
        }
    }

    /// A misuse of the API by hub code (ASP.NET Core's `InvalidOperationException`): an
    /// internal error, shown in detail only with detailed errors.
    pub(crate) fn invalid_operation(message: &str) -> Self {
        HubError {
            message: message.to_owned(),
            type_name: "InvalidOperationException",
            visible: false,
        }
    }

    /// The error's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The short type name shown in detailed error texts (`HubException` for [`HubError::new`]).
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The ` Type: message` suffix the client sees, if any.
    pub(crate) fn detail(&self, detailed_errors: bool) -> Option<String> {
        (self.visible || detailed_errors).then(|| format!("{}: {}", self.type_name, self.message))
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HubError {
    fn from(error: E) -> Self {
        HubError {
            message: error.to_string(),
            type_name: short_type_name(std::any::type_name::<E>()),
            visible: false,
        }
    }
}

impl fmt::Debug for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HubError({}: {})", self.type_name, self.message)
    }
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `core::num::error::ParseIntError` becomes `ParseIntError`; generic arguments are dropped.
fn short_type_name(full: &'static str) -> &'static str {
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}

/// Formats an error text the ASP.NET Core way: `base` plus ` detail` when there is one.
pub(crate) fn with_detail(base: &str, detail: Option<String>) -> String {
    match detail {
        Some(detail) => format!("{base} {detail}"),
        None => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names() {
        assert_eq!(
            short_type_name("core::num::error::ParseIntError"),
            "ParseIntError"
        );
        assert_eq!(short_type_name("my::Wrapper<other::Thing>"), "Wrapper");
        assert_eq!(short_type_name("Plain"), "Plain");
    }

    #[test]
    fn internal_errors_are_hidden_unless_detailed() {
        let error = HubError::from(std::fmt::Error);
        assert_eq!(error.detail(false), None);
        assert_eq!(
            error.detail(true).as_deref(),
            Some("Error: an error occurred when formatting an argument")
        );
        assert_eq!(
            HubError::new("no").detail(false).as_deref(),
            Some("HubException: no")
        );
    }
}
