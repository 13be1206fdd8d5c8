//! [`HubConnection`]: the public face of a client connection.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::builder::{Config, HubConnectionBuilder};
use super::events::Events;
use super::handlers::{Arguments, FromArguments, HandlerResult, Handlers};
use super::invocations::CallResult;
use super::session::{self, Session};
use super::streams::{HubStream, Upload};
use super::{ClientError, supervisor};
use crate::Transport;
use crate::protocol::{Completion, Headers, HubMessage, Invocation, Outcome, StreamItem, Value};

/// Where a connection is in its life.
///
/// ```
/// use signalr_runtime::client::{ConnectionState, HubConnection};
///
/// let connection = HubConnection::builder("http://localhost:5000/chat").build().unwrap();
/// assert_eq!(connection.state(), ConnectionState::Disconnected);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Not started, stopped, or closed for good.
    Disconnected,
    /// `start` is negotiating and handshaking.
    Connecting,
    /// Calls can be made.
    Connected,
    /// The connection was lost and automatic reconnect is trying again.
    Reconnecting,
}

/// A connection to a SignalR hub: calls to the server, handlers for calls from it.
///
/// Cloning is cheap: every clone is the same connection. When the last clone is dropped, the
/// connection closes as if stopped (a handler that keeps a clone of its own connection keeps it
/// open).
///
/// ```no_run
/// use signalr_runtime::client::{ClientError, HubConnection};
/// use signalr_runtime::protocol::Value;
///
/// # async fn run() -> Result<(), ClientError> {
/// let connection = HubConnection::builder("http://localhost:5000/chat").build()?;
/// connection.on("ReceiveMessage", |args| async move {
///     let user: String = args.get(0).map_err(|error| error.to_string())?;
///     println!("{user} wrote something");
///     Ok(None)
/// });
/// connection.start().await?;
/// let echoed: String = connection.invoke("Echo", vec![Value::new("hi")]).await?;
/// connection.stop().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HubConnection {
    pub(crate) inner: Arc<Inner>,
    /// Shared by the user's clones only (not by the connection's own tasks): its drop stops
    /// the connection.
    _owners: Arc<Owners>,
}

/// Stops the connection when the last user handle goes.
struct Owners(Arc<Inner>);

impl Drop for Owners {
    fn drop(&mut self) {
        self.0
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancel();
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) handlers: Arc<Handlers>,
    pub(crate) state: watch::Sender<ConnectionState>,
    /// The running session, while connected.
    pub(crate) session: Mutex<Option<Arc<Session>>>,
    /// Stops the running supervisor; replaced at every start.
    pub(crate) stop: Mutex<CancellationToken>,
    /// Serializes `start` and `stop`.
    lifecycle: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    next_id: AtomicU64,
    pub(crate) events: Events,
    /// Why the connection last closed (`None` after a normal close).
    pub(crate) close_reason: Mutex<Option<ClientError>>,
}

