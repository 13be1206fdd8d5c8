//! WebSocket buffer settings for the baseline server and the load client.
//!
//! tungstenite reads at most its read buffer's size per system call. `signalr-runtime` gives it
//! 1 KiB because its own reader below takes up to 8 KiB from the socket at a time; the baseline
//! reads straight from the socket, so it gets 4 KiB: the same few reads per burst, and 3 KiB more
//! per idle connection, which the idle-memory row shows.

use tungstenite::protocol::WebSocketConfig;

/// Bytes read from the socket at a time; a larger frame grows the buffer as far as it needs.
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
