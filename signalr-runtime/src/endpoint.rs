//! One mounted hub: the hub value, its method table, its options and its connections.

use std::sync::Arc;

use crate::HubOptions;
use crate::hub::Hub;
use crate::hub::dispatch::MethodTable;
use crate::lifetime::ConnectionRegistry;

/// Everything the connections of one hub path share.
pub(crate) struct HubEndpoint<H> {
    pub(crate) hub: H,
    pub(crate) methods: MethodTable<H>,
    pub(crate) options: HubOptions,
    pub(crate) registry: Arc<ConnectionRegistry>,
}

impl<H: Hub> HubEndpoint<H> {
    pub(crate) fn new(hub: H, options: HubOptions) -> Self {
        HubEndpoint {
            hub,
            methods: MethodTable::new(),
            options,
            registry: Arc::default(),
        }
    }
}
