//! Per-hub settings, with ASP.NET Core's defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Uri};

use crate::auth::{
    Authenticate, Authenticated, AuthorizationContext, Credentials, DynAuthenticate, FromAsyncFn,
    FromFn, Policies, User,
};
use crate::hub::{DynHubFilter, HubFilter};
use crate::transport::Transport;

/// The smallest keep-alive interval: shorter ones would only flood the client with Pings.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// The largest upload stream buffer, far above any sensible setting (tokio's channels have a limit).
const MAX_QUEUE_CAPACITY: usize = 1 << 20;

/// Settings of one hub endpoint.
///
/// The defaults are ASP.NET Core's `HubOptions` defaults, so official clients see the timing
/// they expect.
///
/// ```
/// use std::time::Duration;
/// use signalr_runtime::HubOptions;
///
/// let options = HubOptions::default()
///     .keep_alive_interval(Duration::from_secs(10))
///     .detailed_errors(true);
/// assert_eq!(options.get_keep_alive_interval(), Duration::from_secs(10));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct HubOptions {
    pub(crate) keep_alive_interval: Duration,
    pub(crate) client_timeout_interval: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) maximum_receive_message_size: usize,
    pub(crate) maximum_parallel_invocations_per_client: usize,
    pub(crate) transport_max_buffer_size: usize,
    pub(crate) detailed_errors: bool,
    pub(crate) disconnect_timeout: Duration,
    pub(crate) long_poll_timeout: Duration,
    pub(crate) transports: Vec<Transport>,
    pub(crate) send_timeout: Duration,
    pub(crate) slow_client_wait: Duration,
    pub(crate) slow_client_buffer_size: usize,
    pub(crate) allow_stateful_reconnects: bool,
    pub(crate) stateful_reconnect_buffer_size: usize,
    pub(crate) user_id: Option<UserIdProvider>,
    pub(crate) stream_buffer_capacity: usize,
    pub(crate) authenticator: Option<Arc<dyn DynAuthenticate>>,
    pub(crate) policies: Policies,
    pub(crate) filters: Vec<Arc<dyn DynHubFilter>>,
    pub(crate) require_authentication: bool,
    pub(crate) allowed_origins: Option<Vec<String>>,
}

/// Finds the user a connection belongs to, from the request that opened its transport.
pub(crate) type UserIdProvider = Arc<dyn Fn(&HeaderMap, &Uri) -> Option<String> + Send + Sync>;

impl fmt::Debug for HubOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubOptions")
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("client_timeout_interval", &self.client_timeout_interval)
            .field("handshake_timeout", &self.handshake_timeout)
            .field(
                "maximum_receive_message_size",
                &self.maximum_receive_message_size,
            )
            .field(
                "maximum_parallel_invocations_per_client",
                &self.maximum_parallel_invocations_per_client,
            )
            .field("transport_max_buffer_size", &self.transport_max_buffer_size)
            .field("detailed_errors", &self.detailed_errors)
            .field("disconnect_timeout", &self.disconnect_timeout)
            .field("long_poll_timeout", &self.long_poll_timeout)
            .field("transports", &self.transports)
            .field("send_timeout", &self.send_timeout)
            .field("slow_client_wait", &self.slow_client_wait)
            .field("slow_client_buffer_size", &self.slow_client_buffer_size)
            .field("allow_stateful_reconnects", &self.allow_stateful_reconnects)
            .field(
                "stateful_reconnect_buffer_size",
                &self.stateful_reconnect_buffer_size,
            )
            .field("user_id", &self.user_id.as_ref().map(|_| "<fn>"))
            .field("stream_buffer_capacity", &self.stream_buffer_capacity)
            .field(
                "authenticator",
                &self.authenticator.as_ref().map(|_| "<authenticator>"),
            )
            .field("policies", &self.policies)
            .field("filters", &self.filters.len())
            .field("require_authentication", &self.require_authentication)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            keep_alive_interval: Duration::from_secs(15),
            client_timeout_interval: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(15),
            maximum_receive_message_size: 32 * 1024,
            maximum_parallel_invocations_per_client: 1,
            transport_max_buffer_size: 64 * 1024,
            detailed_errors: false,
            disconnect_timeout: Duration::from_secs(15),
            long_poll_timeout: Duration::from_secs(90),
            transports: Transport::ALL.to_vec(),
            send_timeout: Duration::from_secs(10),
            slow_client_wait: Duration::from_millis(500),
            slow_client_buffer_size: 1024 * 1024,
            allow_stateful_reconnects: false,
            stateful_reconnect_buffer_size: 100_000,
            user_id: None,
            stream_buffer_capacity: 10,
            authenticator: None,
            policies: Policies::default(),
            filters: Vec::new(),
            require_authentication: false,
            allowed_origins: None,
        }
    }
}

