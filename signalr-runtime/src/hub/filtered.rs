//! A hub with a filter of its own, known by type ([`Hub::with_filter`]): the filter's `next` is
//! the hub method itself, so the call compiles into one future.

use std::fmt;
use std::future::Future;

use super::filter::{
    ConnectedNext, DisconnectedNext, HubFilter, HubInvocation, InvocationResult, Next, Opening,
    sealed,
};
use super::{Arguments, Authorization, Hub, HubCx, InvokeError, ItemStream, MethodInfo};
use crate::error::HubResult;
use crate::lifetime::HubType;
use crate::protocol::Value;

/// Hub `H` with filter `F` around its invocations, connects and disconnects: what
/// [`Hub::with_filter`] returns, mounted like any hub.
///
/// Unlike the filters of [`HubOptions::add_filter`](crate::HubOptions::add_filter) and
/// [`SignalR::add_filter`](crate::SignalR::add_filter), kept behind pointers and run in the order
/// they were added, this one is compiled into the hub's dispatch: its `next` is the hub method
/// itself, so an invocation through it allocates nothing more than one without it (connects
/// and disconnects, rarer, still box the hub's hook). It runs inside those filters: it is part of
/// the hub. A second `with_filter` wraps the first, so the filter given last runs first.
///
/// The hub keeps its identity: lifetime managers, backplane channels and
/// [`SignalR::context`](crate::SignalR::context) know it as `H`.
///
/// ```
/// use signalr_runtime::hub::{HubFilter, HubInvocation, InvocationResult, Next};
/// use signalr_runtime::{Hub, SignalR};
///
/// #[signalr_runtime::hub]
/// trait Chat {
///     async fn send(&self, text: String);
/// }
///
/// struct Room;
///
/// impl Chat for Room {
///     async fn send(&self, _text: String) {}
/// }
///
/// /// Counts calls.
/// #[derive(Default)]
/// struct Calls(std::sync::atomic::AtomicU64);
///
/// impl HubFilter for Calls {
///     async fn on_invocation(&self, invocation: HubInvocation<'_>, next: impl Next<'_>) -> InvocationResult {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         next.run(invocation).await
///     }
/// }
///
/// let mut app = SignalR::new().hub("/chat", Room.into_hub().with_filter(Calls::default()));
/// let chat = app.context::<ChatHub<Room>>(); // the same hub as without the filter
/// ```
pub struct Filtered<H, F> {
    hub: H,
    filter: F,
    /// The wire name of each of `H`'s methods, by index, for the filter's [`HubInvocation`].
    names: Vec<&'static str>,
}

impl<H: Hub, F: HubFilter> Filtered<H, F> {
    pub(crate) fn new(hub: H, filter: F) -> Self {
        let names = H::methods().iter().map(MethodInfo::name).collect();
        Filtered { hub, filter, names }
    }

    /// The hub inside.
    pub fn hub(&self) -> &H {
        &self.hub
    }

    /// The filter around it.
    pub fn filter(&self) -> &F {
        &self.filter
    }

    fn invocation<'a>(&self, index: usize, cx: &'a HubCx, args: Arguments) -> HubInvocation<'a> {
        let name = self.names.get(index).copied().unwrap_or_default();
        HubInvocation::new(cx, name, args)
    }
}

impl<H: Hub, F: HubFilter> Hub for Filtered<H, F> {
    fn methods() -> Vec<MethodInfo> {
        H::methods()
    }

    fn hub_type() -> HubType {
        H::hub_type()
    }

    async fn invoke(
        &self,
        index: usize,
        cx: &HubCx,
        args: Arguments,
    ) -> Result<Option<Value>, InvokeError> {
        let invocation = self.invocation(index, cx, args);
        let next = Method {
            hub: &self.hub,
            index,
            cx,
        };
        self.filter.on_invocation(invocation, next).await
    }

    async fn stream<'a>(
        &'a self,
        index: usize,
        cx: &'a HubCx,
        args: Arguments,
    ) -> Result<ItemStream<'a>, InvokeError> {
        let opening = Opening::default();
        let invocation = self.invocation(index, cx, args);
        let next = StreamStart {
            hub: &self.hub,
            index,
            cx,
            opening: &opening,
        };
        self.filter.on_invocation(invocation, next).await?;
        Ok(opening.take())
    }

    fn authorization() -> Vec<Authorization> {
        H::authorization()
    }

    async fn on_connected(&self, cx: &HubCx) -> HubResult<()> {
        let hooks = super::dispatch::Lifecycle(&self.hub);
        self.filter
            .on_connected(cx, ConnectedNext::new(&[], &hooks))
            .await
    }

    async fn on_disconnected(&self, cx: &HubCx, error: Option<&str>) {
        let hooks = super::dispatch::Lifecycle(&self.hub);
        self.filter
            .on_disconnected(cx, error, DisconnectedNext::new(&[], &hooks))
            .await;
    }
}

impl<H: fmt::Debug, F> fmt::Debug for Filtered<H, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filtered")
            .field("hub", &self.hub)
            .field("filter", &std::any::type_name::<F>())
            .finish()
    }
}

/// The end of a [`Filtered`] hub's chain: method `index` of the hub inside.
struct Method<'a, H> {
    hub: &'a H,
    index: usize,
    cx: &'a HubCx,
}

impl<H> sealed::Sealed for Method<'_, H> {}

impl<H> fmt::Debug for Method<'_, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Method")
            .field("index", &self.index)
            .finish()
    }
}

impl<'a, H: Hub> Next<'a> for Method<'a, H> {
    fn run(
        self,
        invocation: HubInvocation<'_>,
    ) -> impl Future<Output = InvocationResult> + Send + use<'a, H> {
        self.hub
            .invoke(self.index, self.cx, invocation.into_arguments())
    }
}

/// The end of a [`Filtered`] hub's chain for streaming method `index`: it opens the stream,
/// which borrows for `'s`, longer than the chain's `'n`.
struct StreamStart<'n, 's, H> {
    hub: &'s H,
    index: usize,
    cx: &'s HubCx,
    opening: &'n Opening<'s>,
}

impl<H> sealed::Sealed for StreamStart<'_, '_, H> {}

impl<H> fmt::Debug for StreamStart<'_, '_, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamStart")
            .field("index", &self.index)
            .finish()
    }
}

impl<'n, 's: 'n, H: Hub> Next<'n> for StreamStart<'n, 's, H> {
    fn run(
        self,
        invocation: HubInvocation<'_>,
    ) -> impl Future<Output = InvocationResult> + Send + use<'n, 's, H> {
        let items = self
            .hub
            .stream(self.index, self.cx, invocation.into_arguments());
        self.opening.open(items)
    }
}
