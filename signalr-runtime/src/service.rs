//! Serving hubs through a SignalR service, on the Azure SignalR Service protocol.
//!
//! A service holds the clients' connections; application servers hold the hubs and reach their
//! clients over a few WebSockets to the service (the *server connections*), whatever the number
//! of clients. Clients negotiate with the application server, which redirects them to the
//! service with a token carrying their user; from then on they talk to the service, and never
//! see a difference. The project's own service is the `signalr-service` example; Azure SignalR
//! Service speaks the same protocol.
//!
//! ```no_run
//! # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
//! # struct Room;
//! # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use signalr_runtime::SignalR;
//! use signalr_runtime::service::{Service, ServiceOptions};
//!
//! let options = ServiceOptions::from_connection_string(
//!     "Endpoint=http://127.0.0.1:8080;AccessKey=secret;Version=1.0;",
//! )?;
//! let service = Service::new(options)?;
//! let app = SignalR::new().service(service).hub("/chat", Room.into_hub()).into_router();
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - **Server connections**: [`ServiceOptions::connection_count`] WebSockets per mounted hub
//!   (default 5, as Azure's SDK), to `{endpoint}/server/?hub={name}` with a token for that
//!   audience; each performs the service handshake, pings every 5 s, and is re-established
//!   after a drop (its clients are closed by the service, and reconnect), waiting
//!   [`ServiceOptions::reconnect_delay`] and twice as long each time the service cannot be
//!   reached, up to 5 s. A service that breaks the protocol gets a close frame with the reason.
//! - **Hub names** are the mount path without its leading slash, lowercased, every character
//!   but letters, digits and `_` becoming `_` ([`hub_name`]: `/chat` is `chat`). Azure's SDK
//!   uses the hub class's name instead. The service decides the transports: a hub's
//!   [`HubOptions::transports`](crate::HubOptions::transports) does not reach it.
//! - **Negotiate** answers with a redirect to `{endpoint}/client/?hub={name}` and a token for
//!   the user the hub's authenticator found (id, roles and claims). Transport requests sent to
//!   the application server itself get 404: clients connect to the service.
//! - **Sends**: to all, groups and users go to the service (serialized once per protocol), on
//!   the server connection of the hub call's caller, so that they arrive before the call's
//!   result; to a connection of this server, through that connection's own queue, after its
//!   handshake answer and in order with its results.
//! - **Shutdown**: once [`Shutdown::close_all`](crate::Shutdown::close_all) starts, server
//!   connections refuse new clients, and close once their clients have gone.
//! - **Client results** reach the connections of this server only.

mod link;
mod manager;
pub mod protocol;
mod relay;
mod token;

pub use relay::TRANSPORT_HEADER;
pub use token::{AccessKey, ROLE_CLAIM, TokenError, USER_ID_CLAIM};

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::response::{IntoResponse, Response};

use crate::auth::User;
use crate::lifetime::{HubLifetimeManager, HubType, LifetimeManagers};
use crate::shutdown::Shutdown;
use crate::transport::Endpoint;
use crate::transport::negotiate::NegotiateRedirect;

use link::HubLink;
use manager::ServiceLifetimeManager;

/// Settings of an application server's link to a service.
#[derive(Debug, Clone)]
#[must_use]
pub struct ServiceOptions {
    /// Where server connections go and client redirects point (`http://host:port`).
    endpoint: String,
    /// The endpoint as tokens name it (Azure's audience leaves out `Port=`).
    audience_base: String,
    key: AccessKey,
    connection_count: usize,
    reconnect_delay: Duration,
    ack_timeout: Duration,
    client_token_lifetime: Duration,
}

/// A connection string that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStringError(String);

impl fmt::Display for ConnectionStringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid service connection string: {}", self.0)
    }
}

impl std::error::Error for ConnectionStringError {}

