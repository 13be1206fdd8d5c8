//! A hub context typed by one client trait (ASP.NET Core's `IHubContext<THub, T>`): its proxies
//! offer that trait's methods and no other.

use std::fmt;
use std::marker::PhantomData;

use super::{ClientProxy, Groups, HubContext};
use crate::ConnectionId;

/// A [`HubContext`] whose clients accept only the methods of the client trait whose contract is
/// `C` (the `…Contract` type `#[hub_client]` generates). Get it with [`HubContext::typed`].
///
/// ```no_run
/// # #[signalr_runtime::hub] trait Chat { async fn echo(&self, text: String) -> String; }
/// # struct Room;
/// # impl Chat for Room { async fn echo(&self, text: String) -> String { text } }
/// # async fn run() -> signalr_runtime::HubResult<()> {
/// use signalr_runtime::SignalR;
///
/// #[signalr_runtime::hub_client]
/// trait ChatClient {
///     async fn notice(&self, text: String);
/// }
///
/// let mut signalr = SignalR::new().hub("/chat", Room.into_hub());
/// let chat = signalr.context::<ChatHub<Room>>().typed::<ChatClientContract>();
/// chat.all().notice("Backups done.".to_owned()).await?;
/// // chat.all().other_trait_method(..) does not compile: only ChatClient's methods are here.
/// # Ok(()) }
/// ```
pub struct TypedHubContext<C> {
    inner: HubContext,
    client: PhantomData<fn() -> C>,
}

/// A set of clients of a [`TypedHubContext`]: the client trait's methods are on it (through the
/// `…Proxy` trait `#[hub_client]` generates), and those of no other trait.
pub struct TypedClientProxy<C> {
    inner: ClientProxy,
    client: PhantomData<fn() -> C>,
}

impl HubContext {
    /// The same context, typed by the client trait whose contract is `C`.
    pub fn typed<C: crate::contract::Contract>(&self) -> TypedHubContext<C> {
        TypedHubContext {
            inner: self.clone(),
            client: PhantomData,
        }
    }
}

impl<C> TypedHubContext<C> {
    fn typed(proxy: ClientProxy) -> TypedClientProxy<C> {
        TypedClientProxy {
            inner: proxy,
            client: PhantomData,
        }
    }

    /// Every connection of the hub.
    pub fn all(&self) -> TypedClientProxy<C> {
        Self::typed(self.inner.all())
    }

    /// Every connection but the ones listed.
    pub fn all_except(
        &self,
        excluded: impl IntoIterator<Item = ConnectionId>,
    ) -> TypedClientProxy<C> {
        Self::typed(self.inner.all_except(excluded))
    }

    /// One connection, by id.
    pub fn client(&self, id: ConnectionId) -> TypedClientProxy<C> {
        Self::typed(self.inner.client(id))
    }

    /// Several connections, by id.
    pub fn clients(&self, ids: impl IntoIterator<Item = ConnectionId>) -> TypedClientProxy<C> {
        Self::typed(self.inner.clients(ids))
    }

    /// The members of a group.
    pub fn group(&self, group: impl Into<String>) -> TypedClientProxy<C> {
        Self::typed(self.inner.group(group))
    }

    /// The members of any of these groups, each once.
    pub fn groups(&self, groups: impl IntoIterator<Item = String>) -> TypedClientProxy<C> {
        Self::typed(self.inner.groups(groups))
    }

    /// The members of a group but the ones listed.
    pub fn group_except(
        &self,
        group: impl Into<String>,
        excluded: impl IntoIterator<Item = ConnectionId>,
    ) -> TypedClientProxy<C> {
        Self::typed(self.inner.group_except(group, excluded))
    }

    /// Every connection of a user.
    pub fn user(&self, user: impl Into<String>) -> TypedClientProxy<C> {
        Self::typed(self.inner.user(user))
    }

    /// Every connection of any of these users, each once.
    pub fn users(&self, users: impl IntoIterator<Item = String>) -> TypedClientProxy<C> {
        Self::typed(self.inner.users(users))
    }

    /// The hub's groups, to add or remove connections.
    pub fn group_manager(&self) -> Groups {
        self.inner.group_manager()
    }

    /// The untyped context.
    pub fn untyped(&self) -> &HubContext {
        &self.inner
    }
}

impl<C> TypedClientProxy<C> {
    /// Gives up on a client result after `limit` (see [`ClientProxy::timeout`]).
    #[must_use]
    pub fn timeout(self, limit: std::time::Duration) -> Self {
        TypedClientProxy {
            inner: self.inner.timeout(limit),
            client: PhantomData,
        }
    }

    /// The untyped proxy, where generated code sends through.
    #[doc(hidden)]
    pub fn untyped(&self) -> &ClientProxy {
        &self.inner
    }
}

impl<C> Clone for TypedHubContext<C> {
    fn clone(&self) -> Self {
        TypedHubContext {
            inner: self.inner.clone(),
            client: PhantomData,
        }
    }
}

impl<C> Clone for TypedClientProxy<C> {
    fn clone(&self) -> Self {
        TypedClientProxy {
            inner: self.inner.clone(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for TypedHubContext<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedHubContext").field(&self.inner).finish()
    }
}

impl<C> fmt::Debug for TypedClientProxy<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedClientProxy")
            .field(&self.inner)
            .finish()
    }
}
