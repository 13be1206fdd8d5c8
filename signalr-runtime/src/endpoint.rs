//! What is mounted at a path: a hub, or a raw connection handler. Transports serve either
//! through [`Endpoint`].

use std::future::Future;
use std::sync::Arc;

use crate::HubOptions;
use crate::connection::{self, ConnectionId, Request};
use crate::hub::Hub;
use crate::hub::dispatch::MethodTable;
use crate::lifetime::ConnectionRegistry;
use crate::raw::{self, ConnectionHandler};
use crate::transport::{FrameSink, FrameSource};

/// Something that serves connections once a transport has them.
pub(crate) trait Endpoint: Send + Sync + 'static {
    /// The endpoint's settings (transports, timeouts).
    fn options(&self) -> &HubOptions;

    /// Serves one connection until it ends.
    fn serve(
        self: Arc<Self>,
        id: ConnectionId,
        request: Request,
        source: impl FrameSource,
        sink: impl FrameSink,
    ) -> impl Future<Output = ()> + Send;
}

/// Everything the connections of one hub path share.
pub(crate) struct HubEndpoint<H> {
    pub(crate) hub: H,
    pub(crate) methods: MethodTable<H>,
    pub(crate) options: HubOptions,
    pub(crate) registry: Arc<ConnectionRegistry>,
}

impl<H: Hub> HubEndpoint<H> {
    /// A hub endpoint whose connections join `registry` (shared by every path of one hub type).
    pub(crate) fn new(hub: H, options: HubOptions, registry: Arc<ConnectionRegistry>) -> Self {
        HubEndpoint {
            hub,
            methods: MethodTable::new(),
            options,
            registry,
        }
    }
}

impl<H: Hub> Endpoint for HubEndpoint<H> {
    fn options(&self) -> &HubOptions {
        &self.options
    }

    // Not an `async fn`: its future would hold the arguments a second time beside
    // `connection::serve`'s, for the connection's whole life.
    fn serve(
        self: Arc<Self>,
        id: ConnectionId,
        request: Request,
        source: impl FrameSource,
        sink: impl FrameSink,
    ) -> impl Future<Output = ()> + Send {
        connection::serve(self, id, request, source, sink)
    }
}

/// A raw connection handler and its settings.
pub(crate) struct RawEndpoint<C> {
    pub(crate) handler: C,
    pub(crate) options: HubOptions,
}

impl<C: ConnectionHandler> Endpoint for RawEndpoint<C> {
    fn options(&self) -> &HubOptions {
        &self.options
    }

    async fn serve(
        self: Arc<Self>,
        id: ConnectionId,
        _request: Request,
        source: impl FrameSource,
        sink: impl FrameSink,
    ) {
        raw::serve(&self.handler, id, source, sink).await;
    }
}