impl ServiceOptions {
    /// Settings from a connection string as Azure writes them:
    /// `Endpoint=https://host;AccessKey=KEY;Version=1.0;` with an optional `Port=P;`. Keys are
    /// case-insensitive; unknown keys are ignored.
    ///
    /// ```
    /// use signalr_runtime::service::ServiceOptions;
    /// assert!(ServiceOptions::from_connection_string("Endpoint=http://a;AccessKey=k;Version=1.0;").is_ok());
    /// assert!(ServiceOptions::from_connection_string("Endpoint=a;AccessKey=k;").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// When `Endpoint` or `AccessKey` is missing, the endpoint is not `http(s)://`, the port
    /// is not a number, or the version is not 1.0.
    pub fn from_connection_string(text: &str) -> Result<Self, ConnectionStringError> {
        let mut endpoint = None;
        let mut key = None;
        let mut port = None;
        for pair in text.split(';').filter(|pair| !pair.trim().is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                // Without the text: a mistyped entry may hold the key.
                ConnectionStringError("an entry is not NAME=VALUE".into())
            })?;
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "endpoint" => endpoint = Some(value.trim_end_matches('/').to_owned()),
                "accesskey" => key = Some(value.to_owned()),
                "port" => {
                    let number = value
                        .parse::<u16>()
                        .map_err(|_| ConnectionStringError(format!("port `{value}`")))?;
                    port = Some(number);
                }
                "version" if value != "1.0" => {
                    return Err(ConnectionStringError(format!(
                        "version `{value}` (only 1.0 is supported)"
                    )));
                }
                _ => {}
            }
        }
        let endpoint = endpoint.ok_or_else(|| ConnectionStringError("no Endpoint".into()))?;
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(ConnectionStringError(format!(
                "endpoint `{endpoint}` is not http:// or https://"
            )));
        }
        let key = key.ok_or_else(|| ConnectionStringError("no AccessKey".into()))?;
        let reached = match port {
            Some(port) => format!("{endpoint}:{port}"),
            None => endpoint.clone(),
        };
        Ok(ServiceOptions {
            endpoint: reached,
            audience_base: endpoint,
            key: AccessKey::new(&key),
            connection_count: 5,
            reconnect_delay: Duration::from_secs(1),
            ack_timeout: Duration::from_secs(5),
            client_token_lifetime: Duration::from_secs(3600),
        })
    }

    /// Server connections per mounted hub (default 5, at least 1).
    pub fn connection_count(mut self, count: usize) -> Self {
        self.connection_count = count.max(1);
        self
    }

    /// How long a dropped server connection waits before connecting again (default 1 s).
    pub fn reconnect_delay(mut self, delay: Duration) -> Self {
        self.reconnect_delay = delay;
        self
    }

    /// How long a group change waits for the service's acknowledgement (default 5 s).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How long the token of a redirected client stays valid (default 1 h).
    pub fn client_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.client_token_lifetime = lifetime;
        self
    }
}

/// An application server's link to a service: give it to
/// [`SignalR::service`](crate::SignalR::service) and every hub mounted afterwards is served
/// through it.
#[derive(Clone)]
pub struct Service {
    shared: Arc<Shared>,
}

struct Shared {
    options: ServiceOptions,
    runtime: tokio::runtime::Handle,
    managers: Mutex<HashMap<std::any::TypeId, Arc<ServiceLifetimeManager>>>,
    /// The service hub names in use, to notice two paths that map to one.
    names: Mutex<HashSet<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("endpoint", &self.shared.options.endpoint)
            .finish_non_exhaustive()
    }
}

/// A [`Service`] made outside a tokio runtime: its server connections need one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRuntime;

impl fmt::Display for NoRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a service link must be made inside a tokio runtime")
    }
}

impl std::error::Error for NoRuntime {}

impl Service {
    /// A link with `options`; server connections open as hubs are mounted.
    ///
    /// # Errors
    ///
    /// [`NoRuntime`] outside a tokio runtime.
    pub fn new(options: ServiceOptions) -> Result<Self, NoRuntime> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NoRuntime)?;
        Ok(Service {
            shared: Arc::new(Shared {
                options,
                runtime,
                managers: Mutex::new(HashMap::new()),
                names: Mutex::new(HashSet::new()),
            }),
        })
    }

    fn manager_of(&self, hub: HubType) -> Arc<ServiceLifetimeManager> {
        let mut managers = lock(&self.shared.managers);
        Arc::clone(managers.entry(hub.id()).or_insert_with(|| {
            Arc::new(ServiceLifetimeManager::new(self.shared.options.ack_timeout))
        }))
    }

    /// Serves `endpoint` (hub type `hub`, mounted at `path`) through the service: opens its
    /// server connections, and returns what negotiate answers.
    pub(crate) fn attach<E: Endpoint>(
        &self,
        hub: HubType,
        path: &str,
        endpoint: &Arc<E>,
        shutdown: Shutdown,
    ) -> Redirect {
        let options = &self.shared.options;
        let name = hub_name(path);
        let taken = !lock(&self.shared.names).insert(name.clone());
        if taken {
            tracing::error!(
                path,
                hub = %name,
                "two mounted paths have the same service hub name: the service mixes their clients"
            );
        }
        let link = HubLink::new(name.clone(), options.connection_count);
        self.manager_of(hub).add_link(Arc::clone(&link));
        link::start(
            &self.shared.runtime,
            &link,
            endpoint,
            link::Settings {
                url: format!("{}/server/?hub={name}", options.endpoint),
                audience: format!("{}/server/?hub={name}", options.audience_base),
                key: options.key.clone(),
                reconnect_delay: options.reconnect_delay,
                shutdown,
            },
        );
        Redirect {
            url: format!("{}/client/?hub={name}", options.endpoint),
            audience: format!("{}/client/?hub={name}", options.audience_base),
            key: options.key.clone(),
            lifetime: options.client_token_lifetime,
        }
    }
}

