//! The Rust client (feature `client`): against the interop server, through the typed proxies
//! generated from the server's own traits, and against small fake servers for what a real
//! server never does. One test binary, so that the crates link once.

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// The server's own hub traits, so that the tests use the proxies a Rust client of it would.
#[allow(dead_code, unreachable_pub)]
#[path = "../../src/authorized.rs"]
mod authorized;
#[allow(dead_code, unreachable_pub)]
#[path = "../../src/hub.rs"]
mod hub;
#[allow(dead_code, unreachable_pub)]
#[path = "../../src/types.rs"]
mod types;

#[allow(dead_code, unreachable_pub)]
mod fake;
#[allow(dead_code, unreachable_pub)]
mod support;

mod affinity;
mod auth;
mod calls;
mod fallback;
mod http_reuse;
mod malformed;
mod negotiate;
mod races;
mod reconnect;
mod stateful;
mod tls;
