//! Hub filters: code around every invocation, connect and disconnect of a hub (ASP.NET Core's
//! `IHubFilter`).
//!
//! Filters run in the order they were added, global ones ([`SignalR::add_filter`]) before the
//! hub's own ([`HubOptions::add_filter`]); each decides whether and when the rest of the chain
//! (the next filter, and finally the hub method) runs by calling `next.run(..)`. A filter can
//! inspect the arguments, refuse the call with an error, observe the result or the error, and
//! time the call. Authorization is checked before any filter runs. For a streaming method, the
//! chain ends once the stream has started: the filter sees `Ok(None)` or why it could not start
//! (a filter that answers a streaming call itself, without `next`, ends the stream at once; a
//! value it returns is not sent).
//!
//! Those filters are kept behind pointers, and each one's future is boxed. A filter can also be
//! compiled into one hub with [`Hub::with_filter`]: it then runs inside those, as part of the
//! hub, and a call through it allocates nothing more than a call without it (see [`Filtered`]).
//!
//! [`SignalR::add_filter`]: crate::SignalR::add_filter
//! [`HubOptions::add_filter`]: crate::HubOptions::add_filter
//! [`Hub::with_filter`]: crate::Hub::with_filter
//! [`Filtered`]: super::Filtered
//!
//! ```
//! use std::time::Instant;
//! use signalr_runtime::hub::{HubFilter, HubInvocation, InvocationResult, InvokeError, Next};
//! use signalr_runtime::{HubError, HubOptions};
//!
//! struct Timing;
//!
//! impl HubFilter for Timing {
//!     async fn on_invocation(&self, invocation: HubInvocation<'_>, next: impl Next<'_>) -> InvocationResult {
//!         if invocation.method() == "Shutdown" && invocation.cx().user().is_none() {
//!             return Err(InvokeError::Failed(HubError::new("Not now.")));
//!         }
//!         let method = invocation.method();
//!         let started = Instant::now();
//!         let result = next.run(invocation).await;
//!         println!("{method} took {:?}", started.elapsed());
//!         result
//!     }
//! }
//!
//! let options = HubOptions::default().add_filter(Timing);
//! ```

mod chain;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

pub(crate) use chain::{Chain, InvocationTarget, Opening};

use super::{Arguments, HubCx, InvokeError};
use crate::error::HubResult;
use crate::protocol::Value;

/// What an invocation ends with: its result (`None` for a method that returns nothing, or a
/// stream that started), or why it failed.
pub type InvocationResult = Result<Option<Value>, InvokeError>;

/// Code around the invocations, connects and disconnects of a hub. Every method has a default
/// that just calls `next`, so a filter implements only what it needs.
pub trait HubFilter: Send + Sync + 'static {
    /// Runs around one invocation; `next.run(invocation)` runs the rest of the chain.
    fn on_invocation<'a>(
        &'a self,
        invocation: HubInvocation<'a>,
        next: impl Next<'a>,
    ) -> impl Future<Output = InvocationResult> + Send + 'a {
        next.run(invocation)
    }

    /// Runs around the hub's `on_connected`; an error refuses the connection.
    fn on_connected<'a>(
        &'a self,
        cx: &'a HubCx,
        next: ConnectedNext<'a>,
    ) -> impl Future<Output = HubResult<()>> + Send + 'a {
        next.run(cx)
    }

    /// Runs around the hub's `on_disconnected`, with the error that ended the connection.
    fn on_disconnected<'a>(
        &'a self,
        cx: &'a HubCx,
        error: Option<&'a str>,
        next: DisconnectedNext<'a>,
    ) -> impl Future<Output = ()> + Send + 'a {
        next.run(cx, error)
    }
}

/// One invocation as filters see it.
#[derive(Debug)]
pub struct HubInvocation<'a> {
    cx: &'a HubCx,
    method: &'static str,
    arguments: Arguments,
}

impl<'a> HubInvocation<'a> {
    pub(crate) fn new(cx: &'a HubCx, method: &'static str, arguments: Arguments) -> Self {
        HubInvocation {
            cx,
            method,
            arguments,
        }
    }

    /// The caller's context: connection, user, items, clients.
    pub fn cx(&self) -> &'a HubCx {
        self.cx
    }

    /// The method's wire name, as the hub declares it (whatever case the client used).
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The arguments, still in wire form: [`Arguments::decode`] reads one as any type.
    pub fn arguments(&self) -> &Arguments {
        &self.arguments
    }

    pub(crate) fn into_arguments(self) -> Arguments {
        self.arguments
    }
}

