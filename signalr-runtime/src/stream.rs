//! What streaming hub methods need from the `futures` family, re-exported so applications depend
//! on one crate.
//!
//! ```
//! use signalr_runtime::stream::{self, Stream, StreamExt};
//!
//! fn countdown(from: u32) -> impl Stream<Item = u32> + Send {
//!     stream::iter((0..=from).rev())
//! }
//! # let _ = countdown(3).boxed();
//! ```

pub use futures_util::stream::{
    BoxStream, Empty, Iter, Pending, Stream, StreamExt, empty, iter, once, pending, select, unfold,
};
