//! Which connections a hub has, and how a message reaches them: the seam where scale-out plugs
//! in.
//!
//! Every path from a hub to its clients ([`Clients`](crate::hub::Clients),
//! [`HubContext`](crate::hub::HubContext), [`Groups`](crate::hub::Groups)) goes through one
//! [`HubLifetimeManager`] per hub type, as in ASP.NET Core. [`LocalLifetimeManager`] keeps
//! everything in this process and is the default; a manager that spans processes (a Redis
//! backplane) wraps a local one for the connections it owns and forwards the rest.
//!
//! Choose the manager when mounting hubs, with
//! [`SignalR::lifetime_managers`](crate::SignalR::lifetime_managers).

mod client_results;
mod index;
mod local;
#[cfg(feature = "redis")]
pub mod redis;

pub(crate) use client_results::PendingResults;
pub use local::LocalLifetimeManager;

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::connection_id::ConnectionId;
use crate::error::HubResult;
use crate::outbound::Outbound;
use crate::protocol::{HubMessage, Protocol, Value};

/// A boxed future borrowing from its manager: what [`HubLifetimeManager`]'s methods return, so
/// that managers can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The receivers of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Every connection of the hub.
    All,
    /// Every connection but these.
    AllExcept(Vec<ConnectionId>),
    /// One connection.
    Connection(ConnectionId),
    /// These connections, each once.
    Connections(Vec<ConnectionId>),
    /// The members of any of these groups, each once, minus the excluded connections.
    Groups(Vec<String>, Vec<ConnectionId>),
    /// The connections of any of these users, each once.
    Users(Vec<String>),
}

/// The connections of one hub type: where they are, their groups, and delivery to them.
///
/// The runtime calls [`on_connected`](Self::on_connected) once a connection's handshake is
/// done and [`on_disconnected`](Self::on_disconnected) when it ends; everything the hub sends
/// goes through the other methods. Methods return boxed futures so that a manager can sit
/// behind an `Arc<dyn HubLifetimeManager>`.
///
/// ```
/// use std::sync::Arc;
/// use signalr_runtime::lifetime::{HubLifetimeManager, LocalLifetimeManager, Target};
/// use signalr_runtime::protocol::{HubMessage, Invocation, Value};
///
/// # async fn example() -> signalr_runtime::HubResult<()> {
/// let manager: Arc<dyn HubLifetimeManager> = Arc::new(LocalLifetimeManager::default());
/// let message = HubMessage::Invocation(Invocation::new("Notice", vec![Value::new("hi")]));
/// // No connections yet: delivered to nobody, and no error.
/// manager.send(&Target::All, &message).await?;
/// # Ok(()) }
/// ```
pub trait HubLifetimeManager: Send + Sync + fmt::Debug + 'static {
    /// A connection has completed its handshake and can be reached from now on.
    fn on_connected(&self, connection: ConnectionHandle) -> BoxFuture<'_, ()>;

    /// A connection has ended: forget it and take it out of its groups.
    fn on_disconnected<'a>(&'a self, id: &'a ConnectionId) -> BoxFuture<'a, ()>;

    /// Delivers `message` (an Invocation without id) to every connection of `target`, waiting
    /// while receivers are too far behind (see
    /// [`HubOptions::transport_max_buffer_size`](crate::HubOptions::transport_max_buffer_size)).
    ///
    /// # Errors
    ///
    /// When the message cannot be serialized, or cannot be handed to the connections' servers.
    fn send<'a>(
        &'a self,
        target: &'a Target,
        message: &'a HubMessage,
    ) -> BoxFuture<'a, HubResult<()>>;

    /// Delivers as [`send`](Self::send) does a message sent by a hub call of connection
    /// `origin`. A manager that reaches clients over several links (a service's server
    /// connections) sends it on the origin's own link, so that it arrives in order with the
    /// call's result; by default the same as `send`.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    fn send_from<'a>(
        &'a self,
        origin: &'a ConnectionId,
        target: &'a Target,
        message: &'a HubMessage,
    ) -> BoxFuture<'a, HubResult<()>> {
        let _ = origin;
        self.send(target, message)
    }

    /// Adds connection `id` to `group`, wherever the connection is; returns once done.
    ///
    /// # Errors
    ///
    /// When the server owning the connection did not confirm in time.
    fn add_to_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>>;

    /// Takes connection `id` out of `group`, wherever the connection is; returns once done.
    ///
    /// # Errors
    ///
    /// When the server owning the connection did not confirm in time.
    fn remove_from_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>>;

    /// Calls client method `method` on connection `id`, wherever it is, and waits for the
    /// client's result.
    ///
    /// # Errors
    ///
    /// When the connection does not exist or leaves first, or the client answers with an error.
    fn invoke<'a>(
        &'a self,
        id: &'a ConnectionId,
        method: &'a str,
        arguments: Vec<Value>,
    ) -> BoxFuture<'a, HubResult<Value>>;
}

/// How a lifetime manager reaches one connection of this process. Made by the runtime for
/// each connection and handed to [`HubLifetimeManager::on_connected`].
#[derive(Debug, Clone)]
pub struct ConnectionHandle {
    pub(crate) id: ConnectionId,
    pub(crate) protocol: Protocol,
    pub(crate) outbound: Outbound,
    pub(crate) pending: Arc<PendingResults>,
    /// The user the connection belongs to, if it was authenticated.
    pub(crate) user: Option<String>,
}

impl ConnectionHandle {
    /// The connection's id.
    pub fn id(&self) -> &ConnectionId {
        &self.id
    }

    /// The hub protocol the connection speaks.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The connection's user id, if it has one.
    pub fn user_identifier(&self) -> Option<&str> {
        self.user.as_deref()
    }
}

/// Makes the lifetime manager of each hub type mounted on a [`SignalR`](crate::SignalR): how an
/// application chooses where its hubs' connections live.
///
/// ```
/// use std::sync::Arc;
/// use signalr_runtime::SignalR;
/// use signalr_runtime::lifetime::{HubLifetimeManager, HubType, LifetimeManagers, LocalLifetimeManager};
///
/// /// Every hub in memory, as by default, and says which hubs it made managers for.
/// #[derive(Debug)]
/// struct Logged;
///
/// impl LifetimeManagers for Logged {
///     fn manager(&self, hub: HubType) -> Arc<dyn HubLifetimeManager> {
///         println!("a manager for {}", hub.name());
///         Arc::new(LocalLifetimeManager::default())
///     }
/// }
///
/// let signalr = SignalR::new().lifetime_managers(Logged);
/// ```
pub trait LifetimeManagers: Send + Sync + fmt::Debug + 'static {
    /// The manager of hub type `hub`, shared by every path it is mounted at. Called once per
    /// hub type.
    fn manager(&self, hub: HubType) -> Arc<dyn HubLifetimeManager>;
}

/// A hub type, as [`LifetimeManagers`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubType {
    id: TypeId,
    name: &'static str,
}

impl HubType {
    /// Type `H`. A hub is known by [`Hub::hub_type`](crate::Hub::hub_type), which is this
    /// for most hubs, and the wrapped hub's for a wrapper such as
    /// [`Filtered`](crate::hub::Filtered).
    pub fn of<H: 'static>() -> Self {
        HubType {
            id: TypeId::of::<H>(),
            name: std::any::type_name::<H>(),
        }
    }

    /// The type's id.
    pub fn id(&self) -> TypeId {
        self.id
    }

    /// The type's Rust name (`std::any::type_name`), e.g. `chat::ChatHub<chat::Room>`.
    pub fn name(&self) -> &'static str {
        self.name
    }
}