/// The rest of an invocation's chain, as a filter receives it: the next filter, or the hub
/// method after the last one. A filter takes it as `next: impl Next<'_>`, so that the chain of
/// a filter compiled into its hub ([`Hub::with_filter`](super::Hub::with_filter)) is compiled
/// with it.
pub trait Next<'a>: Send + fmt::Debug + 'a + sealed::Sealed {
    /// Runs the rest of the chain.
    ///
    /// The invocation may borrow for less than the chain: its context is the chain's own.
    fn run(
        self,
        invocation: HubInvocation<'_>,
    ) -> impl Future<Output = InvocationResult> + Send + use<'a, Self>;
}

pub(crate) mod sealed {
    /// Only this crate's chains are [`Next`](super::Next).
    pub trait Sealed {}
}

/// The filters of a hub, in the order they run.
pub(crate) type Filters = Arc<[Arc<dyn DynHubFilter>]>;

/// [`HubFilter`] behind a pointer, so that a hub can keep filters of any type.
pub(crate) trait DynHubFilter: Send + Sync {
    fn on_invocation_boxed<'a>(
        &'a self,
        invocation: HubInvocation<'a>,
        next: Chain<'a>,
    ) -> BoxFuture<'a, InvocationResult>;

    fn on_connected_boxed<'a>(
        &'a self,
        cx: &'a HubCx,
        next: ConnectedNext<'a>,
    ) -> BoxFuture<'a, HubResult<()>>;

    fn on_disconnected_boxed<'a>(
        &'a self,
        cx: &'a HubCx,
        error: Option<&'a str>,
        next: DisconnectedNext<'a>,
    ) -> BoxFuture<'a, ()>;
}

impl<F: HubFilter> DynHubFilter for F {
    fn on_invocation_boxed<'a>(
        &'a self,
        invocation: HubInvocation<'a>,
        next: Chain<'a>,
    ) -> BoxFuture<'a, InvocationResult> {
        Box::pin(self.on_invocation(invocation, next))
    }

    fn on_connected_boxed<'a>(
        &'a self,
        cx: &'a HubCx,
        next: ConnectedNext<'a>,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.on_connected(cx, next))
    }

    fn on_disconnected_boxed<'a>(
        &'a self,
        cx: &'a HubCx,
        error: Option<&'a str>,
        next: DisconnectedNext<'a>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(self.on_disconnected(cx, error, next))
    }
}

impl fmt::Debug for dyn DynHubFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HubFilter")
    }
}

/// What ends a connect chain: the hub's `on_connected`.
pub(crate) trait ConnectedTarget: Sync {
    fn call<'a>(&'a self, cx: &'a HubCx) -> BoxFuture<'a, HubResult<()>>;
}

/// The rest of a connect chain.
pub struct ConnectedNext<'a> {
    filters: &'a [Arc<dyn DynHubFilter>],
    target: &'a dyn ConnectedTarget,
}

impl<'a> ConnectedNext<'a> {
    pub(crate) fn new(
        filters: &'a [Arc<dyn DynHubFilter>],
        target: &'a dyn ConnectedTarget,
    ) -> Self {
        ConnectedNext { filters, target }
    }

    /// Runs the next filter, or the hub's `on_connected` after the last one.
    pub fn run(self, cx: &'a HubCx) -> BoxFuture<'a, HubResult<()>> {
        match self.filters.split_first() {
            Some((filter, rest)) => {
                filter.on_connected_boxed(cx, ConnectedNext::new(rest, self.target))
            }
            None => self.target.call(cx),
        }
    }
}

/// What ends a disconnect chain: the hub's `on_disconnected`.
pub(crate) trait DisconnectedTarget: Sync {
    fn call<'a>(&'a self, cx: &'a HubCx, error: Option<&'a str>) -> BoxFuture<'a, ()>;
}

/// The rest of a disconnect chain.
pub struct DisconnectedNext<'a> {
    filters: &'a [Arc<dyn DynHubFilter>],
    target: &'a dyn DisconnectedTarget,
}

impl<'a> DisconnectedNext<'a> {
    pub(crate) fn new(
        filters: &'a [Arc<dyn DynHubFilter>],
        target: &'a dyn DisconnectedTarget,
    ) -> Self {
        DisconnectedNext { filters, target }
    }

    /// Runs the next filter, or the hub's `on_disconnected` after the last one.
    pub fn run(self, cx: &'a HubCx, error: Option<&'a str>) -> BoxFuture<'a, ()> {
        match self.filters.split_first() {
            Some((filter, rest)) => {
                filter.on_disconnected_boxed(cx, error, DisconnectedNext::new(rest, self.target))
            }
            None => self.target.call(cx, error),
        }
    }
}

macro_rules! opaque_debug {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("filters_left", &self.filters.len())
                    .finish_non_exhaustive()
            }
        }
    )*};
}

opaque_debug!(ConnectedNext, DisconnectedNext);
