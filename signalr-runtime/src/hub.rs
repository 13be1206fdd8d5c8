//! Hubs: the methods clients call, the context they run in, and the clients they call back.
//!
//! A hub is a type implementing [`Hub`]: it lists its methods once, and the runtime looks up every
//! incoming invocation in that list, then asks the hub to run the method at that index. The
//! `#[hub]` macro writes the implementation from a trait; by hand it looks like this:
//!
//! ```
//! use signalr_runtime::hub::{Arguments, Hub, HubCx, InvokeError, MethodInfo};
//! use signalr_runtime::protocol::Value;
//!
//! struct Greeter;
//!
//! impl Hub for Greeter {
//!     fn methods() -> Vec<MethodInfo> {
//!         vec![MethodInfo::new("Greet")]
//!     }
//!
//!     async fn invoke(&self, index: usize, _cx: &HubCx, args: Arguments) -> Result<Option<Value>, InvokeError> {
//!         match index {
//!             0 => {
//!                 args.expect_count(1)?;
//!                 let name: String = args.decode(0)?;
//!                 Ok(Some(Value::new(format!("Hello, {name}!"))))
//!             }
//!             _ => Err(InvokeError::UnknownMethod),
//!         }
//!     }
//! }
//! ```

mod args;
mod clients;
mod context;
pub(crate) mod dispatch;
mod filter;
mod filtered;
mod items;
mod streams;
mod typed;

pub use crate::auth::Authorization;
pub use args::{Arguments, InvokeError};
pub use clients::{ClientProxy, Clients, Groups, HubContext};
pub(crate) use context::ConnectionInfo;
pub use context::HubCx;
pub use filter::{
    ConnectedNext, DisconnectedNext, HubFilter, HubInvocation, InvocationResult, Next,
};
pub(crate) use filter::{DynHubFilter, Filters};
pub use filtered::Filtered;
pub use items::Items;
pub use streams::{ClientStream, ItemStream};
pub(crate) use streams::{Upload, UploadItem, no_items};
pub use typed::{TypedClientProxy, TypedHubContext};

use std::future::Future;

use crate::error::HubResult;
use crate::lifetime::HubType;
use crate::protocol::Value;

/// A hub: the methods clients may call, and what happens when clients come and go.
pub trait Hub: Send + Sync + Sized + 'static {
    /// The hub's methods. Called when the hub is mounted (and when a wrapper such as
    /// [`Filtered`] is built around it), so it must give the same list every time;
    /// [`Hub::invoke`] receives indices into this list.
    fn methods() -> Vec<MethodInfo>;

    /// Runs method `index` of [`Hub::methods`] with the caller's arguments.
    ///
    /// `Ok(None)` means the method returns nothing; `Ok(Some(value))` is its result.
    fn invoke(
        &self,
        index: usize,
        cx: &HubCx,
        args: Arguments,
    ) -> impl Future<Output = Result<Option<Value>, InvokeError>> + Send;

    /// Starts streaming method `index` of [`Hub::methods`]: its items, or why it could not
    /// start. Only called for methods listed as [`MethodKind::Stream`].
    fn stream<'a>(
        &'a self,
        index: usize,
        cx: &'a HubCx,
        args: Arguments,
    ) -> impl Future<Output = Result<ItemStream<'a>, InvokeError>> + Send + 'a {
        let _ = (index, cx, args);
        std::future::ready(Err(InvokeError::UnknownMethod))
    }

    /// What every caller of every method must meet (`#[hub(authorize)]` or `#[hub(policy =
    /// ..)]` on the trait, ASP.NET Core's `[Authorize]` on the hub class). Requirements that need
    /// no invocation (`authorize`, `authorize = "role"`) are also checked before a connection
    /// starts, as ASP.NET Core does: anonymous requests get 401, negotiate included, and users
    /// without the role 403. Policies see the invocation, so they are checked per call only.
    fn authorization() -> Vec<Authorization> {
        Vec::new()
    }

    /// Runs when a connection has completed its handshake. An error closes the connection with
    /// that error before any invocation is read.
    fn on_connected(&self, cx: &HubCx) -> impl Future<Output = HubResult<()>> + Send {
        let _ = cx;
        std::future::ready(Ok(()))
    }

    /// Runs after a connection has ended, with the error that ended it, if any.
    fn on_disconnected(&self, cx: &HubCx, error: Option<&str>) -> impl Future<Output = ()> + Send {
        let _ = (cx, error);
        std::future::ready(())
    }

    /// The type lifetime managers, backplanes and [`SignalR::context`](crate::SignalR::context)
    /// know this hub by: itself, unless it wraps another hub (as [`Filtered`] does).
    fn hub_type() -> HubType {
        HubType::of::<Self>()
    }

    /// This hub with `filter` around its invocations, connects and disconnects, compiled into
    /// its dispatch (see [`Filtered`]).
    fn with_filter<F: HubFilter>(self, filter: F) -> Filtered<Self, F> {
        Filtered::new(self, filter)
    }
}

/// How a method answers an invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum MethodKind {
    /// One result (or none) in a Completion.
    Unary,
    /// A stream of items, then a Completion.
    Stream,
}

/// One entry of a hub's method list: its wire name, how it answers, who may call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodInfo {
    name: &'static str,
    kind: MethodKind,
    authorization: Vec<Authorization>,
}

impl MethodInfo {
    /// A method with one result, called `name` on the wire (matched ignoring ASCII case).
    pub fn new(name: &'static str) -> Self {
        MethodInfo {
            name,
            kind: MethodKind::Unary,
            authorization: Vec::new(),
        }
    }

    /// A method answering with a stream of items, called `name` on the wire.
    pub fn streaming(name: &'static str) -> Self {
        MethodInfo {
            name,
            kind: MethodKind::Stream,
            authorization: Vec::new(),
        }
    }

    /// The same method, callable only by users that `authorization` allows as well as what
    /// it required before (others get ASP.NET Core's
    /// `Failed to invoke '…' because user is unauthorized`).
    #[must_use]
    pub fn authorize(mut self, authorization: Authorization) -> Self {
        self.authorization.push(authorization);
        self
    }

    /// What a caller must meet to call the method, besides the hub's own requirements
    /// ([`Hub::authorization`]); empty means anyone who may connect.
    pub fn authorization(&self) -> &[Authorization] {
        &self.authorization
    }

    /// The method's wire name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How the method answers.
    pub fn kind(&self) -> MethodKind {
        self.kind
    }
}

/// A context attached to no connection (see `__private::detached_context`).
pub(crate) fn detached_context() -> HubCx {
    let id = crate::ConnectionId::from("detached");
    let manager: std::sync::Arc<dyn crate::lifetime::HubLifetimeManager> =
        std::sync::Arc::new(crate::lifetime::LocalLifetimeManager::default());
    let closing = crate::closing::Closing::default();
    let info = ConnectionInfo {
        id: id.clone(),
        request: Box::new(crate::request::Request {
            uri: axum::http::Uri::from_static("/"),
            headers: axum::http::HeaderMap::new(),
            extensions: axum::http::Extensions::new(),
            user: None,
        }),
        items: Items::default(),
        transport: crate::Transport::WebSockets,
        user_id: None,
        closing,
    };
    HubCx::new(std::sync::Arc::new(info), Clients::new(manager, id))
}
