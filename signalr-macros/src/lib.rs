//! Procedural macros for `signalr-runtime`.
//!
//! The `#[hub]` attribute arrives with the typed-hubs milestone; until then this crate only
//! reserves its place in the workspace so that the runtime's public API can re-export it without
//! a breaking change.