impl fmt::Debug for HubConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubConnection")
            .field("config", &self.inner.config)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl HubConnection {
    /// Starts configuring a connection to the hub at `url` (`http://host:port/path`).
    pub fn builder(url: impl Into<String>) -> HubConnectionBuilder {
        HubConnectionBuilder::new(url)
    }

    pub(crate) fn from_config(config: Config) -> Self {
        let inner = Arc::new(Inner {
            config,
            handlers: Arc::new(Handlers::default()),
            state: watch::Sender::new(ConnectionState::Disconnected),
            session: Mutex::new(None),
            stop: Mutex::new(CancellationToken::new()),
            lifecycle: tokio::sync::Mutex::new(None),
            next_id: AtomicU64::new(0),
            events: Events::default(),
            close_reason: Mutex::new(None),
        });
        HubConnection {
            _owners: Arc::new(Owners(inner.clone())),
            inner,
        }
    }

    /// Connects: negotiates, opens a transport and completes the handshake.
    ///
    /// # Errors
    ///
    /// Why the connection could not be made; the connection is then disconnected and may be
    /// started again. [`ClientError::AlreadyStarted`] unless it was disconnected;
    /// [`ClientError::ConnectionClosed`] when [`HubConnection::stop`] was called meanwhile.
    pub async fn start(&self) -> Result<(), ClientError> {
        let mut lifecycle = self.inner.lifecycle.lock().await;
        let started = self.inner.state.send_if_modified(|state| {
            let disconnected = *state == ConnectionState::Disconnected;
            if disconnected {
                *state = ConnectionState::Connecting;
            }
            disconnected
        });
        if !started {
            return Err(ClientError::AlreadyStarted);
        }
        // The token exists before connecting, so `stop` (or dropping the connection) can end
        // a start that waits for a slow server.
        let stop = CancellationToken::new();
        *self
            .inner
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = stop.clone();
        let connected = tokio::select! {
            () = stop.cancelled() => Err(ClientError::ConnectionClosed),
            connected = session::connect(&self.inner.config, self.inner.handlers.clone()) => {
                connected
            }
        };
        match connected {
            Ok((session, runner)) => {
                *self
                    .inner
                    .session
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(session);
                *self
                    .inner
                    .close_reason
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                self.inner.state.send_replace(ConnectionState::Connected);
                *lifecycle = Some(tokio::spawn(supervisor::supervise(
                    self.inner.clone(),
                    runner,
                    stop,
                )));
                Ok(())
            }
            Err(error) => {
                self.inner.state.send_replace(ConnectionState::Disconnected);
                Err(error)
            }
        }
    }

    /// Closes the connection (and stops reconnecting, or a `start` still connecting). Calls
    /// still waiting fail with [`ClientError::ConnectionClosed`]. Returns once it is
    /// disconnected.
    pub async fn stop(&self) {
        // Once before waiting for the lifecycle lock, which a `start` in progress holds: that
        // start gives up. Once more after, for a start that replaced the token meanwhile.
        self.cancel_current();
        let mut lifecycle = self.inner.lifecycle.lock().await;
        self.cancel_current();
        if let Some(task) = lifecycle.take() {
            let _ = task.await;
        }
    }

    /// Waits until the connection is disconnected (by `stop`, by the server, or because
    /// reconnecting gave up) and returns why: `None` for a normal close.
    pub async fn closed(&self) -> Option<ClientError> {
        let mut state = self.inner.state.subscribe();
        let _ = state
            .wait_for(|state| *state == ConnectionState::Disconnected)
            .await;
        self.inner
            .close_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        *self.inner.state.borrow()
    }

    /// The connection id negotiate reported, while connected (none without negotiation).
    pub fn connection_id(&self) -> Option<String> {
        self.session().ok()?.connection_id.clone()
    }

    /// The transport in use, while connected.
    pub fn transport(&self) -> Option<Transport> {
        self.session().ok().map(|session| session.transport)
    }

    /// Handles calls of the client method `method` (matched ignoring case), replacing any
    /// earlier handler of it. The handler's `Ok(Some(value))` answers a call that wants a
    /// result; `Err(text)` fails it, and so does `Ok(None)` (with ASP.NET Core's text "Client
    /// didn't provide a result."). Calls run one at a time, in the order they arrived.
    pub fn on<F, Fut>(&self, method: &str, handler: F)
    where
        F: Fn(Arguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.inner
            .handlers
            .set(method, Arc::new(move |args| Box::pin(handler(args))));
    }

    /// Handles calls of `method` with typed arguments (a tuple, see [`FromArguments`]) and a
    /// typed result, which answers calls that want one. Arguments that do not fit fail the call.
    ///
    /// ```no_run
    /// # use signalr_runtime::client::HubConnection;
    /// # fn run(connection: &HubConnection) {
    /// connection.handle("ReceiveMessage", |(user, text): (String, String)| async move {
    ///     println!("{user}: {text}");
    /// });
    /// connection.handle("Confirm", |(question,): (String,)| async move {
    ///     !question.is_empty()
    /// });
    /// # }
    /// ```
    pub fn handle<A, R, F, Fut>(&self, method: &str, handler: F)
    where
        A: FromArguments,
        R: Serialize + Send + Sync + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.on(method, move |args| {
            let handler = handler.clone();
            async move {
                let args = A::from_arguments(&args).map_err(|error| error.to_string())?;
                Ok(Some(Value::new(handler(args).await)))
            }
        });
    }

    /// Removes the handler of `method`.
    pub fn remove(&self, method: &str) {
        self.inner.handlers.remove(method);
    }

    /// Runs `callback` with the error whenever the connection is lost and reconnecting starts.
    pub fn on_reconnecting(&self, callback: impl Fn(&ClientError) + Send + Sync + 'static) {
        self.inner.events.on_reconnecting(callback);
    }

    /// Runs `callback` with the new connection id whenever reconnecting succeeded.
    pub fn on_reconnected(&self, callback: impl Fn(Option<&str>) + Send + Sync + 'static) {
        self.inner.events.on_reconnected(callback);
    }

    /// Runs `callback` with the reason whenever the connection closes for good.
    pub fn on_closed(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        self.inner.events.on_closed(callback);
    }

    /// Calls `method` and waits for its result, decoded into `T` (use `()` for none).
    ///
    /// # Errors
    ///
    /// [`ClientError::Hub`] with the server's text when the method failed; otherwise why the
    /// call could not complete.
    pub async fn invoke<T: DeserializeOwned>(
        &self,
        method: &str,
        arguments: Vec<Value>,
    ) -> Result<T, ClientError> {
        self.invoke_with_uploads(method, arguments, Vec::new())
            .await
    }

    /// [`HubConnection::invoke`] with upload streams, in the order of the method's
    /// `ClientStream` parameters.
    ///
    /// # Errors
    ///
    /// As [`HubConnection::invoke`].
    pub async fn invoke_with_uploads<T: DeserializeOwned>(
        &self,
        method: &str,
        arguments: Vec<Value>,
        uploads: Vec<Upload>,
    ) -> Result<T, ClientError> {
        let result = self.invoke_raw(method, arguments, uploads).await?;
        decode_result(result.as_ref())
    }

    pub(crate) async fn invoke_raw(
        &self,
        method: &str,
        arguments: Vec<Value>,
        uploads: Vec<Upload>,
    ) -> CallResult {
        let session = self.session()?;
        let id = self.next_id();
        let answer = session.invocations.call(&id)?;
        let uploading = self.start_call(&session, Some(id), method, arguments, uploads, false)?;
        // Uploads stop with the call: once it has completed, the server reads no more items.
        let _uploads = uploading.drop_guard();
        answer.await.unwrap_or(Err(ClientError::ConnectionClosed))
    }

    /// Calls `method` without waiting for it to run (no result, no error from the server).
    ///
    /// # Errors
    ///
    /// [`ClientError::NotConnected`] when there is no connection to send on.
    pub async fn send(&self, method: &str, arguments: Vec<Value>) -> Result<(), ClientError> {
        self.send_with_uploads(method, arguments, Vec::new()).await
    }

    /// [`HubConnection::send`] with upload streams.
    ///
    /// # Errors
    ///
    /// As [`HubConnection::send`].
    pub async fn send_with_uploads(
        &self,
        method: &str,
        arguments: Vec<Value>,
        uploads: Vec<Upload>,
    ) -> Result<(), ClientError> {
        let session = self.session()?;
        // Without a completion to wait for, uploads run until their streams end.
        self.start_call(&session, None, method, arguments, uploads, false)
            .map(drop)
    }

    /// Calls the streaming method `method`; items are decoded into `T`.
    ///
    /// # Errors
    ///
    /// [`ClientError::NotConnected`] when there is no connection; errors of the stream itself
    /// arrive as its items.
    pub async fn stream<T: DeserializeOwned>(
        &self,
        method: &str,
        arguments: Vec<Value>,
    ) -> Result<HubStream<T>, ClientError> {
        self.stream_with_uploads(method, arguments, Vec::new(), |value| {
            value.decode().map_err(ClientError::from)
        })
        .await
    }

    /// [`HubConnection::stream`] with upload streams and a decoder of items.
    ///
    /// # Errors
    ///
    /// As [`HubConnection::stream`].
    pub async fn stream_with_uploads<T>(
        &self,
        method: &str,
        arguments: Vec<Value>,
        uploads: Vec<Upload>,
        decode: fn(&Value) -> Result<T, ClientError>,
    ) -> Result<HubStream<T>, ClientError> {
        let session = self.session()?;
        let id = self.next_id();
        let items = session.invocations.stream(&id)?;
        let uploading =
            self.start_call(&session, Some(id.clone()), method, arguments, uploads, true)?;
        Ok(HubStream::new(
            id,
            items,
            session,
            decode,
            uploading.drop_guard(),
        ))
    }

    fn cancel_current(&self) {
        self.inner
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancel();
    }

    fn session(&self) -> Result<Arc<Session>, ClientError> {
        self.inner
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(ClientError::NotConnected)
    }

    fn next_id(&self) -> String {
        self.inner
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string()
    }

    /// Queues the invocation, then starts one task per upload stream; cancelling the returned
    /// token stops them.
    fn start_call(
        &self,
        session: &Arc<Session>,
        id: Option<String>,
        method: &str,
        arguments: Vec<Value>,
        uploads: Vec<Upload>,
        streaming: bool,
    ) -> Result<CancellationToken, ClientError> {
        let stream_ids: Vec<String> = uploads.iter().map(|_| self.next_id()).collect();
        let call = Invocation {
            headers: Headers::new(),
            invocation_id: id.clone(),
            target: method.to_owned(),
            arguments,
            stream_ids: (!stream_ids.is_empty()).then(|| stream_ids.clone()),
        };
        let message = if streaming {
            HubMessage::StreamInvocation(call)
        } else {
            HubMessage::Invocation(call)
        };
        if session.outgoing.send(message).is_err() {
            if let Some(id) = id {
                session.invocations.forget(&id);
            }
            return Err(ClientError::NotConnected);
        }
        let uploading = CancellationToken::new();
        for (stream_id, upload) in stream_ids.into_iter().zip(uploads) {
            tokio::spawn(upload_items(
                session.clone(),
                stream_id,
                upload,
                uploading.clone(),
            ));
        }
        Ok(uploading)
    }
}

