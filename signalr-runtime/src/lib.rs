//! A SignalR server for Rust that the official SignalR clients use unchanged.
//!
//! Mount hubs on an [axum](https://docs.rs/axum) router with [`SignalR`]; clients connect with
//! `@microsoft/signalr` (or any other official client) exactly as they would to ASP.NET Core.
//!
//! ```no_run
//! use signalr_runtime::hub::{Arguments, Hub, HubCx, Method, MethodFuture};
//! use signalr_runtime::protocol::Value;
//! use signalr_runtime::SignalR;
//!
//! struct Echo;
//!
//! impl Hub for Echo {
//!     fn methods() -> Vec<Method<Self>> {
//!         vec![Method::new("Echo", echo)]
//!     }
//! }
//!
//! fn echo<'a>(_hub: &'a Echo, _cx: &'a HubCx, args: Arguments) -> MethodFuture<'a> {
//!     Box::pin(async move {
//!         args.expect_count(1)?;
//!         Ok(Some(Value::new(args.decode::<String>(0)?)))
//!     })
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = SignalR::new().hub("/echo", Echo).into_router();
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//!     axum::serve(listener, app).await
//! }
//! ```
//!
//! # Layers
//!
//! | module | owns |
//! |---|---|
//! | [`protocol`] | bytes to hub messages and back: handshake, framing, the JSON hub protocol |
//! | transport | negotiate and WebSockets, each turned into one byte stream per connection |
//! | connection | handshake timeout, read loop, bounded outbound queue, keep-alive, client timeout, close |
//! | [`hub`] | the [`Hub`] trait, method tables, [`HubCx`], sending to clients |
//!
//! # What is supported
//!
//! | feature | status |
//! |---|---|
//! | negotiate v0 and v1 | yes |
//! | WebSockets, with and without negotiation | yes |
//! | JSON hub protocol | yes |
//! | invocations with and without results, ASP.NET Core's error texts | yes |
//! | calls to the caller, others, all, connections | yes |
//! | keep-alive, client timeout, handshake timeout, message size limit | yes |
//! | Server-Sent Events, Long Polling, MessagePack, streaming, groups | not yet |

#[doc(hidden)]
pub mod __private;
mod connection;
pub mod contract;
mod endpoint;
mod error;
pub mod hub;
mod lifetime;
mod options;
pub mod protocol;
mod router;
mod transport;

pub use connection::ConnectionId;
pub use error::{HubError, HubResult, ProtocolError};
pub use hub::{Hub, HubCx};
pub use options::HubOptions;
pub use router::SignalR;
pub use signalr_macros::{hub, hub_client};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
