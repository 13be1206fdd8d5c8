//! Connection settings, and the builder that collects them.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::reconnect::{DefaultRetryPolicy, RetryPolicy};
use super::url::HubUrl;
use super::{ClientError, HubConnection};
use crate::Transport;
use crate::protocol::Protocol;

/// Produces the access token for each connection attempt (negotiate and transport).
pub(crate) type TokenFactory =
    Arc<dyn Fn() -> BoxFuture<'static, Result<String, ClientError>> + Send + Sync>;

/// Everything a connection attempt needs.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) url: HubUrl,
    pub(crate) protocol: Protocol,
    pub(crate) transports: Vec<Transport>,
    pub(crate) skip_negotiation: bool,
    pub(crate) access_token: Option<TokenFactory>,
    /// Sent with every HTTP request and the WebSocket upgrade.
    pub(crate) headers: Vec<(axum::http::HeaderName, String)>,
    pub(crate) keep_alive_interval: Duration,
    pub(crate) server_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_message_size: usize,
    pub(crate) reconnect: Option<Arc<dyn RetryPolicy>>,
    /// Bytes of unacknowledged messages kept for a reattach; `None` without stateful reconnect.
    pub(crate) stateful_reconnect: Option<usize>,
    /// The connection's cookies and TLS settings, shared by its sessions (clones of the config
    /// share them).
    pub(crate) net: super::net::Net,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url.to_string())
            .field("protocol", &self.protocol)
            .field("transports", &self.transports)
            .field("skip_negotiation", &self.skip_negotiation)
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("server_timeout", &self.server_timeout)
            .field("reconnect", &self.reconnect.is_some())
            .field("stateful_reconnect", &self.stateful_reconnect)
            .finish_non_exhaustive()
    }
}

/// The official clients' default buffer for stateful reconnect.
const STATEFUL_RECONNECT_BUFFER_SIZE: usize = 100_000;

/// Configures a [`HubConnection`].
///
/// ```
/// use std::time::Duration;
/// use signalr_runtime::Transport;
/// use signalr_runtime::client::HubConnection;
/// use signalr_runtime::protocol::Protocol;
///
/// let connection = HubConnection::builder("http://localhost:5000/chat")
///     .protocol(Protocol::MessagePack)
///     .transports([Transport::WebSockets, Transport::LongPolling])
///     .access_token_factory(|| async { Ok("secret".to_owned()) })
///     .server_timeout(Duration::from_secs(60))
///     .with_automatic_reconnect()
///     .build()
///     .unwrap();
/// # drop(connection);
/// ```
#[derive(Debug)]
#[must_use]
pub struct HubConnectionBuilder {
    url: String,
    /// Headers as given, checked in `build`.
    headers: Vec<(String, String)>,
    /// Root certificates (PEM) trusted beside the Mozilla roots, read in `build`.
    #[cfg(feature = "tls")]
    roots: Vec<Vec<u8>>,
    config: Config,
}

