//! How anyone (the hub, a shutdown, the writer) asks one connection to end.

use tokio::sync::watch;

use crate::protocol::Close;

/// The sending side of a connection's close request; the connection's tasks watch it.
pub(crate) type Closing = watch::Sender<Option<Close>>;

/// Asks a connection to end with `close`; the first request wins.
pub(crate) fn request_close(closing: &Closing, close: Close) {
    closing.send_if_modified(|current| {
        let first = current.is_none();
        if first {
            *current = Some(close);
        }
        first
    });
}
