//! The HTTP request that opened a connection's transport: what transports hand to the
//! connection, and what the hub may read of it.

use axum::http::{Extensions, HeaderMap, Uri};

use crate::auth::User;

/// The HTTP request that opened the transport, as the hub may see it.
pub(crate) struct Request {
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    /// What tower layers in front of the router put on it (and axum's `ConnectInfo`, the
    /// client's address, when the server records it).
    pub(crate) extensions: Extensions,
    /// Who sent it, as the endpoint's authenticator found; boxed, as most connections are
    /// anonymous and every one keeps this for its life.
    pub(crate) user: Option<Box<User>>,
}

impl std::fmt::Debug for Request {
    /// Without the query or header values: they hold tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("path", &crate::redact::PathOnly(&self.uri))
            .field("headers", &crate::redact::NamesOnly(&self.headers))
            .field("user", &self.user.as_ref().map(|user| &user.id))
            .finish_non_exhaustive()
    }
}
