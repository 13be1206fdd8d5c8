//! Sending to clients: pick a target, then call a client method on it.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult};
use crate::lifetime::{HubLifetimeManager, Target};
use crate::protocol::{HubMessage, Invocation, Value};

/// The clients of a hub, seen from one caller: every target of [`HubContext`], plus the ones
/// relative to the caller.
///
/// ```no_run
/// # async fn example(cx: &signalr_runtime::HubCx) -> signalr_runtime::HubResult<()> {
/// use signalr_runtime::protocol::Value;
/// cx.clients().others().send("UserJoined", vec![Value::new("ada")]).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Clients {
    hub: HubContext,
    caller: ConnectionId,
}

impl Clients {
    pub(crate) fn new(manager: Arc<dyn HubLifetimeManager>, caller: ConnectionId) -> Self {
        let mut hub = HubContext::new(manager);
        hub.origin = Some(caller.clone());
        Clients { hub, caller }
    }

    /// The connection that made the current call.
    pub fn caller(&self) -> ClientProxy {
        self.hub.client(self.caller.clone())
    }

    /// Every connection but the caller.
    pub fn others(&self) -> ClientProxy {
        self.hub.all_except([self.caller.clone()])
    }

    /// The members of a group but the caller.
    pub fn others_in_group(&self, group: impl Into<String>) -> ClientProxy {
        self.hub.group_except(group, [self.caller.clone()])
    }

    /// Every connection of the hub, the caller included.
    pub fn all(&self) -> ClientProxy {
        self.hub.all()
    }

    /// Every connection but the ones listed.
    pub fn all_except(&self, excluded: impl IntoIterator<Item = ConnectionId>) -> ClientProxy {
        self.hub.all_except(excluded)
    }

    /// One connection, by id.
    pub fn client(&self, id: ConnectionId) -> ClientProxy {
        self.hub.client(id)
    }

    /// Several connections, by id.
    pub fn clients(&self, ids: impl IntoIterator<Item = ConnectionId>) -> ClientProxy {
        self.hub.clients(ids)
    }

    /// The members of a group.
    pub fn group(&self, group: impl Into<String>) -> ClientProxy {
        self.hub.group(group)
    }

    /// The members of any of these groups, each once.
    pub fn groups(&self, groups: impl IntoIterator<Item = String>) -> ClientProxy {
        self.hub.groups(groups)
    }

    /// The members of a group but the ones listed.
    pub fn group_except(
        &self,
        group: impl Into<String>,
        excluded: impl IntoIterator<Item = ConnectionId>,
    ) -> ClientProxy {
        self.hub.group_except(group, excluded)
    }

    /// Every connection of a user (see [`HubOptions::user_id`](crate::HubOptions::user_id)).
    pub fn user(&self, user: impl Into<String>) -> ClientProxy {
        self.hub.user(user)
    }

    /// Every connection of any of these users, each once.
    pub fn users(&self, users: impl IntoIterator<Item = String>) -> ClientProxy {
        self.hub.users(users)
    }

    pub(crate) fn group_manager(&self) -> Groups {
        self.hub.group_manager()
    }

    /// The same clients, whose proxies refuse client results (for `on_connected`).
    pub(crate) fn without_results(&self) -> Self {
        let mut clients = self.clone();
        clients.hub.results_allowed = false;
        clients
    }
}

/// The groups of a hub: named sets of connections that messages can target.
///
/// Group names are compared exactly (case-sensitive), as in ASP.NET Core. A connection leaves
/// all its groups when it disconnects; groups are not kept across reconnects. Adding and
/// removing are asynchronous: with a backplane, the connection may live on another server,
/// which confirms the change.
///
/// ```no_run
/// # async fn example(cx: &signalr_runtime::HubCx) -> signalr_runtime::HubResult<()> {
/// use signalr_runtime::protocol::Value;
/// cx.groups().add(cx.connection_id(), "lobby").await?;
/// cx.clients().others_in_group("lobby").send("Joined", vec![Value::new("ada")]).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Groups {
    manager: Arc<dyn HubLifetimeManager>,
}

impl Groups {
    /// Adds connection `id` to `group`. A connection that no server has is ignored.
    ///
    /// # Errors
    ///
    /// With a backplane, when the server owning the connection did not confirm in time.
    pub async fn add(&self, id: &ConnectionId, group: &str) -> HubResult<()> {
        self.manager.add_to_group(id, group).await
    }

