//! The HTTP request that opened a connection's transport: what transports hand to the
//! connection, and what the hub may read of it.

use std::net::SocketAddr;

use axum::http::{Extensions, HeaderMap, Uri};

use crate::auth::User;

/// The HTTP request that opened the transport, as the hub may see it.
#[derive(Debug)]
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
