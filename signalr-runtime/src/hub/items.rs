//! Typed values a connection keeps for its own life (ASP.NET Core's `Context.Items`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::Extensions;

/// Values stored on one connection, one per type, shared by every invocation on it and
/// dropped when it ends. Reached with [`HubCx::items`](crate::HubCx::items).
///
/// ```
/// # async fn example(cx: &signalr_runtime::HubCx) {
/// #[derive(Clone)]
/// struct Nickname(String);
///
/// cx.items().insert(Nickname("ada".into()));
/// let name = cx.items().get::<Nickname>().map(|Nickname(name)| name);
/// cx.items().update(|count: &mut u32| *count += 1);
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Items {
    values: Mutex<Extensions>,
}

impl Items {
    /// The values. A hub method that panicked inside [`Items::update`] leaves the lock
    /// poisoned; the connection goes on (the panic failed that call only), so its items do too.
    fn values(&self) -> MutexGuard<'_, Extensions> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `value`, returning the value of its type stored before.
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.values().insert(value)
    }

    /// A copy of the stored value of type `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.values().get::<T>().cloned()
    }

    /// Takes the stored value of type `T` out.
    pub fn remove<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.values().remove::<T>()
    }

    /// Changes the stored value of type `T` in place (starting from `T::default()` when none
    /// is stored) and returns what `change` returns. The items are locked meanwhile: `change`
    /// must not use them itself (that would wait for ever).
    pub fn update<T, R>(&self, change: impl FnOnce(&mut T) -> R) -> R
    where
        T: Clone + Default + Send + Sync + 'static,
    {
        change(self.values().get_or_insert_default::<T>())
    }
}
