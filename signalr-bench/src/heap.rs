//! The bench server's allocator. With the `jemalloc` feature it is jemalloc, purging freed
//! memory in the background so that what a load took goes back to the system, and counting the
//! bytes the program holds (for the soak test's `GET /bench/stats`). Without it, the system
//! allocator (glibc's malloc keeps freed memory in its arenas; see RELIABILITY.md) and no count.

#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The allocator's name, for the soak test's summary.
pub(crate) const NAME: &str = if cfg!(feature = "jemalloc") {
    "jemalloc (background purging)"
} else {
    "the system's malloc"
};

/// Starts jemalloc's background purging threads: without them, dirty pages are purged only
/// when the arena that holds them is used again, which an idle server never does.
pub(crate) fn start() {
    #[cfg(feature = "jemalloc")]
    if let Err(error) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("jemalloc background threads: {error}");
    }
}

/// Bytes the program holds from its allocator, when the allocator counts them.
pub(crate) fn allocated() -> Option<u64> {
    #[cfg(feature = "jemalloc")]
    {
        // jemalloc's statistics are a snapshot refreshed by advancing its epoch.
        tikv_jemalloc_ctl::epoch::advance().ok()?;
        tikv_jemalloc_ctl::stats::allocated::read()
            .ok()
            .and_then(|bytes| u64::try_from(bytes).ok())
    }
    #[cfg(not(feature = "jemalloc"))]
    None
}
