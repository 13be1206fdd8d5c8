//! A SignalR client (feature `client`): connect to any SignalR server, ours or ASP.NET Core's.
//!
//! - negotiate (version 1) with redirects and access tokens, or a WebSocket straight away
//!   ([`HubConnectionBuilder::skip_negotiation`]);
//! - WebSockets, with Server-Sent Events and Long Polling as fallbacks; JSON or MessagePack
//!   (not over Server-Sent Events, which carry text only);
//! - invocations with results, sends, streams from the server ([`HubStream`]) and uploads
//!   ([`Upload`]), handlers for client methods including ones that return results;
//! - keep-alive Pings, a server timeout, a clean [`HubConnection::stop`], automatic reconnect
//!   with a [`RetryPolicy`] and reconnecting/reconnected/closed callbacks;
//! - stateful reconnect ([`HubConnectionBuilder::with_stateful_reconnect`]): a dropped
//!   WebSocket is replaced by a new one to the same connection, and both sides replay what the
//!   other missed.
//!
//! Everything the server sends that breaks the protocol ends the connection with a
//! [`ClientError`]; nothing the server sends can make the client panic.
//!
//! Each connection keeps the cookies its server sets (across negotiate, every transport request
//! and reconnects), so a load balancer's affinity cookie keeps it on one server; Long Polling
//! and the HTTP transports' sends reuse kept-alive connections; a 401 asks the token factory
//! once more.
//!
//! `https://` and `wss://` URLs need the `tls` feature (rustls with the Mozilla roots, and
//! [`HubConnectionBuilder::add_root_certificate`] for a private CA).
//!
//! Not supported: server-to-client streams into client methods (refused with an error
//! completion).
//!
//! `#[hub]` and `#[hub_client]` traits give typed access: `#[hub] trait Chat` generates
//! `ChatProxy`, whose methods call the hub; `#[hub_client] trait ChatClient` generates
//! `ChatClientHandlers`, which registers an implementation of the trait on a connection.
//!
//! ```no_run
//! use signalr_runtime::client::{ClientError, HubConnection};
//! use signalr_runtime::{HubCx, HubResult, hub, hub_client};
//!
//! #[hub]
//! pub trait Chat {
//!     async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()>;
//! }
//!
//! #[hub_client]
//! pub trait ChatClient {
//!     async fn receive_message(&self, user: String, text: String);
//! }
//!
//! struct Printer;
//!
//! impl ChatClient for Printer {
//!     async fn receive_message(&self, user: String, text: String) {
//!         println!("{user}: {text}");
//!     }
//! }
//!
//! # async fn run() -> Result<(), ClientError> {
//! let connection = HubConnection::builder("http://localhost:5000/chat").build()?;
//! ChatClientHandlers(Printer).register(&connection);
//! connection.start().await?;
//! ChatProxy::new(&connection)
//!     .send_message("me".to_owned(), "hello".to_owned())
//!     .await?;
//! connection.stop().await;
//! # Ok(())
//! # }
//! ```

mod builder;
mod connection;
mod cookies;
mod error;
mod events;
mod handlers;
mod http;
mod invocations;
mod long_polling;
pub(crate) mod negotiate;
mod net;
mod reconnect;
mod resume;
#[doc(hidden)]
pub mod seam;
mod session;
pub(crate) mod sse;
mod streams;
mod supervisor;
mod transport;
pub(crate) mod url;
mod websocket;

pub use builder::HubConnectionBuilder;
pub use connection::{ConnectionState, HubConnection};
pub use error::ClientError;
pub use handlers::{Arguments, FromArguments, HandlerResult};
pub use reconnect::{DefaultRetryPolicy, ExponentialBackoff, RetryContext, RetryPolicy};
pub use streams::{HubStream, Upload};
