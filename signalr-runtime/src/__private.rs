//! The seam between `#[hub]`-generated code and the runtime. Not public API: it changes without
//! notice, and only generated code should name it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::HubError;
use crate::hub::{Arguments, InvokeError};
use crate::protocol::Value;

/// Types a hub method can take as a parameter.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a hub method parameter",
    label = "the client's argument cannot be deserialized into this type",
    note = "parameters are bound from the client's arguments: derive `serde::Deserialize` for `{Self}`"
)]
pub trait HubParameter: DeserializeOwned + Send + 'static {}

impl<T: DeserializeOwned + Send + 'static> HubParameter for T {}

/// Types that can travel to clients: hub method results and client method arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to clients",
    label = "this type cannot be serialized",
    note = "results and client arguments are serialized for the client: derive `serde::Serialize` for `{Self}`"
)]
pub trait HubValue: Serialize + Send + Sync + 'static {}

impl<T: Serialize + Send + Sync + 'static> HubValue for T {}

/// Error types a fallible hub method may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a hub method's error",
    label = "this error type does not convert into `HubError`",
    note = "return `HubResult<T>`, or an error type that implements `std::error::Error`"
)]
pub trait IntoHubError {
    /// The conversion.
    fn into_hub_error(self) -> HubError;
}

impl<E: Into<HubError>> IntoHubError for E {
    fn into_hub_error(self) -> HubError {
        self.into()
    }
}

/// Binds argument `index` for a parameter of type `T`.
pub fn bind_argument<T: HubParameter>(args: &Arguments, index: usize) -> Result<T, InvokeError> {
    args.decode(index)
}

/// Binds upload stream `index` for a parameter `ClientStream<T>`.
pub fn bind_upload<T: HubParameter>(
    args: &mut Arguments,
    index: usize,
) -> Result<crate::hub::ClientStream<T>, InvokeError> {
    args.take_stream(index)
}

/// Boxes a streaming method's items.
pub fn item_stream<'a, T, S>(items: S) -> crate::hub::ItemStream<'a>
where
    T: HubValue,
    S: futures_util::Stream<Item = T> + Send + 'a,
{
    use futures_util::StreamExt;
    items.map(|item| Ok(Value::new(item))).boxed()
}

/// Boxes a streaming method's items that may fail; an error ends the stream.
pub fn fallible_item_stream<'a, T, S, E>(items: S) -> crate::hub::ItemStream<'a>
where
    T: HubValue,
    E: IntoHubError + 'a,
    S: futures_util::Stream<Item = Result<T, E>> + Send + 'a,
{
    use futures_util::StreamExt;
    items
        .map(|item| item.map(Value::new).map_err(IntoHubError::into_hub_error))
        .boxed()
}

/// Wraps a method's result.
pub fn result_value<T: HubValue>(value: T) -> Value {
    Value::new(value)
}

/// Wraps an argument of a client method.
pub fn argument_value<T: HubValue>(value: T) -> Value {
    Value::new(value)
}

/// Calls a client method with a result on a single client.
pub async fn invoke_client<T: HubParameter>(
    proxy: &crate::hub::ClientProxy,
    method: &str,
    arguments: Vec<Value>,
) -> crate::HubResult<T> {
    proxy.invoke(method, arguments).await
}

/// Converts a method's error.
pub fn method_error<E: IntoHubError>(error: E) -> InvokeError {
    InvokeError::Failed(error.into_hub_error())
}

/// What `#[hub]` contracts use to describe a type: with its schemas when it implements
/// `schemars::JsonSchema` (and the `schema` feature is on), without them otherwise, so that a
/// hub whose types lack `JsonSchema` compiles whatever features are on, and a generator names
/// the type it cannot describe. The choice is made by method resolution on
/// `(&ContractProbe::<T>::new()).type_contract(..)`: [`WithSchema`] applies to the probe itself
/// and wins where it exists; [`WithoutSchema`] applies to a reference to it, one autoref away.
pub struct ContractProbe<T: ?Sized>(std::marker::PhantomData<fn() -> std::marker::PhantomData<T>>);

impl<T: ?Sized> ContractProbe<T> {
    /// The probe of `T`.
    pub fn new() -> Self {
        ContractProbe(std::marker::PhantomData)
    }
}

impl<T: ?Sized> Default for ContractProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: ?Sized> std::fmt::Debug for ContractProbe<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContractProbe")
    }
}

