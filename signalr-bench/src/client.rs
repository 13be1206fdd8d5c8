//! The load client: its own lower-level SignalR client rather than the Rust client of issue #9.
//!
//! A benchmark client must cost the server's neighbour core as little as possible and be in
//! exact control of what goes on the wire: ten thousand idle connections with small buffers,
//! a chosen number of invocations in flight, fire-and-forget sends at a fixed schedule, and no
//! decoding beyond the message type and the load client's own timestamp. A general-purpose
//! client (typed results, reconnects, a task per connection for keep-alive) would measure itself.

pub(crate) mod codec;
pub(crate) mod http;
pub(crate) mod service;
pub(crate) mod ws;

pub(crate) use codec::{Call, Incoming, Proto};
