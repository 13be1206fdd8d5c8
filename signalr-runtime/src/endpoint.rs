//! What is mounted at a path: a hub, or a raw connection handler, each served through the
//! transports' [`Endpoint`].

use std::future::Future;
use std::sync::Arc;

use crate::HubOptions;
use crate::connection::{self, HubEndpoint};
use crate::connection_id::ConnectionId;
use crate::hub::Hub;
use crate::raw::{self, ConnectionHandler};
use crate::request::Request;
use crate::transport::{Endpoint, FrameSink, FrameSource};

impl<H: Hub> Endpoint for HubEndpoint<H> {
    fn options(&self) -> &HubOptions {
        &self.options
    }

    fn admits(&self, user: Option<&crate::auth::User>) -> Result<(), axum::http::StatusCode> {
        self.admits(user)
    }

    // Not an `async fn`: its future would hold the arguments a second time beside
    // `connection::serve`'s, for the connection's whole life.
    fn serve(
        self: Arc<Self>,
        id: ConnectionId,
        request: Box<Request>,
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
        request: Box<Request>,
        source: impl FrameSource,
        sink: impl FrameSink,
    ) {
        raw::serve(&self.handler, id, *request, source, sink).await;
    }
}
