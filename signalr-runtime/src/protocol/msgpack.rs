//! The MessagePack hub protocol: each message is one MessagePack array, behind a length prefix.
//!
//! Layouts follow ASP.NET Core's `MessagePackHubProtocol`: `[type, headers, ...]` with fields by
//! position. Reading takes what the official clients send (the JavaScript client leaves out the
//! stream ids of an invocation and the `allowReconnect` flag of a close) and tolerates extra
//! trailing items. Writing always uses ASP.NET Core's full layouts.

mod read;
mod timestamp;
mod token;
mod write;

pub(crate) use read::parse_message;
pub(crate) use timestamp::{TIMESTAMP, timestamp_to_iso8601};
pub(crate) use token::{Token, read_token, skip_value};
pub(crate) use write::write_message;
