//! Process-wide gauges for soak and leak tests (feature `stats`): what connections hold in the
//! runtime's tables, so that a test can see it all return once they have closed. Without the
//! feature every function here is empty.

#[cfg(feature = "stats")]
mod enabled {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Connections being served (from their transport's start to their end).
    pub(crate) static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);
    /// Connections in in-process lifetime managers' registries.
    pub(crate) static REGISTERED: AtomicUsize = AtomicUsize::new(0);
    /// Negotiate tokens held (negotiated connections, connected or not yet).
    pub(crate) static TOKENS: AtomicUsize = AtomicUsize::new(0);

    /// One more (`true`) or one fewer (`false`).
    pub(crate) fn change(gauge: &AtomicUsize, up: bool) {
        if up {
            gauge.fetch_add(1, Ordering::Relaxed);
        } else {
            gauge.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn read(gauge: &AtomicUsize) -> usize {
        gauge.load(Ordering::Relaxed)
    }
}

/// Counts one connection as served while it lives.
#[derive(Debug)]
pub(crate) struct Served(());

impl Served {
    pub(crate) fn start() -> Self {
        #[cfg(feature = "stats")]
        enabled::change(&enabled::CONNECTIONS, true);
        Served(())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        #[cfg(feature = "stats")]
        enabled::change(&enabled::CONNECTIONS, false);
    }
}

/// A connection entered (`true`) or left (`false`) a registry.
pub(crate) fn registered(entered: bool) {
    #[cfg(feature = "stats")]
    enabled::change(&enabled::REGISTERED, entered);
    #[cfg(not(feature = "stats"))]
    let _ = entered;
}

/// A negotiate token was made (`true`) or forgotten (`false`).
pub(crate) fn token(made: bool) {
    #[cfg(feature = "stats")]
    enabled::change(&enabled::TOKENS, made);
    #[cfg(not(feature = "stats"))]
    let _ = made;
}

/// What the gauges read now: connections served, registered, and negotiate tokens held.
#[cfg(feature = "stats")]
pub(crate) fn snapshot() -> [usize; 3] {
    [
        enabled::read(&enabled::CONNECTIONS),
        enabled::read(&enabled::REGISTERED),
        enabled::read(&enabled::TOKENS),
    ]
}