/// Sends an upload's items, then its completion; stops when the session has gone or the call
/// has ended (`stop`).
async fn upload_items(
    session: Arc<Session>,
    id: String,
    Upload(mut items): Upload,
    stop: CancellationToken,
) {
    loop {
        let item = tokio::select! {
            () = stop.cancelled() => return,
            item = items.next() => item,
        };
        let Some(item) = item else {
            break;
        };
        // Room in the session's upload window before queueing, so items are read no faster
        // than they are written; the window closes when the session ends.
        let room = tokio::select! {
            () = stop.cancelled() => return,
            room = session.upload_window.acquire() => room,
        };
        let Ok(room) = room else {
            return;
        };
        let message = HubMessage::StreamItem(StreamItem {
            headers: Headers::new(),
            invocation_id: id.clone(),
            item,
        });
        if session.outgoing.send(message).is_err() {
            return;
        }
        // The session loop gives the permit back once the item is written.
        room.forget();
    }
    let _ = session
        .outgoing
        .send(HubMessage::Completion(Completion::new(id, Outcome::Void)));
}

/// Decodes an invocation's result; no result decodes as `null` (so `()` and `Option` fit).
pub(crate) fn decode_result<T: DeserializeOwned>(result: Option<&Value>) -> Result<T, ClientError> {
    match result {
        Some(value) => value.decode().map_err(ClientError::from),
        None => serde_json::from_str("null")
            .map_err(|error| ClientError::Decode(format!("the method returned nothing: {error}"))),
    }
}
