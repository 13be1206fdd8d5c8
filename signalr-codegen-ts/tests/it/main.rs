//! Generated TypeScript for a fixture contract that covers every type form, compared with the
//! committed files in `tests/expected/` (run with `UPDATE_SNAPSHOTS=1` to rewrite them, then
//! review the diff), and the CLI's `--check`.

// Tests fail by panicking; the library's no-panic lints are meant for library code only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod cli;
mod fixture;
mod snapshots;
mod wire;