    /// Takes connection `id` out of `group`.
    ///
    /// # Errors
    ///
    /// With a backplane, when the server owning the connection did not confirm in time.
    pub async fn remove(&self, id: &ConnectionId, group: &str) -> HubResult<()> {
        self.manager.remove_from_group(id, group).await
    }
}

/// A hub's clients, reachable from anywhere in the application: an axum handler, a background
/// task. Get it from [`SignalR::context`](crate::SignalR::context); it reaches the connections of
/// every path the hub type is mounted at, and manages its groups.
///
/// ```no_run
/// # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
/// # #[signalr_runtime::hub_client] trait ChatClient { async fn notice(&self, text: String); }
/// # struct Room;
/// # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
/// # async fn run() -> signalr_runtime::HubResult<()> {
/// use signalr_runtime::SignalR;
///
/// let mut signalr = SignalR::new().hub("/chat", Room.into_hub());
/// let chat = signalr.context::<ChatHub<Room>>();
/// let app = signalr.into_router();
/// // Later, from anywhere:
/// chat.all().notice("The server restarts in 5 minutes.".to_owned()).await?;
/// chat.group("admins").notice("Backups done.".to_owned()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HubContext {
    manager: Arc<dyn HubLifetimeManager>,
    /// Whether proxies may ask for client results (not from `on_connected`).
    results_allowed: bool,
    /// The connection whose hub call sends, if any (see [`HubLifetimeManager::send_from`]).
    origin: Option<ConnectionId>,
}

impl HubContext {
    pub(crate) fn new(manager: Arc<dyn HubLifetimeManager>) -> Self {
        HubContext {
            manager,
            results_allowed: true,
            origin: None,
        }
    }

    fn target(&self, target: Target) -> ClientProxy {
        ClientProxy {
            manager: Arc::clone(&self.manager),
            target,
            timeout: None,
            results_allowed: self.results_allowed,
            origin: self.origin.clone(),
        }
    }

    /// Every connection of the hub.
    pub fn all(&self) -> ClientProxy {
        self.target(Target::All)
    }

    /// Every connection but the ones listed.
    pub fn all_except(&self, excluded: impl IntoIterator<Item = ConnectionId>) -> ClientProxy {
        self.target(Target::AllExcept(excluded.into_iter().collect()))
    }

    /// One connection, by id.
    pub fn client(&self, id: ConnectionId) -> ClientProxy {
        self.target(Target::Connection(id))
    }

    /// Several connections, by id.
    pub fn clients(&self, ids: impl IntoIterator<Item = ConnectionId>) -> ClientProxy {
        self.target(Target::Connections(ids.into_iter().collect()))
    }

    /// The members of a group.
    pub fn group(&self, group: impl Into<String>) -> ClientProxy {
        self.target(Target::Groups(vec![group.into()], Vec::new()))
    }

    /// The members of any of these groups, each once.
    pub fn groups(&self, groups: impl IntoIterator<Item = String>) -> ClientProxy {
        self.target(Target::Groups(groups.into_iter().collect(), Vec::new()))
    }

    /// The members of a group but the ones listed.
    pub fn group_except(
        &self,
        group: impl Into<String>,
        excluded: impl IntoIterator<Item = ConnectionId>,
    ) -> ClientProxy {
        self.target(Target::Groups(
            vec![group.into()],
            excluded.into_iter().collect(),
        ))
    }

    /// Every connection of a user.
    pub fn user(&self, user: impl Into<String>) -> ClientProxy {
        self.target(Target::Users(vec![user.into()]))
    }

    /// Every connection of any of these users, each once.
    pub fn users(&self, users: impl IntoIterator<Item = String>) -> ClientProxy {
        self.target(Target::Users(users.into_iter().collect()))
    }

    /// The hub's groups, to add or remove connections from outside the hub.
    pub fn group_manager(&self) -> Groups {
        Groups {
            manager: Arc::clone(&self.manager),
        }
    }
}

/// A chosen set of clients, ready to receive a call.
#[derive(Debug, Clone)]
pub struct ClientProxy {
    manager: Arc<dyn HubLifetimeManager>,
    target: Target,
    /// How long a client result may take; `None` waits until the client answers or leaves.
    timeout: Option<std::time::Duration>,
    /// `false` in `on_connected`, where no answer could be read yet (the connection reads
    /// messages only once its `on_connected` has returned).
    results_allowed: bool,
    /// The connection whose hub call sends, if any.
    origin: Option<ConnectionId>,
}