impl HubOptions {
    /// Sends a Ping after this long without sending anything (default 15 s).
    #[must_use]
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval.max(MIN_INTERVAL);
        self
    }

    /// Closes a connection that has sent nothing for this long (default 30 s). The timer starts
    /// with the client's first Ping, so clients that never ping are never timed out.
    #[must_use]
    pub fn client_timeout_interval(mut self, interval: Duration) -> Self {
        self.client_timeout_interval = interval;
        self
    }

    /// Closes a connection whose handshake has not arrived in this time (default 15 s).
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest message, handshake included, a client may send (default 32 KiB).
    #[must_use]
    pub fn maximum_receive_message_size(mut self, bytes: usize) -> Self {
        self.maximum_receive_message_size = bytes.max(1);
        self
    }

    /// How many invocations of one client run at the same time (default 1); later ones wait.
    #[must_use]
    pub fn maximum_parallel_invocations_per_client(mut self, count: usize) -> Self {
        self.maximum_parallel_invocations_per_client =
            count.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        self
    }

    /// How many bytes may wait for one client before whoever sends to it waits (default
    /// 64 KiB, ASP.NET Core's `TransportMaxBufferSize`).
    ///
    /// A sender (a hub method broadcasting, a [`HubContext`](crate::hub::HubContext)) whose
    /// receivers are that far behind waits until they catch up, so a burst from one client slows
    /// that client down and reaches every reader in full. It waits for one receiver at most
    /// [`slow_client_wait`](Self::slow_client_wait); a receiver that has not caught up by then is
    /// slow, and is no longer waited for (see there). A client's own answers always wait: a
    /// client that calls faster than it reads is read no further until it catches up. Nobody is
    /// ever disconnected because of someone else's burst.
    #[must_use]
    pub fn transport_max_buffer_size(mut self, bytes: usize) -> Self {
        self.transport_max_buffer_size = bytes.max(1);
        self
    }

    /// How long a sender waits for a client whose queue is full before that client counts as
    /// slow (default 500 ms; ASP.NET Core has no such setting and waits as long as the
    /// transport does).
    ///
    /// Messages for a slow client are kept without anybody waiting, up to
    /// [`slow_client_buffer_size`](Self::slow_client_buffer_size), until it reads again: a client
    /// whose network is stuck delays other clients' broadcasts by this much once, not by the
    /// [`send_timeout`](Self::send_timeout) for every message.
    ///
    /// ```
    /// use std::time::Duration;
    /// use signalr_runtime::HubOptions;
    ///
    /// // A trading feed: never hold a broadcast up for a lagging client more than 50 ms,
    /// // and keep up to 4 MiB for it before disconnecting it.
    /// let options = HubOptions::default()
    ///     .slow_client_wait(Duration::from_millis(50))
    ///     .slow_client_buffer_size(4 << 20);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn slow_client_wait(mut self, wait: Duration) -> Self {
        self.slow_client_wait = wait;
        self
    }

    /// The most that may wait for a slow client (default 1 MiB); a message that would take it
    /// beyond this disconnects the client (its messages are dropped with it, and its close
    /// allows a reconnect). See [`slow_client_wait`](Self::slow_client_wait).
    #[must_use]
    pub fn slow_client_buffer_size(mut self, bytes: usize) -> Self {
        self.slow_client_buffer_size = bytes;
        self
    }

    /// Sends the type and message of internal errors to clients (default off, as in
    /// ASP.NET Core's `EnableDetailedErrors`). Turn it on in development only.
    #[must_use]
    pub fn detailed_errors(mut self, enabled: bool) -> Self {
        self.detailed_errors = enabled;
        self
    }

    /// Forgets a negotiated connection that has not connected within this time (default 15 s).
    #[must_use]
    pub fn disconnect_timeout(mut self, timeout: Duration) -> Self {
        self.disconnect_timeout = timeout;
        self
    }

    /// How many items of an upload stream wait for the hub method to read them (default 10, as
    /// ASP.NET Core's `StreamBufferCapacity`); beyond that the connection stops reading the
    /// client until the method catches up.
    #[must_use]
    pub fn stream_buffer_capacity(mut self, items: usize) -> Self {
        self.stream_buffer_capacity = items.clamp(1, MAX_QUEUE_CAPACITY);
        self
    }

    /// Lets clients that ask for it (`withStatefulReconnect()`) keep their connection across a
    /// dropped WebSocket (default off, as ASP.NET Core's `AllowStatefulReconnects`).
    ///
    /// Both sides keep what they sent until the other acknowledges it; when the WebSocket drops
    /// without a close, the connection (its groups, user, running invocations and streams)
    /// waits up to [`disconnect_timeout`](Self::disconnect_timeout) for the client's next
    /// WebSocket and replays what the client has not acknowledged; the client does the same.
    /// Only WebSockets reattach; a graceful close ends the connection at once.
    ///
    /// ```
    /// use signalr_runtime::HubOptions;
    ///
    /// let options = HubOptions::default().allow_stateful_reconnects(true);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn allow_stateful_reconnects(mut self, allow: bool) -> Self {
        self.allow_stateful_reconnects = allow;
        self
    }

    /// How many bytes of sent messages a stateful-reconnect connection keeps until the client
    /// acknowledges them (default 100 000, ASP.NET Core's `StatefulReconnectBufferSize`). When
    /// this much is unacknowledged, the connection sends nothing more until acknowledgements
    /// come: what is sent to it waits in its queue, under the slow-client rules of
    /// [`transport_max_buffer_size`](Self::transport_max_buffer_size).
    #[must_use]
    pub fn stateful_reconnect_buffer_size(mut self, bytes: usize) -> Self {
        self.stateful_reconnect_buffer_size = bytes.max(1);
        self
    }

    /// Closes a connection whose client takes longer than this to accept one frame (default
    /// 10 s, ASP.NET Core's transport send timeout): a client that stops reading does not hold
    /// its connection, or the messages queued for it, for ever.
    #[must_use]
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// How a connection's user is known: from the headers and URI of the request that opened
    /// its transport (a bearer token, a cookie, a header set by a proxy that authenticated the
    /// user; the WebSocket handshake's own headers are not among them, see
    /// [`HubCx::headers`](crate::HubCx::headers)). Connections of one user can then be reached
    /// together with `clients().user(..)`.
    ///
    /// ```
    /// use signalr_runtime::HubOptions;
    /// let options = HubOptions::default().user_id(|headers, _uri| {
    ///     headers.get("x-user").and_then(|value| value.to_str().ok()).map(str::to_owned)
    /// });
    /// ```
    #[must_use]
    pub fn user_id(
        mut self,
        provider: impl Fn(&HeaderMap, &Uri) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.user_id = Some(Arc::new(provider));
        self
    }

    /// Who a connection belongs to: the application checks the request's credentials (see
    /// [`auth`](crate::auth)) and names the [`User`], or `None` for an anonymous request. The
    /// user is found for every request (negotiate, transports, POSTs); the hub sees the one of
    /// the request that opened the transport.
    #[must_use]
    pub fn authenticate(
        self,
        authenticator: impl Fn(&Credentials<'_>) -> Option<User> + Send + Sync + 'static,
    ) -> Self {
        self.authenticator(FromFn(authenticator))
    }

    /// An authenticator that waits (for a database, a token introspection endpoint) without
    /// holding up other requests: the closure takes what it needs from the credentials and
    /// returns a future that owns it. The future may refuse the request with a response of its
    /// own.
    ///
    /// ```
    /// use signalr_runtime::HubOptions;
    /// use signalr_runtime::auth::User;
    ///
    /// async fn lookup(token: Option<String>) -> Option<User> {
    ///     token.filter(|token| token == "valid").map(|_| User::new("ada"))
    /// }
    ///
    /// let options = HubOptions::default().authenticate_async(|credentials| {
    ///     let token = credentials.bearer_token().map(str::to_owned);
    ///     async move { Ok(lookup(token).await) }
    /// });
    /// ```
    #[must_use]
    pub fn authenticate_async<F, Fut>(self, authenticator: F) -> Self
    where
        F: Fn(&Credentials<'_>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Authenticated> + Send + 'static,
    {
        self.authenticator(FromAsyncFn(authenticator))
    }

    /// The endpoint's authenticator (see [`Authenticate`]); replaces any set before.
    #[must_use]
    pub fn authenticator(mut self, authenticator: impl Authenticate) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Registers the authorization policy `name`, which `#[hub(policy = "name")]` methods
    /// require (ASP.NET Core's `AddPolicy`).
    ///
    /// ```
    /// use signalr_runtime::HubOptions;
    ///
    /// let options = HubOptions::default()
    ///     .policy("Adults", |cx| cx.user().and_then(|user| user.claim("age"))
    ///         .and_then(|age| age.parse::<u32>().ok())
    ///         .is_some_and(|age| age >= 18));
    /// ```
    #[must_use]
    pub fn policy(
        mut self,
        name: impl Into<String>,
        policy: impl Fn(&AuthorizationContext<'_>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.policies.insert(name.into(), Arc::new(policy));
        self
    }

    /// Adds a filter around every invocation, connect and disconnect of this endpoint's hub,
    /// after the global ones ([`SignalR::add_filter`](crate::SignalR::add_filter)) and those
    /// added before (see [`HubFilter`]).
    #[must_use]
    pub fn add_filter(mut self, filter: impl HubFilter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Refuses anonymous requests with 401, negotiate included, as ASP.NET Core's `[Authorize]`
    /// on a hub does (default off).
    #[must_use]
    pub fn require_authentication(mut self, required: bool) -> Self {
        self.require_authentication = required;
        self
    }

    /// Browser origins whose pages may open WebSockets to this endpoint (`https://app.example`);
    /// an upgrade with another `Origin` header is refused with 403. Requests without `Origin`
    /// (not from a browser) are not affected. Default: any origin.
    #[must_use]
    pub fn allowed_origins(mut self, origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// How long a Long Polling poll waits for data before answering empty (default 90 s).
    #[must_use]
    pub fn long_poll_timeout(mut self, timeout: Duration) -> Self {
        self.long_poll_timeout = timeout;
        self
    }

    /// The transports clients may use (default: all three). Negotiate offers only these, and
    /// requests for the others are refused with 404.
    ///
    /// ```
    /// use signalr_runtime::{HubOptions, Transport};
    /// let options = HubOptions::default().transports([Transport::ServerSentEvents, Transport::LongPolling]);
    /// ```
    #[must_use]
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        let wanted: Vec<Transport> = transports.into_iter().collect();
        self.transports = Transport::ALL
            .into_iter()
            .filter(|transport| wanted.contains(transport))
            .collect();
        self
    }

    pub(crate) fn allows(&self, transport: Transport) -> bool {
        self.transports.contains(&transport)
    }

    pub(crate) fn enabled_transports(&self) -> &[Transport] {
        &self.transports
    }

    /// The keep-alive interval in force.
    pub fn get_keep_alive_interval(&self) -> Duration {
        self.keep_alive_interval
    }
}