/// A type's contract with its schemas.
pub trait WithSchema {
    /// `T`'s contract, called `rust` in the trait.
    fn type_contract(
        &self,
        types: &mut crate::contract::TypeRegistry,
        rust: &str,
    ) -> crate::contract::TypeContract;
}

#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema + ?Sized> WithSchema for ContractProbe<T> {
    fn type_contract(
        &self,
        types: &mut crate::contract::TypeRegistry,
        rust: &str,
    ) -> crate::contract::TypeContract {
        types.type_of::<T>(rust)
    }
}

/// A type's contract without schemas.
pub trait WithoutSchema {
    /// `T`'s contract, called `rust` in the trait.
    fn type_contract(
        &self,
        types: &mut crate::contract::TypeRegistry,
        rust: &str,
    ) -> crate::contract::TypeContract;
}

impl<T: ?Sized> WithoutSchema for &ContractProbe<T> {
    fn type_contract(
        &self,
        types: &mut crate::contract::TypeRegistry,
        rust: &str,
    ) -> crate::contract::TypeContract {
        types.without_schema(rust)
    }
}

/// A context attached to no connection: sends go nowhere. For benchmarks and tests that call
/// hub methods directly.
pub fn detached_context() -> crate::HubCx {
    crate::hub::detached_context()
}

/// A hub's method table and the dispatcher every connection uses, callable without a
/// connection (benchmarks compare it with hand-written dispatch).
pub struct Dispatcher<H> {
    table: crate::hub::dispatch::MethodTable<H>,
}

impl<H: crate::Hub> Dispatcher<H> {
    /// Builds `H`'s method table.
    pub fn new() -> Self {
        Self::with_options(&crate::HubOptions::default())
    }

    /// Builds `H`'s method table with the policies and filters of `options`.
    pub fn with_options(options: &crate::HubOptions) -> Self {
        let filters = options.filters.iter().cloned().collect();
        Dispatcher {
            table: crate::hub::dispatch::MethodTable::new("/", options, filters),
        }
    }

    /// The index of the method `target` names, as the connection looks it up.
    pub fn find(&self, target: &str) -> Option<usize> {
        self.table.find(target).map(|method| method.index)
    }

    /// Runs `call` as a connection would, returning the Completion for the caller.
    pub async fn invoke(
        &self,
        hub: &H,
        cx: &crate::HubCx,
        call: crate::protocol::Invocation,
    ) -> Option<crate::protocol::Completion> {
        let call = crate::hub::dispatch::Call {
            target: call.target,
            invocation_id: call.invocation_id,
            args: Arguments::new(call.arguments),
        };
        crate::hub::dispatch::invoke(hub, &self.table, cx, call, false).await
    }
}

impl<H: crate::Hub> Default for Dispatcher<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> std::fmt::Debug for Dispatcher<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dispatcher")
    }
}

/// Bytes waiting in every connection's outbound queue of this process (feature `stats`), for
/// soak tests that watch them return to 0.
#[cfg(feature = "stats")]
pub fn queued_bytes() -> usize {
    crate::outbound::queued_bytes()
}

/// What the runtime's tables hold now (feature `stats`), for leak tests that watch it all
/// return once connections have closed.
#[cfg(feature = "stats")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Connections being served.
    pub connections: usize,
    /// Connections in in-process lifetime managers' registries.
    pub registered: usize,
    /// Negotiate tokens held.
    pub tokens: usize,
    /// Bytes in outbound queues.
    pub queued_bytes: usize,
}

/// What the runtime's tables hold now (feature `stats`).
#[cfg(feature = "stats")]
pub fn held() -> Held {
    let [connections, registered, tokens] = crate::stats::snapshot();
    Held {
        connections,
        registered,
        tokens,
        queued_bytes: crate::outbound::queued_bytes(),
    }
}

/// What generated client code (typed proxies, client method handlers) is written against.
#[cfg(feature = "client")]
pub use crate::client::seam as client;

/// Expands to the items it is given when `signalr-runtime` is built with the `client` feature,
/// and to nothing otherwise. Generated code wraps its client-only items in it: a `cfg` in
/// generated code would test the user's crate's features, not this crate's.
#[cfg(feature = "client")]
#[doc(hidden)]
#[macro_export]
macro_rules! __client_items {
    ($($items:tt)*) => {
        $($items)*
    };
}

/// Expands to the items it is given when `signalr-runtime` is built with the `client` feature,
/// and to nothing otherwise (this build has no client).
#[cfg(not(feature = "client"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __client_items {
    ($($items:tt)*) => {};
}
