//! What a hub method knows about the call it serves.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::http::{Extensions, HeaderMap, Uri};
use tokio_util::sync::CancellationToken;

use super::{Clients, Groups, Items};
use crate::auth::User;
use crate::closing::Closing;
use crate::connection_id::ConnectionId;
use crate::protocol::Close;
use crate::request::Request;
use crate::transport::Transport;

/// Facts about one connection, shared by every invocation on it.
pub(crate) struct ConnectionInfo {
    pub(crate) id: ConnectionId,
    /// The request that opened the transport, in the box the transport made for it (moving
    /// its parts out would leave that box allocated beside them).
    pub(crate) request: Box<Request>,
    pub(crate) items: Items,
    pub(crate) transport: Transport,
    pub(crate) user_id: Option<String>,
    /// Set once to end the connection; the connection's tasks watch it.
    pub(crate) closing: Closing,
}

impl ConnectionInfo {
    /// The client's address, from axum's `ConnectInfo` among the request's extensions.
    pub(crate) fn remote_addr(&self) -> Option<SocketAddr> {
        self.request
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|axum::extract::ConnectInfo(address)| *address)
    }
}

impl std::fmt::Debug for ConnectionInfo {
    /// Without the query or header values of the request: they hold tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInfo")
            .field("id", &self.id)
            .field("path", &crate::redact::PathOnly(&self.request.uri))
            .field("headers", &crate::redact::NamesOnly(&self.request.headers))
            .field("remote_addr", &self.remote_addr())
            .field("transport", &self.transport)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// The context of a hub method call: who called, over which request, and how to reach clients.
#[derive(Debug, Clone)]
pub struct HubCx {
    connection: Arc<ConnectionInfo>,
    clients: Clients,
    /// The call's cancellation; `None` outside a call (`on_connected`, `on_disconnected`), where
    /// nothing cancels (a token per connection that nothing cancelled cost every idle
    /// connection 112 bytes).
    cancellation: Option<CancellationToken>,
}

impl HubCx {
    pub(crate) fn new(connection: Arc<ConnectionInfo>, clients: Clients) -> Self {
        HubCx {
            connection,
            clients,
            cancellation: None,
        }
    }

    /// The same context, whose clients refuse client results: `on_connected` runs before the
    /// connection reads anything, so an answer could never arrive (ASP.NET Core refuses too).
    pub(crate) fn without_client_results(&self) -> Self {
        HubCx {
            clients: self.clients.without_results(),
            ..self.clone()
        }
    }

    /// The same context with the cancellation of one invocation.
    pub(crate) fn for_invocation(&self, cancellation: CancellationToken) -> Self {
        HubCx {
            cancellation: Some(cancellation),
            ..self.clone()
        }
    }

    /// Completes when the call is cancelled: the client sent CancelInvocation for it (a
    /// stream it no longer wants), or the connection ended. Outside a hub method call (in
    /// `on_connected` and `on_disconnected`) it never completes.
    pub async fn cancelled(&self) {
        match &self.cancellation {
            Some(cancellation) => cancellation.cancelled().await,
            None => std::future::pending().await,
        }
    }

    /// Whether the call is cancelled (see [`HubCx::cancelled`]).
    pub fn is_cancelled(&self) -> bool {
        self.cancellation
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
    }

    /// The caller's connection id, the same the client received from negotiate.
    pub fn connection_id(&self) -> &ConnectionId {
        &self.connection.id
    }

    /// The clients connected to this hub, starting from the caller's point of view.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The caller's user id: what [`HubOptions::user_id`](crate::HubOptions::user_id) says
    /// when it names someone, else the authenticated user's id.
    pub fn user_identifier(&self) -> Option<&str> {
        self.connection.user_id.as_deref()
    }

    /// The caller's authenticated user, if any (see [`auth`](crate::auth)).
    pub fn user(&self) -> Option<&User> {
        self.connection.request.user.as_deref()
    }

    /// The hub's groups: add or remove connections.
    pub fn groups(&self) -> Groups {
        self.clients.group_manager()
    }

    /// The transport carrying the caller's connection.
    pub fn transport(&self) -> Transport {
        self.connection.transport
    }

    /// The headers of the HTTP request that opened the connection's transport, without those
    /// about the HTTP connection and the WebSocket handshake (`Connection`, `Upgrade`,
    /// `Sec-WebSocket-Key`, `-Version` and `-Extensions`).
    pub fn headers(&self) -> &HeaderMap {
        &self.connection.request.headers
    }

    /// The URI (path and query) of the HTTP request that opened the connection's transport.
    pub fn uri(&self) -> &Uri {
        &self.connection.request.uri
    }

    /// What tower layers in front of the router put on the request that opened the
    /// connection's transport (the claims of an authentication middleware, a tenant).
    pub fn extensions(&self) -> &Extensions {
        &self.connection.request.extensions
    }

    /// The value of type `T` in the transport request's [extensions](Self::extensions).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.connection.request.extensions.get::<T>()
    }

    /// The client's address, when the server was started with
    /// `into_make_service_with_connect_info::<SocketAddr>()`.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.connection.remote_addr()
    }

    /// Values the connection keeps for its life, one per type (ASP.NET Core's
    /// `Context.Items`).
    pub fn items(&self) -> &Items {
        &self.connection.items
    }

    /// The first query parameter of the transport request called `name` (matched ignoring
    /// ASCII case, as ASP.NET Core does), percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        crate::transport::query::query_param(self.connection.request.uri.query(), name)
    }

    /// The value of cookie `name` sent with the transport request.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.connection
            .request
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|header| header.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// Closes the caller's connection after the messages already queued for it. The client is
    /// told not to reconnect.
    pub fn abort(&self) {
        self.connection.closing.request(Close::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn debug_output_shows_no_token() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer HEADERSECRET"),
        );
        let closing = Closing::default();
        let info = ConnectionInfo {
            id: ConnectionId::from("visible-id"),
            request: Box::new(Request {
                uri: Uri::from_static("/hub?id=CONNTOKEN&access_token=QUERYSECRET"),
                headers,
                extensions: Extensions::new(),
                user: None,
            }),
            items: Items::default(),
            transport: Transport::WebSockets,
            user_id: None,
            closing,
        };
        let shown = format!("{info:?}");
        for secret in ["CONNTOKEN", "QUERYSECRET", "HEADERSECRET"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("visible-id") && shown.contains("authorization"),
            "{shown}"
        );
    }
}