impl ClientProxy {
    /// Gives up on a client result after `limit` (the call then fails with a `HubError`; a
    /// late answer is ignored). By default a call waits until the client answers or leaves.
    ///
    /// ```no_run
    /// # #[signalr_runtime::hub_client] trait Client { async fn confirm(&self, q: String) -> bool; }
    /// # async fn example(cx: &signalr_runtime::HubCx) -> signalr_runtime::HubResult<bool> {
    /// use std::time::Duration;
    /// cx.clients().caller().timeout(Duration::from_secs(5)).confirm("Sure?".to_owned()).await
    /// # }
    /// ```
    #[must_use]
    pub fn timeout(mut self, limit: std::time::Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Calls client method `method` on the one client of this target and waits for its result
    /// (a "client result").
    ///
    /// Only single clients can answer: the target must be [`Clients::caller`] or
    /// [`Clients::client`]. The client's error text is returned verbatim, as is a client's
    /// `Client didn't provide a result.` when it has no handler for `method`.
    ///
    /// A hub method may await a result from its own caller. ASP.NET Core warns that this
    /// deadlocks when `MaximumParallelInvocationsPerClient` is 1, because its read loop waits for
    /// the running invocation before reading the client's answer. Here the read loop only waits
    /// for a permit when the *next invocation* arrives, so the answer (a Completion) is read at
    /// once whatever the limit; only a client that sends another invocation before answering
    /// waits, until the first call ends. Raise the limit with
    /// [`HubOptions::maximum_parallel_invocations_per_client`](crate::HubOptions::maximum_parallel_invocations_per_client)
    /// when clients do that.
    ///
    /// # Errors
    ///
    /// A [`HubError`] when the target is not a single client, the client is not connected or
    /// disconnects before answering, the client answers with an error, or its result does not
    /// fit `T`; also when called from `on_connected`, which runs before the connection reads
    /// anything, so no answer could arrive (ASP.NET Core refuses this too).
    pub async fn invoke<T: DeserializeOwned>(
        &self,
        method: &str,
        arguments: Vec<Value>,
    ) -> HubResult<T> {
        if !self.results_allowed {
            return Err(HubError::invalid_operation(
                "Client results inside OnConnectedAsync Hub methods are not allowed.",
            ));
        }
        let Target::Connection(id) = &self.target else {
            return Err(HubError::new(
                "Client results need a single client: use `caller()` or `client(id)`.",
            ));
        };
        let answer = self.manager.invoke(id, method, arguments);
        let value = match self.timeout {
            None => answer.await?,
            Some(limit) => tokio::time::timeout(limit, answer).await.map_err(|_| {
                HubError::new(format!(
                    "The client did not answer '{method}' within {limit:?}."
                ))
            })??,
        };
        value.decode().map_err(|error| {
            HubError::new(format!(
                "Error trying to deserialize result to {}. {error}",
                std::any::type_name::<T>()
            ))
        })
    }

    /// Calls client method `method` on every client of the target, without waiting for them.
    ///
    /// The message is serialized once per protocol in use and queued for each receiver. A
    /// receiver that is behind by more than
    /// [`HubOptions::transport_max_buffer_size`](crate::HubOptions::transport_max_buffer_size)
    /// is waited for (so a sender cannot outrun its readers), for at most
    /// [`HubOptions::slow_client_wait`](crate::HubOptions::slow_client_wait); after that the
    /// message is kept for it without waiting, and a client that stops reading is disconnected
    /// when its [slow buffer](crate::HubOptions::slow_client_buffer_size) is full.
    ///
    /// # Errors
    ///
    /// A [`HubError`] when an argument cannot be serialized, or (with a backplane) the message
    /// cannot be handed to the other servers.
    pub async fn send(&self, method: &str, arguments: Vec<Value>) -> HubResult<()> {
        let message = HubMessage::Invocation(Invocation::new(method, arguments));
        match &self.origin {
            Some(origin) => self.manager.send_from(origin, &self.target, &message).await,
            None => self.manager.send(&self.target, &message).await,
        }
    }
}
