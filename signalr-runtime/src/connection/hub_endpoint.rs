//! Everything the connections of one hub path share.

use std::sync::Arc;

use crate::HubOptions;
use crate::hub::Hub;
use crate::hub::dispatch::MethodTable;
use crate::lifetime::HubLifetimeManager;
use crate::shutdown::Shutdown;

/// A hub mounted at one path: the hub, its method table, its settings, the lifetime manager of
/// its hub type, and the shutdown that tracks its connections.
pub(crate) struct HubEndpoint<H> {
    pub(crate) hub: H,
    pub(crate) methods: MethodTable<H>,
    pub(crate) options: HubOptions,
    pub(crate) manager: Arc<dyn HubLifetimeManager>,
    pub(crate) shutdown: Shutdown,
}

impl<H: Hub> HubEndpoint<H> {
    /// A hub endpoint whose connections join `manager` (shared by every path of one hub type).
    pub(crate) fn new(
        hub: H,
        options: HubOptions,
        manager: Arc<dyn HubLifetimeManager>,
        shutdown: Shutdown,
    ) -> Self {
        HubEndpoint {
            hub,
            methods: MethodTable::new(),
            options,
            manager,
            shutdown,
        }
    }
}
