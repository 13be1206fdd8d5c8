//! Client methods: what the server may call, and the task that runs the calls in order.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, PoisonError, RwLock};

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::ClientError;
use crate::protocol::{Completion, HubMessage, Invocation, Outcome, Value};

/// What a handler answers: a result for the server (`None` for none), or an error text the
/// server's caller sees.
pub type HandlerResult = Result<Option<Value>, String>;

/// A handler of one client method: takes the call's arguments, answers when done.
pub(crate) type Handler = Arc<dyn Fn(Arguments) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// The arguments of a call from the server, still in their wire form.
///
/// ```
/// use signalr_runtime::client::Arguments;
/// use signalr_runtime::protocol::Value;
///
/// let args = Arguments::new(vec![Value::from_json("\"hi\"").unwrap()]);
/// assert_eq!(args.len(), 1);
/// assert_eq!(args.get::<String>(0).unwrap(), "hi");
/// assert!(args.get::<String>(1).is_err());
/// ```
#[derive(Debug)]
pub struct Arguments(Vec<Value>);

impl Arguments {
    /// Wraps the arguments of a call.
    pub fn new(values: Vec<Value>) -> Self {
        Arguments(values)
    }

    /// How many arguments the server sent.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the server sent none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw argument at `index`.
    pub fn raw(&self, index: usize) -> Option<&Value> {
        self.0.get(index)
    }

    /// Argument `index`, decoded into `T`.
    ///
    /// # Errors
    ///
    /// [`ClientError::Decode`] when it is missing or does not fit `T`.
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Result<T, ClientError> {
        self.raw(index)
            .ok_or_else(|| ClientError::Decode(format!("argument {index} is missing")))?
            .decode()
            .map_err(ClientError::from)
    }

    /// Checks that exactly `count` arguments arrived.
    ///
    /// # Errors
    ///
    /// [`ClientError::Decode`] naming both counts otherwise.
    pub fn expect_len(&self, count: usize) -> Result<(), ClientError> {
        if self.len() == count {
            Ok(())
        } else {
            Err(ClientError::Decode(format!(
                "expected {count} arguments, the server sent {}",
                self.len()
            )))
        }
    }
}

/// Argument lists a typed handler can take: tuples of up to six `Deserialize` types, one per
/// argument (`()` for none).
///
/// ```
/// use signalr_runtime::client::{Arguments, FromArguments};
/// use signalr_runtime::protocol::Value;
///
/// let args = Arguments::new(vec![
///     Value::from_json("\"ann\"").unwrap(),
///     Value::from_json("3").unwrap(),
/// ]);
/// let (name, count) = <(String, u32)>::from_arguments(&args).unwrap();
/// assert_eq!((name.as_str(), count), ("ann", 3));
/// assert!(<(String,)>::from_arguments(&args).is_err());
/// ```
pub trait FromArguments: Sized + Send + 'static {
    /// Binds every argument.
    ///
    /// # Errors
    ///
    /// [`ClientError::Decode`] when the count or a type does not fit.
    fn from_arguments(args: &Arguments) -> Result<Self, ClientError>;
}

macro_rules! tuple_arguments {
    ($count:literal; $($name:ident $index:tt),*) => {
        impl<$($name: DeserializeOwned + Send + 'static),*> FromArguments for ($($name,)*) {
            #[allow(unused_variables)]
            fn from_arguments(args: &Arguments) -> Result<Self, ClientError> {
                args.expect_len($count)?;
                Ok(($(args.get::<$name>($index)?,)*))
            }
        }
    };
}

tuple_arguments!(0;);
tuple_arguments!(1; A 0);
tuple_arguments!(2; A 0, B 1);
tuple_arguments!(3; A 0, B 1, C 2);
tuple_arguments!(4; A 0, B 1, C 2, D 3);
tuple_arguments!(5; A 0, B 1, C 2, D 3, E 4);
tuple_arguments!(6; A 0, B 1, C 2, D 3, E 4, F 5);

/// The registered client methods, by lowercase name (SignalR matches names ignoring case).
#[derive(Default)]
pub(crate) struct Handlers(RwLock<HashMap<String, Handler>>);

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self.0.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_set().entries(map.keys()).finish()
    }
}

impl Handlers {
    pub(crate) fn set(&self, method: &str, handler: Handler) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        map.insert(method.to_lowercase(), handler);
    }

    pub(crate) fn remove(&self, method: &str) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        map.remove(&method.to_lowercase());
    }

    fn get(&self, method: &str) -> Option<Handler> {
        let map = self.0.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&method.to_lowercase()).cloned()
    }
}

/// Runs the server's calls one after another, in arrival order, off the session's read loop
/// (so a handler may itself call the server and wait for the answer). Results go to
/// `outgoing`; once the session has ended they are dropped with it.
pub(crate) async fn run_calls(
    handlers: Arc<Handlers>,
    mut calls: mpsc::UnboundedReceiver<Invocation>,
    outgoing: mpsc::UnboundedSender<HubMessage>,
) {
    while let Some(call) = calls.recv().await {
        let handler = handlers.get(&call.target);
        let outcome = match handler {
            // A handler that panics (making its future or running it) fails its call; the
            // calls after it still run.
            Some(handler) => match AssertUnwindSafe(async {
                let args = Arguments(call.arguments);
                handler(args).await
            })
            .catch_unwind()
            .await
            {
                Ok(Ok(Some(value))) => Outcome::Value(value),
                // A call that wants a result and gets none fails, as with ASP.NET Core's
                // clients (only calls with an id get an answer at all).
                Ok(Ok(None)) => Outcome::Error("Client didn't provide a result.".to_owned()),
                Ok(Err(error)) => Outcome::Error(error),
                Err(_) => Outcome::Error(format!("The client method '{}' panicked.", call.target)),
            },
            // ASP.NET Core's clients' text when nothing answers a client result.
            None => Outcome::Error("Client didn't provide a result.".to_owned()),
        };
        if let Some(id) = call.invocation_id {
            let _ = outgoing.send(HubMessage::Completion(Completion::new(id, outcome)));
        }
    }
}
