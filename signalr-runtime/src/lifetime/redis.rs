//! Scale-out through Redis, on the wire format of ASP.NET Core's Redis backplane
//! (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`), so Rust and .NET servers can serve one
//! application together.
//!
//! Every server subscribes to its hubs' channels; a send that may reach connections of other
//! servers is published once, and each server delivers it to its own connections. Groups,
//! users, group changes for connections of other servers (acknowledged by their owner) and
//! client results routed to the server that owns the connection all work across servers.
//!
//! ```no_run
//! # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
//! # struct Room;
//! # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use signalr_runtime::SignalR;
//! use signalr_runtime::lifetime::redis::{RedisBackplane, RedisOptions};
//!
//! let options = RedisOptions::new("redis://127.0.0.1:6379")
//!     // The .NET hub class's full name, to share channels with ASP.NET Core servers.
//!     .hub_name::<ChatHub<Room>>("MyCompany.Chat.ChatHub");
//! let redis = RedisBackplane::connect(options).await?;
//! let app = SignalR::new().lifetime_managers(redis).hub("/chat", Room.into_hub()).into_router();
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - **Channels** are named after each hub's full name (see [`RedisOptions::hub_name`]):
//!   `{name}:all`, `{name}:group:{group}`, `{name}:connection:{id}`, `{name}:user:{user}`,
//!   and the internal group-command, ack and return channels; classic `SUBSCRIBE`/`PUBLISH`.
//! - **Messages are serialized once per protocol** in [`RedisOptions::protocols`] (default
//!   JSON and MessagePack, as .NET servers expect) and each server writes the bytes of its
//!   connection's protocol as they are.
//! - **Sends to several groups** publish once per group, as ASP.NET Core does: a connection in
//!   two of the groups receives the message twice (on one server without a backplane, once).
//! - **While Redis is down** connections stay up and hub methods that do not need Redis go on. A
//!   send that needs Redis fails after [`RedisOptions::operation_timeout`] (default 2 s) with an
//!   error; nothing is queued for later. Messages published meanwhile are lost, as with any
//!   Redis pub/sub. The connection is retried in the background, every subscription is restored
//!   by itself within about a second of Redis coming back.
//! - **Bad payloads** on a hub channel (from anyone else publishing there) are logged and
//!   skipped.

mod channels;
pub(crate) mod codec;
mod link;
mod manager;

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::hub::Hub;
use crate::lifetime::{HubLifetimeManager, HubType, LifetimeManagers};
use crate::protocol::Protocol;

/// Settings of the Redis backplane.
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisOptions {
    url: String,
    channel_prefix: Option<String>,
    protocols: Vec<Protocol>,
    server_name: Option<String>,
    ack_timeout: Duration,
    operation_timeout: Duration,
    hub_names: HashMap<TypeId, String>,
}

impl RedisOptions {
    /// The backplane at `url` (`redis://host:port/db`, with `redis://:password@…` or
    /// `redis://user:password@…` for authentication).
    pub fn new(url: impl Into<String>) -> Self {
        RedisOptions {
            url: url.into(),
            channel_prefix: None,
            protocols: Protocol::ALL.to_vec(),
            server_name: None,
            ack_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(2),
            hub_names: HashMap::new(),
        }
    }

    /// The channel name of hub type `H`: the full name of the .NET hub class it shares channels
    /// with (`typeof(THub).FullName`, such as `MyCompany.Chat.ChatHub`). By default, the Rust
    /// type name (`std::any::type_name`, such as `chat::ChatHub<chat::Room>`), which only Rust
    /// servers built from the same code share.
    pub fn hub_name<H: Hub>(mut self, full_name: impl Into<String>) -> Self {
        self.hub_names.insert(H::hub_type().id(), full_name.into());
        self
    }

    /// Text put in front of every channel name, with no separator, as StackExchange.Redis's
    /// `ChannelPrefix` does (default none).
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = Some(prefix.into());
        self
    }

    /// The protocols every published message is serialized for (default JSON and MessagePack).
    /// Every protocol that connections of any server use must be listed: a server cannot
    /// deliver a message to a connection whose protocol it has no bytes for.
    pub fn protocols(mut self, protocols: impl IntoIterator<Item = Protocol>) -> Self {
        self.protocols = protocols.into_iter().collect();
        self
    }

    /// This server's name on the backplane (default `{hostname}_{random}`, as .NET servers
    /// name themselves). Each hub of the process adds its own suffix, so names stay unique.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// How long a group change for a connection of another server waits for that server's
    /// acknowledgement (default 30 s, as in ASP.NET Core).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How long one Redis command (a publish, a subscription) may take before it fails, for
    /// example while Redis is unreachable (default 2 s).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }
}

/// Redis could not be reached or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisBackplaneError(String);

impl fmt::Display for RedisBackplaneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisBackplaneError {}

/// The Redis backplane: hand it to
/// [`SignalR::lifetime_managers`](crate::SignalR::lifetime_managers) and every hub type gets a
/// lifetime manager that reaches the connections of every server on the same Redis.
pub struct RedisBackplane {
    options: Arc<RedisOptions>,
    client: redis::Client,
    runtime: tokio::runtime::Handle,
}

impl fmt::Debug for RedisBackplane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackplane")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RedisBackplane {
    /// Checks that Redis answers at the options' URL, then returns the backplane. Each hub's
    /// manager opens its own connection, kept open (and reopened after failures) for the life
    /// of the application.
    ///
    /// # Errors
    ///
    /// A [`RedisBackplaneError`] naming the URL when it is not a Redis URL, when Redis does not
    /// answer within [`RedisOptions::operation_timeout`], or refuses the connection. Nothing is
    /// retried at start-up: the application decides whether to wait and try again. Also an
    /// error outside a tokio runtime, whose handle the backplane keeps for its tasks.
    pub async fn connect(options: RedisOptions) -> Result<Self, RedisBackplaneError> {
        let failed = |error: &dyn fmt::Display| {
            RedisBackplaneError(format!("Redis at {}: {error}", options.url))
        };
        let client = link::client(&options.url).map_err(|error| failed(&error))?;
        let check = async {
            let mut connection = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        };
        match tokio::time::timeout(options.operation_timeout, check).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return Err(failed(&error)),
            Err(_) => return Err(failed(&"no answer within the operation timeout")),
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|error| failed(&error))?;
        Ok(RedisBackplane {
            options: Arc::new(options),
            client,
            runtime,
        })
    }
}

impl LifetimeManagers for RedisBackplane {
    fn manager(&self, hub: HubType) -> Arc<dyn HubLifetimeManager> {
        let name = self
            .options
            .hub_names
            .get(&hub.id())
            .cloned()
            .unwrap_or_else(|| hub.name().to_owned());
        // The connection manager and the manager's tasks are spawned on the runtime that
        // connected, wherever the application builds its router.
        let _runtime = self.runtime.enter();
        match manager::RedisHubLifetimeManager::start(&self.client, &self.options, &name) {
            Ok(manager) => Arc::new(manager),
            Err(error) => {
                // The client was checked in `connect`; this would take a broken runtime.
                tracing::error!(hub = %name, %error, "the Redis backplane could not start; this hub serves this process only");
                Arc::new(crate::lifetime::LocalLifetimeManager::default())
            }
        }
    }
}
