//! The HTTP request that opened a connection's transport: what transports hand to the
//! connection, and what the hub may read of it.

use std::net::SocketAddr;

use axum::http::{Extensions, HeaderMap, Uri};

use crate::auth::User;

/// The HTTP request that opened the transport, as the hub may see it.
pub(crate) struct Request {
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    /// What tower layers in front of the router put on it.
    pub(crate) extensions: Extensions,
    /// The client's address, when the server records it (`ConnectInfo`).
    pub(crate) remote_addr: Option<SocketAddr>,
    /// Who sent it, as the endpoint's authenticator found.
    pub(crate) user: Option<User>,
}

impl std::fmt::Debug for Request {
    /// Without the query or header values: they hold tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("path", &crate::redact::PathOnly(&self.uri))
            .field("headers", &crate::redact::NamesOnly(&self.headers))
            .field("remote_addr", &self.remote_addr)
            .field("user", &self.user.as_ref().map(|user| &user.id))
            .finish_non_exhaustive()
    }
}
