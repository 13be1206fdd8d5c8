//! Callbacks for the moments a connection's life changes.

use std::sync::{Arc, Mutex, PoisonError};

use super::ClientError;

type Reconnecting = Arc<dyn Fn(&ClientError) + Send + Sync>;
type Reconnected = Arc<dyn Fn(Option<&str>) + Send + Sync>;
type Closed = Arc<dyn Fn(Option<&ClientError>) + Send + Sync>;

/// Every registered callback.
#[derive(Default)]
pub(crate) struct Events {
    reconnecting: Mutex<Vec<Reconnecting>>,
    reconnected: Mutex<Vec<Reconnected>>,
    closed: Mutex<Vec<Closed>>,
}

/// A copy of the list, so callbacks run without the lock (they may register more).
fn snapshot<T: Clone>(list: &Mutex<Vec<T>>) -> Vec<T> {
    list.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    list.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(item);
}

impl Events {
    pub(crate) fn on_reconnecting(&self, callback: impl Fn(&ClientError) + Send + Sync + 'static) {
        push(&self.reconnecting, Arc::new(callback));
    }

    pub(crate) fn on_reconnected(&self, callback: impl Fn(Option<&str>) + Send + Sync + 'static) {
        push(&self.reconnected, Arc::new(callback));
    }

    pub(crate) fn on_closed(
        &self,
        callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static,
    ) {
        push(&self.closed, Arc::new(callback));
    }

    pub(crate) fn reconnecting(&self, error: &ClientError) {
        for callback in snapshot(&self.reconnecting) {
            callback(error);
        }
    }

    pub(crate) fn reconnected(&self, connection_id: Option<&str>) {
        for callback in snapshot(&self.reconnected) {
            callback(connection_id);
        }
    }

    pub(crate) fn closed(&self, error: Option<&ClientError>) {
        for callback in snapshot(&self.closed) {
            callback(error);
        }
    }
}
