//! Hubs: the methods clients call, the context they run in, and the clients they call back.
//!
//! A hub is a type implementing [`Hub`]: it lists its [`Method`]s once, and the runtime looks up
//! every incoming invocation in that table. The `#[hub]` macro writes the implementation from a
//! trait; it can also be written by hand, as below.
//!
//! ```
//! use signalr_runtime::hub::{Arguments, Hub, HubCx, Method, MethodFuture};
//! use signalr_runtime::protocol::Value;
//!
//! struct Greeter;
//!
//! impl Hub for Greeter {
//!     fn methods() -> Vec<Method<Self>> {
//!         vec![Method::new("Greet", greet)]
//!     }
//! }
//!
//! fn greet<'a>(
//!     _hub: &'a Greeter,
//!     _cx: &'a HubCx,
//!     args: Arguments,
//! ) -> MethodFuture<'a> {
//!     Box::pin(async move {
//!         args.expect_count(1)?;
//!         let name: String = args.decode(0)?;
//!         Ok(Some(Value::new(format!("Hello, {name}!"))))
//!     })
//! }
//! ```

mod args;
mod clients;
mod context;
pub(crate) mod dispatch;

pub use args::{Arguments, InvokeError};
pub use clients::{ClientProxy, Clients};
pub(crate) use context::ConnectionInfo;
pub use context::HubCx;

pub use futures_util::future::BoxFuture;

use futures_util::future;

use crate::error::HubResult;
use crate::protocol::Value;

/// The future a hub method returns: its result, or why it could not run or failed.
pub type MethodFuture<'a> = BoxFuture<'a, Result<Option<Value>, InvokeError>>;

/// Calls one hub method: binds `Arguments`, runs the method, and wraps its result.
///
/// `Ok(None)` means the method returns nothing; `Ok(Some(value))` is its result.
pub type Handler<H> = for<'a> fn(&'a H, &'a HubCx, Arguments) -> MethodFuture<'a>;

/// A hub: the methods clients may call, and what happens when clients come and go.
pub trait Hub: Send + Sync + Sized + 'static {
    /// The hub's methods. Called once, when the hub is mounted.
    fn methods() -> Vec<Method<Self>>;

    /// Runs when a connection has completed its handshake. An error closes the connection with
    /// that error before any invocation is read.
    fn on_connected<'a>(&'a self, cx: &'a HubCx) -> BoxFuture<'a, HubResult<()>> {
        let _ = cx;
        Box::pin(future::ready(Ok(())))
    }

    /// Runs after a connection has ended, with the error that ended it, if any.
    fn on_disconnected<'a>(&'a self, cx: &'a HubCx, error: Option<&'a str>) -> BoxFuture<'a, ()> {
        let _ = (cx, error);
        Box::pin(future::ready(()))
    }
}

/// How a method answers an invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum MethodKind {
    /// One result (or none) in a Completion.
    Unary,
}

/// One entry of a hub's method table.
pub struct Method<H> {
    pub(crate) name: &'static str,
    pub(crate) kind: MethodKind,
    pub(crate) handler: Handler<H>,
}

impl<H> Method<H> {
    /// A method with one result, called `name` on the wire (matched ignoring ASCII case).
    pub fn new(name: &'static str, handler: Handler<H>) -> Self {
        Method {
            name,
            kind: MethodKind::Unary,
            handler,
        }
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

impl<H> std::fmt::Debug for Method<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Method")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
