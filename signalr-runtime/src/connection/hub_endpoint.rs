//! Everything the connections of one hub path share.

use std::sync::Arc;

use crate::HubOptions;
use crate::hub::dispatch::MethodTable;
use crate::hub::{Filters, Hub};
use crate::lifetime::HubLifetimeManager;
use crate::shutdown::Shutdown;

/// A hub mounted at one path: the hub, its method table, its settings, the lifetime manager of
/// its hub type, and the shutdown that tracks its connections.
pub(crate) struct HubEndpoint<H> {
    /// The path the hub is mounted at.
    pub(crate) path: Arc<str>,
    pub(crate) hub: H,
    pub(crate) methods: MethodTable<H>,
    pub(crate) options: HubOptions,
    pub(crate) manager: Arc<dyn HubLifetimeManager>,
    pub(crate) shutdown: Shutdown,
}

impl<H: Hub> HubEndpoint<H> {
    /// A hub endpoint at `path` whose connections join `manager` (shared by every path of one
    /// hub type); its invocations pass the global filters, then those of `options`.
    pub(crate) fn new(
        path: &str,
        hub: H,
        mut options: HubOptions,
        manager: Arc<dyn HubLifetimeManager>,
        shutdown: Shutdown,
        global_filters: &Filters,
    ) -> Self {
        // A hub whose every method requires something refuses anonymous requests at the door,
        // as ASP.NET Core does for `[Authorize]` on a hub class.
        if !H::authorization().is_empty() {
            options.require_authentication = true;
        }
        let filters = global_filters
            .iter()
            .chain(&options.filters)
            .cloned()
            .collect();
        HubEndpoint {
            path: path.into(),
            hub,
            methods: MethodTable::new(path, &options, filters),
            options,
            manager,
            shutdown,
        }
    }
}
