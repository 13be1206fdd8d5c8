//! WebSocket buffer settings for the baseline server and the load client.
//!
//! They are the values `signalr-runtime` uses for its own WebSocket connections, so that the
//! baseline has neither an advantage nor a handicap in memory or in writes per frame.

use tungstenite::protocol::WebSocketConfig;

/// Bytes read from the socket at a time; larger frames grow the buffer as they need.
pub(crate) const READ_BUFFER: usize = 4 * 1024;

/// Frames are buffered up to this many bytes before a write is forced (a flush writes sooner).
pub(crate) const WRITE_BUFFER: usize = 16 * 1024;

/// The settings above, as tungstenite takes them.
pub(crate) fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(usize::MAX)
}
