//! What `#[hub]` and `#[hub_client]` generate client code against. Not public API.
//!
//! Generated proxies are generic over the connection type `C` and name every parameter and
//! result type in `C: Encodes<T>` / `C: Decodes<T>` bounds. Because the bounds mention `C`, the
//! compiler checks them where a proxy method is called, not where it is defined: a hub whose
//! result types are `Serialize` only still compiles in a crate that enables the `client`
//! feature, and only calling that method from a client is an error.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::connection::decode_result;
use super::{Arguments, ClientError, HandlerResult, HubConnection, HubStream, Upload};
use crate::protocol::Value;

/// The connections generated code works with (only [`HubConnection`]).
pub trait Connection: Clone + Send + Sync + 'static {
    /// The connection itself.
    fn connection(&self) -> &HubConnection;
}

impl Connection for HubConnection {
    fn connection(&self) -> &HubConnection {
        self
    }
}

/// Types a client can send: hub method arguments, upload items, client method results.
#[diagnostic::on_unimplemented(
    message = "`{T}` cannot be sent by a SignalR client",
    label = "this argument's type does not implement `serde::Serialize`",
    note = "arguments, upload items and client results are serialized: derive `serde::Serialize` for `{T}`"
)]
pub trait Encodes<T> {
    /// Wraps `value`.
    fn encode(value: T) -> Value;
}

impl<T: Serialize + Send + Sync + 'static> Encodes<T> for HubConnection {
    fn encode(value: T) -> Value {
        Value::new(value)
    }
}

/// Types a client can receive: hub method results, stream items, client method arguments.
#[diagnostic::on_unimplemented(
    message = "`{T}` cannot be received by a SignalR client",
    label = "this method's result or argument type does not implement `serde::Deserialize`",
    note = "results, stream items and client method arguments are deserialized: derive `serde::Deserialize` for `{T}`"
)]
pub trait Decodes<T> {
    /// Binds a result (`None`: the method returned nothing).
    fn decode_result(value: Option<&Value>) -> Result<T, ClientError>;

    /// Binds a stream item or argument.
    fn decode(value: &Value) -> Result<T, ClientError>;
}

impl<T: DeserializeOwned> Decodes<T> for HubConnection {
    fn decode_result(value: Option<&Value>) -> Result<T, ClientError> {
        decode_result(value)
    }

    fn decode(value: &Value) -> Result<T, ClientError> {
        value.decode().map_err(ClientError::from)
    }
}

/// Invokes `method` and binds its result.
pub async fn invoke<C: Connection + Decodes<T>, T>(
    connection: &C,
    method: &str,
    arguments: Vec<Value>,
    uploads: Vec<Upload>,
) -> Result<T, ClientError> {
    let result = connection
        .connection()
        .invoke_raw(method, arguments, uploads)
        .await?;
    C::decode_result(result.as_ref())
}

/// Starts the streaming method `method`.
pub async fn stream<C: Connection + Decodes<T>, T>(
    connection: &C,
    method: &str,
    arguments: Vec<Value>,
    uploads: Vec<Upload>,
) -> Result<HubStream<T>, ClientError> {
    connection
        .connection()
        .stream_with_uploads(method, arguments, uploads, C::decode)
        .await
}

/// An upload stream of `T`s.
pub fn upload<C, T, S>(items: S) -> Upload
where
    C: Encodes<T> + 'static,
    T: 'static,
    S: futures_util::Stream<Item = T> + Send + 'static,
{
    use futures_util::StreamExt as _;
    Upload::from_values(items.map(C::encode))
}

/// Registers a handler that shares `client` (the user's implementation) across calls.
pub fn handle<C, I, F, Fut>(connection: &C, method: &str, client: &Arc<I>, handler: F)
where
    C: Connection,
    I: Send + Sync + 'static,
    F: Fn(Arc<I>, Arguments) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<Value>, ClientError>> + Send + 'static,
{
    let client = client.clone();
    connection.connection().on(method, move |args| {
        let call = handler(client.clone(), args);
        async move { call.await.map_err(|error| error.to_string()) as HandlerResult }
    });
}

/// Binds argument `index` of a call from the server.
pub fn argument<C: Decodes<T>, T>(args: &Arguments, index: usize) -> Result<T, ClientError> {
    let value = args
        .raw(index)
        .ok_or_else(|| ClientError::Decode(format!("argument {index} is missing")))?;
    C::decode(value)
}
