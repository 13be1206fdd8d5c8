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

    pub(crate) fn add(gauge: &AtomicUsize, count: usize) {
        gauge.fetch_add(count, Ordering::Relaxed);
    }

    pub(crate) fn sub(gauge: &AtomicUsize, count: usize) {
        gauge.fetch_sub(count, Ordering::Relaxed);
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
        enabled::add(&enabled::CONNECTIONS, 1);
        Served(())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        #[cfg(feature = "stats")]
        enabled::sub(&enabled::CONNECTIONS, 1);
    }
}

/// `count` connections entered (`true`) or left (`false`) a registry.
pub(crate) fn registered(entered: bool, count: usize) {
    #[cfg(feature = "stats")]
    if entered {
        enabled::add(&enabled::REGISTERED, count);
    } else {
        enabled::sub(&enabled::REGISTERED, count);
    }
    #[cfg(not(feature = "stats"))]
    let _ = (entered, count);
}

/// `count` negotiate tokens were made (`true`) or forgotten (`false`).
pub(crate) fn tokens(made: bool, count: usize) {
    #[cfg(feature = "stats")]
    if made {
        enabled::add(&enabled::TOKENS, count);
    } else {
        enabled::sub(&enabled::TOKENS, count);
    }
    #[cfg(not(feature = "stats"))]
    let _ = (made, count);
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