impl LifetimeManagers for Service {
    fn manager(&self, hub: HubType) -> Arc<dyn HubLifetimeManager> {
        self.manager_of(hub)
    }
}

/// What negotiate answers for a hub served through a service.
#[derive(Debug, Clone)]
pub(crate) struct Redirect {
    url: String,
    audience: String,
    key: AccessKey,
    lifetime: Duration,
}

impl Redirect {
    /// The redirect of a client that authenticated as `user` (or anonymously).
    pub(crate) fn respond(&self, user: Option<&User>) -> Response {
        let claims = user.map(claims_of).unwrap_or_default();
        let token = self.key.sign(&self.audience, &claims, self.lifetime);
        NegotiateRedirect::new(self.url.clone())
            .access_token(token)
            .into_response()
    }
}

/// The claims a redirect token carries for `user`.
fn claims_of(user: &User) -> Vec<(String, String)> {
    let mut claims = vec![(USER_ID_CLAIM.to_owned(), user.id.clone())];
    claims.extend(
        user.roles
            .iter()
            .map(|role| (ROLE_CLAIM.to_owned(), role.clone())),
    );
    claims.extend(user.claims.iter().cloned());
    claims
}

/// The user a service's claims describe, if they name one.
pub(crate) fn user_of(claims: &[(String, String)]) -> Option<User> {
    let id = claims
        .iter()
        .find(|(kind, _)| kind == USER_ID_CLAIM)
        .map(|(_, id)| id.clone())?;
    let mut user = User::new(id);
    for (kind, value) in claims {
        if kind == ROLE_CLAIM {
            user = user.with_role(value.clone());
        } else if !is_system_claim(kind) {
            user = user.with_claim(kind.clone(), value.clone());
        }
    }
    Some(user)
}

/// Claims a service adds for itself (`asrs.s.*`) or that belong to the token, not the user.
fn is_system_claim(kind: &str) -> bool {
    kind.starts_with("asrs.s.") || matches!(kind, "aud" | "exp" | "iat" | "nbf" | "iss")
}

/// The service's name for the hub at `path`: lowercase letters, digits and `_` (Azure's rule
/// for hub names), anything else becoming `_`: `/chat` is `chat`, `/a/b-c` is `a_b_c`.
pub fn hub_name(path: &str) -> String {
    path.trim_matches('/')
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings() {
        let options =
            ServiceOptions::from_connection_string("endpoint=https://x/;ACCESSKEY=k;Port=9;")
                .map_err(|error| error.to_string());
        let options = options
            .as_ref()
            .map(|o| (o.endpoint.as_str(), o.audience_base.as_str()));
        assert_eq!(options, Ok(("https://x:9", "https://x")));
        for bad in [
            "AccessKey=k",
            "Endpoint=http://x",
            "Endpoint=ftp://x;AccessKey=k",
            "Endpoint=http://x;AccessKey=k;Version=2.0",
            "Endpoint=http://x;AccessKey=k;Port=z",
            "Endpoint",
        ] {
            assert!(
                ServiceOptions::from_connection_string(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn users_travel_as_claims() {
        let user = User::new("ada")
            .with_role("admin")
            .with_claim("email", "a@x");
        assert_eq!(user_of(&claims_of(&user)), Some(user));
        assert_eq!(user_of(&[]), None);
        assert_eq!(hub_name("/Chat/Room/"), "chat_room");
        assert_eq!(hub_name("/testhub-nowebsockets"), "testhub_nowebsockets");
        let system = vec![
            (USER_ID_CLAIM.to_owned(), "ada".to_owned()),
            ("asrs.s.aut".to_owned(), "Bearer".to_owned()),
            ("exp".to_owned(), "1".to_owned()),
        ];
        assert_eq!(user_of(&system), Some(User::new("ada")));
    }
}
