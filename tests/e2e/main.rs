//! End-to-end tests: a real server on a loopback port, driven by raw WebSocket and HTTP clients
//! so that every byte on the wire is under the test's control.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod auth;
mod bad_input;
mod burst;
mod client_results;
mod close_codes;
mod conformance;
mod groups;
mod http_transports;
mod invocation_ids;
mod keep_alive;
mod lifecycle;
mod limits;
mod messages;
mod msgpack;
mod negotiate;
mod production;
mod raw_and_transports;
mod service;
mod slow_clients;
mod stateful_reconnect;
mod streaming;
mod support;
