//! Byte arrays and date-times in the forms .NET clients expect, from one Rust type each.
//!
//! ASP.NET Core writes a `byte[]` and a `DateTime` differently in its two hub protocols, and the
//! official clients count on it: the JavaScript client hands MessagePack `bin` to the application
//! as a `Uint8Array` and timestamps as a `Date`, while in JSON both are strings. Plain Rust
//! types cannot do that (a `Vec<u8>` is an array of numbers in both protocols), so this module
//! has two that can:
//!
//! | type | JSON hub protocol | MessagePack hub protocol | JavaScript client |
//! |---|---|---|---|
//! | [`Binary`] (.NET `byte[]`) | base64 string, `"AQID"` | `bin` | `string` / `Uint8Array` |
//! | [`DateTime`] (.NET UTC `DateTime`) | ISO 8601 string, `"2024-02-29T12:34:56.789Z"` | timestamp extension (type -1) | `string` / `Date` |
//!
//! Both read either form back in either protocol, so what a client received can be sent again.
//! Use them as parameters, results, stream items and struct fields:
//!
//! ```
//! use signalr_runtime::hub;
//! use signalr_runtime::types::{Binary, DateTime};
//!
//! #[hub]
//! pub trait Files {
//!     async fn thumbnail(&self, name: String) -> Binary;
//!     async fn server_time(&self) -> DateTime;
//!     async fn store(&self, name: String, content: Binary, modified: DateTime) -> usize;
//! }
//!
//! struct Store;
//!
//! impl Files for Store {
//!     async fn thumbnail(&self, _name: String) -> Binary {
//!         Binary::from(vec![0x89, b'P', b'N', b'G'])
//!     }
//!
//!     async fn server_time(&self) -> DateTime {
//!         DateTime::now()
//!     }
//!
//!     async fn store(&self, _name: String, content: Binary, _modified: DateTime) -> usize {
//!         content.len() // `Binary` derefs to `Vec<u8>`
//!     }
//! }
//! # let _ = Store.into_hub();
//!
//! // As fields: {"name":"a.png","content":"iVBORw==","modified":"2024-02-29T12:34:56Z"} in JSON.
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Upload {
//!     pub name: String,
//!     pub content: Binary,
//!     pub modified: DateTime,
//! }
//!
//! let upload = Upload {
//!     name: "a.png".to_owned(),
//!     content: Binary::from(vec![0x89, b'P', b'N', b'G']),
//!     modified: "2024-02-29T12:34:56Z".parse().unwrap(),
//! };
//! assert_eq!(
//!     serde_json::to_string(&upload).unwrap(),
//!     r#"{"name":"a.png","content":"iVBORw==","modified":"2024-02-29T12:34:56Z"}"#
//! );
//! ```
//!
//! For fields whose type should stay a plain `Vec<u8>` (or `bytes::Bytes`, `[u8; N]`…) or a
//! [`SystemTime`], the serde helpers [`mod@base64`] and [`date_time`] give them the same forms:
//!
//! ```
//! use std::time::SystemTime;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Frame {
//!     #[serde(with = "signalr_runtime::types::base64")]
//!     pub pixels: Vec<u8>,
//!     #[serde(with = "signalr_runtime::types::date_time")]
//!     pub taken: SystemTime,
//! }
//!
//! let frame = Frame { pixels: vec![1, 2, 3], taken: SystemTime::UNIX_EPOCH };
//! assert_eq!(
//!     serde_json::to_string(&frame).unwrap(),
//!     r#"{"pixels":"AQID","taken":"1970-01-01T00:00:00Z"}"#
//! );
//! ```
//!
//! # Details
//!
//! - **Which protocol.** A `Serialize` implementation cannot ask which hub protocol it is written
//!   for: the runtime's MessagePack writer is human-readable, as `serde_json` is (so that UUIDs
//!   and addresses are strings in both). Both types therefore serialize their MessagePack form as
//!   a raw [`Value`] nested in the value being written, which the runtime copies unchanged into
//!   MessagePack and transcodes for JSON (`bin` to base64, a timestamp to ISO 8601): the forms
//!   are those of a raw MessagePack value a client sent. Outside the runtime, human-readable
//!   serializers (`serde_json`, YAML…) get the strings; serializers that are not (such as
//!   `rmp_serde::to_vec`) get `bin` and the timestamp extension.
//! - **Reading** takes a base64 string (padded or not), MessagePack `bin`, or an array of numbers
//!   for [`Binary`]; an ISO 8601 string or a MessagePack timestamp (any of its three forms) for
//!   [`DateTime`].
//! - **Date-times** hold what a .NET `DateTime` holds, the years 0001 to 9999, to the nanosecond
//!   (.NET keeps 100 ns ticks). JSON has as many fractional digits as needed, none for a whole
//!   second and at most nine, trailing zeros dropped (`…:56Z`, `…:56.5Z`, `…:56.789Z`,
//!   `…:56.000000001Z`), as the runtime writes MessagePack timestamps in JSON and close to
//!   `System.Text.Json` (which writes up to seven). Reading accepts `Z`, an offset (`+02:00`,
//!   `+0200`, `+02`) or none (taken as UTC, as .NET's unspecified kind), `T`, `t` or a space
//!   between date and time, and any number of fractional digits (beyond nine they are cut off).
//!   MessagePack uses the shortest timestamp form: 32-bit for whole seconds from 1970 to 2106,
//!   64-bit up to 2514, 96-bit otherwise (before 1970, after 2514).
//! - **TypeScript.** With feature `schema`, [`Binary`] has the JSON Schema
//!   `{"type": "string", "contentEncoding": "base64"}` and [`DateTime`]
//!   `{"type": "string", "format": "date-time"}`, which `signalr-codegen-ts` types as `string` for
//!   JSON and `Uint8Array` / `Date` for MessagePack. A field under [`mod@base64`] or
//!   [`date_time`] needs `#[schemars(with = "signalr_runtime::types::Binary")]` (or `DateTime`)
//!   beside its serde attribute for its schema to match.

// Named only by the docs' links.
#[cfg(doc)]
use std::time::SystemTime;

#[cfg(doc)]
use crate::protocol::Value;

mod binary;
mod calendar;
mod instant;
#[cfg(feature = "schema")]
mod schema;
mod timestamp;

/// Serde helpers for byte fields of any type (`Vec<u8>`, `bytes::Bytes`, `Box<[u8]>`…):
/// `#[serde(with = "signalr_runtime::types::base64")]` gives them the forms of [`Binary`].
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Attachment {
///     #[serde(with = "signalr_runtime::types::base64")]
///     data: Vec<u8>,
/// }
///
/// let json = serde_json::to_string(&Attachment { data: b"hi".to_vec() }).unwrap();
/// assert_eq!(json, r#"{"data":"aGk="}"#);
/// assert_eq!(serde_json::from_str::<Attachment>(&json).unwrap().data, b"hi");
/// ```
pub mod base64;

/// Serde helpers for date-time fields of other types, such as [`SystemTime`]:
/// `#[serde(with = "signalr_runtime::types::date_time")]` gives them the forms of [`DateTime`].
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Event {
///     #[serde(with = "signalr_runtime::types::date_time")]
///     at: SystemTime,
/// }
///
/// let event = Event { at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_500) };
/// let json = serde_json::to_string(&event).unwrap();
/// assert_eq!(json, r#"{"at":"1970-01-01T00:00:01.5Z"}"#);
/// assert_eq!(serde_json::from_str::<Event>(&json).unwrap().at, event.at);
/// ```
pub mod date_time;

pub use binary::Binary;
pub use instant::{DateTime, ParseDateTimeError};
pub(crate) use timestamp::TIMESTAMP;

#[cfg(test)]
mod tests;
