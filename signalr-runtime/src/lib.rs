//! A SignalR server for Rust that the official SignalR clients use unchanged.
//!
//! Mount hubs on an [axum](https://docs.rs/axum) router with [`SignalR`]; clients connect with
//! `@microsoft/signalr` (or any other official client) exactly as they would to ASP.NET Core.
//!
//! ```no_run
//! use signalr_runtime::{HubCx, HubResult, SignalR, hub, hub_client};
//!
//! /// What clients may call.
//! #[hub]
//! pub trait Chat {
//!     async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()>;
//! }
//!
//! /// What the server calls on clients.
//! #[hub_client]
//! pub trait ChatClient {
//!     async fn receive_message(&self, user: String, text: String);
//! }
//!
//! struct Room;
//!
//! impl Chat for Room {
//!     async fn send_message(&self, cx: &HubCx, user: String, text: String) -> HubResult<()> {
//!         cx.clients().all().receive_message(user, text).await
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = SignalR::new().hub("/chat", Room.into_hub()).into_router();
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//!     axum::serve(listener, app.into_make_service()).await
//! }
//! ```
//!
//! `#[hub]` turns the trait into a dispatch table (`ChatHub`, created with `into_hub()`), and
//! `#[hub_client]` gives every set of clients typed methods (`ChatClientProxy`). A wrong method
//! name or argument type is a compile error.
//!
//! The [guide] takes it from there, one topic per page: hubs, clients (JavaScript, TypeScript,
//! Rust, .NET), groups and users, streaming, client results, authentication and authorization,
//! scale-out, TypeScript, deployment, and coming from ASP.NET Core.
//!
//! # Layers
//!
//! | module | owns |
//! |---|---|
//! | [`protocol`] | bytes to hub messages and back: handshake, framing, JSON and MessagePack |
//! | transport | negotiate, WebSockets, Server-Sent Events, Long Polling: each one byte stream per connection |
//! | connection | handshake timeout, read loop, bounded outbound queue, keep-alive, client timeout, close |
//! | [`mod@hub`] | the [`Hub`] trait, method tables, [`HubCx`], sending to clients |
//! | [`lifetime`] | which connections a hub has, groups, users; the seam for scale-out (Redis) |
//! | [`contract`] | hub contracts as data, for codegen |
//! | `client` (feature `client`) | a SignalR client: negotiate, the three transports, both protocols, reconnect |
//!
//! # What is supported
//!
//! | feature | status |
//! |---|---|
//! | negotiate v0 and v1 | yes |
//! | WebSockets, with and without negotiation | yes |
//! | Server-Sent Events, Long Polling | yes |
//! | JSON hub protocol | yes |
//! | invocations with and without results, ASP.NET Core's error texts | yes |
//! | calls to the caller, others, all, connections | yes |
//! | `#[hub]` typed hubs, `#[hub_client]` typed client proxies | yes |
//! | hub contracts, JSON Schemas with feature `schema` | yes |
//! | keep-alive, client timeout, handshake timeout, message size limit | yes |
//! | MessagePack hub protocol | yes |
//! | streams both ways, cancellation, client results | yes |
//! | groups, users, lifecycle hooks, hub context | yes |
//! | authentication ([`auth`]: sync or async authenticators over the request's parts, claims), authorization by role, named policy or check function on methods and hubs, Origin check, graceful shutdown with a readiness endpoint | yes |
//! | hub filters around invocations, connects and disconnects ([`hub::HubFilter`]), per-connection items, request extensions and remote address on [`HubCx`] | yes |
//! | metrics under ASP.NET Core's names ([`telemetry`], feature `metrics`, through the `metrics` facade) | yes |
//! | CORS ([`cors`]), tracing spans per connection and invocation | yes |
//! | byte arrays and date-times as .NET clients expect them ([`types::Binary`], [`types::DateTime`]): base64 and ISO 8601 strings in JSON, `bin` and timestamps in MessagePack | yes |
//! | Rust client (feature `client`): negotiate with redirects and tokens, WebSockets / Server-Sent Events / Long Polling, JSON and MessagePack, typed proxies, automatic reconnect | yes |
//! | lifetime-manager seam ([`lifetime::HubLifetimeManager`]), scale-out through Redis (feature `redis`, ASP.NET Core's backplane format) | yes |

#[doc(hidden)]
pub mod __private;
pub mod auth;
#[cfg(feature = "client")]
pub mod client;
mod closing;
mod connection;
mod connection_id;
pub mod contract;
mod cors;
mod endpoint;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod guide;
pub mod hub;
pub mod lifetime;
mod options;
mod outbound;
pub mod protocol;
pub mod raw;
mod redact;
mod request;
mod router;
mod sequence;
#[cfg(feature = "service")]
pub mod service;
mod shutdown;
mod stats;
pub mod stream;
pub mod telemetry;
mod transport;
pub mod types;

pub use connection_id::ConnectionId;
pub use cors::cors;
pub use error::{HubError, HubResult, ProtocolError};
pub use hub::{Hub, HubCx};
pub use options::HubOptions;
pub use router::SignalR;
pub use shutdown::Shutdown;
#[doc = include_str!("docs/hub.md")]
pub use signalr_macros::hub;
/// Generates typed proxies for the methods a server calls on clients; see [`macro@hub`].
pub use signalr_macros::hub_client;
pub use transport::Transport;
pub use transport::negotiate::NegotiateRedirect;

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