impl HubConnectionBuilder {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        HubConnectionBuilder {
            url: url.into(),
            headers: Vec::new(),
            #[cfg(feature = "tls")]
            roots: Vec::new(),
            config: Config {
                // Replaced by the parsed URL in `build`.
                url: HubUrl::placeholder(),
                protocol: Protocol::Json,
                transports: Transport::ALL.to_vec(),
                skip_negotiation: false,
                access_token: None,
                headers: Vec::new(),
                keep_alive_interval: Duration::from_secs(15),
                server_timeout: Duration::from_secs(30),
                handshake_timeout: Duration::from_secs(15),
                max_message_size: 32 * 1024 * 1024,
                reconnect: None,
                stateful_reconnect: None,
                net: super::net::Net::default(),
            },
        }
    }

    /// The hub protocol: JSON (the default) or MessagePack.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// The transports this client may use, all three by default. Negotiate picks the first the
    /// server offers that suits the protocol (Server-Sent Events carry only JSON); if it fails
    /// to connect, the next one is tried.
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.config.transports = transports.into_iter().collect();
        self
    }

    /// Connects a WebSocket straight to the URL without negotiating (the server must allow it;
    /// redirects and other transports are then unavailable).
    pub fn skip_negotiation(mut self, skip: bool) -> Self {
        self.config.skip_negotiation = skip;
        self
    }

    /// Asks `factory` for a bearer token before every connection attempt, and once more when
    /// negotiate or the transport answers 401 (the token may have expired), as the official
    /// clients do. A negotiate redirect that names its own access token replaces it for that
    /// attempt.
    pub fn access_token_factory<F, Fut>(mut self, factory: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ClientError>> + Send + 'static,
    {
        self.config.access_token = Some(Arc::new(move || Box::pin(factory())));
        self
    }

    /// Sends header `name: value` with negotiate, every Long Polling request and the
    /// WebSocket upgrade.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How long the client may stay silent before it sends a Ping (15 seconds by default).
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.config.keep_alive_interval = interval;
        self
    }

    /// How long the server may stay silent before the connection is considered lost (30
    /// seconds by default; keep it at least twice the server's keep-alive interval). Long
    /// Polling keeps itself alive and does not use it.
    pub fn server_timeout(mut self, timeout: Duration) -> Self {
        self.config.server_timeout = timeout;
        self
    }

    /// How long the server may take to answer the handshake (15 seconds by default).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.config.handshake_timeout = timeout;
        self
    }

    /// The largest message accepted from the server (32 MiB by default); a larger one ends the
    /// connection with a protocol error.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// Reconnects after a lost connection, waiting 0, 2, 10 and 30 seconds before the four
    /// attempts (ASP.NET Core's default), then gives up.
    pub fn with_automatic_reconnect(self) -> Self {
        self.with_reconnect_policy(DefaultRetryPolicy::default())
    }

    /// Reconnects after a lost connection as `policy` says.
    pub fn with_reconnect_policy(mut self, policy: impl RetryPolicy) -> Self {
        self.config.reconnect = Some(Arc::new(policy));
        self
    }

    /// Keeps the connection across a dropped WebSocket, as the official clients'
    /// `withStatefulReconnect()`: the client asks for it in negotiate, both sides keep what they
    /// sent until the other acknowledges it, and when the WebSocket drops the client opens a
    /// new one to the same connection and both replay what the other missed. Invocations,
    /// streams and handlers carry on; the reconnecting callbacks are not called. Only over
    /// WebSockets, and only where the server allows it (ASP.NET Core's
    /// `AllowStatefulReconnects`, this crate's `HubOptions::allow_stateful_reconnects`); if the
    /// new WebSocket is refused, the connection is lost as without it (and automatic reconnect,
    /// if configured, starts a new one).
    pub fn with_stateful_reconnect(mut self) -> Self {
        self.config.stateful_reconnect = Some(STATEFUL_RECONNECT_BUFFER_SIZE);
        self
    }

    /// How many bytes of sent messages the client keeps until the server acknowledges them
    /// (100 000 by default, as the official clients); beyond that, sending waits for
    /// acknowledgements. Turns stateful reconnect on.
    pub fn stateful_reconnect_buffer_size(mut self, bytes: usize) -> Self {
        self.config.stateful_reconnect = Some(bytes.max(1));
        self
    }

    /// Trusts the certificate authorities in `pem` (one or more PEM certificates) for `https://`
    /// and `wss://` URLs, beside the Mozilla roots: for servers whose certificates a private CA
    /// signed (feature `tls`).
    ///
    /// ```no_run
    /// use signalr_runtime::client::HubConnection;
    ///
    /// let ca = std::fs::read("ca.pem").unwrap();
    /// let connection = HubConnection::builder("https://hub.internal:5001/chat")
    ///     .add_root_certificate(ca)
    ///     .build()
    ///     .unwrap();
    /// # drop(connection);
    /// ```
    #[cfg(feature = "tls")]
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(pem.into());
        self
    }

    /// Builds the connection (not yet started).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidUrl`] when the URL is not an absolute `http`/`ws` URL,
    /// [`ClientError::InvalidHeader`] when a header is not valid, [`ClientError::Tls`] when a
    /// root certificate cannot be read.
    pub fn build(mut self) -> Result<HubConnection, ClientError> {
        self.config.url = HubUrl::parse(&self.url)?;
        #[cfg(feature = "tls")]
        {
            let tls = super::net::tls_config(&self.roots)?;
            self.config.net = self.config.net.with_tls(tls);
        }
        for (name, value) in self.headers {
            let name = axum::http::HeaderName::try_from(name.as_str()).map_err(|_| {
                ClientError::InvalidHeader(format!("{name:?} is not a header name"))
            })?;
            axum::http::HeaderValue::try_from(value.as_str()).map_err(|_| {
                ClientError::InvalidHeader(format!("the value of {name} is not valid"))
            })?;
            self.config.headers.push((name, value));
        }
        Ok(HubConnection::from_config(self.config))
    }
}
