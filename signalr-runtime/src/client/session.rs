//! One session: a connected transport after a successful handshake, and the loop that reads,
//! writes, keeps it alive and notices when it is gone.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::ClientError;
use super::builder::Config;
use super::handlers::{self, Handlers};
use super::invocations::Invocations;
use super::negotiate::negotiate;
use super::resume::Resume;
use super::transport::{self, Sink, Source};
use crate::Transport;
use crate::protocol::{self, Close, Completion, HubMessage, Outcome, Protocol, TransferFormat};

/// What callers share with a running session.
#[derive(Debug)]
pub(crate) struct Session {
    /// Messages for the server, written by the session loop in order.
    pub(crate) outgoing: mpsc::UnboundedSender<HubMessage>,
    /// Calls waiting for the server.
    pub(crate) invocations: Arc<Invocations>,
    /// The id negotiate reported (none without negotiation).
    pub(crate) connection_id: Option<String>,
    /// The transport in use.
    pub(crate) transport: Transport,
    /// Upload items that may be queued but not yet written: an upload takes a permit per item
    /// and the loop gives it back once the item is on the wire, so an upload is read only as
    /// fast as the transport sends (not into memory without bound).
    pub(crate) upload_window: Arc<Semaphore>,
}

/// The session loop's own half.
#[derive(Debug)]
pub(crate) struct Runner {
    sink: Sink,
    source: Source,
    /// Bytes received but not yet parsed (what followed the handshake answer, at first).
    buf: BytesMut,
    /// How much of `buf` is known to hold no record separator, so a long JSON message
    /// arriving in many chunks is scanned once, not once per chunk.
    scanned: usize,
    outgoing: mpsc::UnboundedReceiver<HubMessage>,
    /// The session's own sender, for replies made by the loop itself.
    replies: mpsc::UnboundedSender<HubMessage>,
    calls: mpsc::UnboundedSender<protocol::Invocation>,
    invocations: Arc<Invocations>,
    upload_window: Arc<Semaphore>,
    protocol: Protocol,
    transport: Transport,
    config: Config,
    /// Stateful reconnect's bookkeeping, when both sides agreed on it (boxed: rare).
    resume: Option<Box<Resume>>,
}

/// How a session ended.
#[derive(Debug)]
pub(crate) struct End {
    /// Why, when it was not a normal close.
    pub(crate) error: Option<ClientError>,
    /// Whether automatic reconnect may try again (not after `stop`, nor after a Close the
    /// server sent without `allowReconnect`).
    pub(crate) may_reconnect: bool,
    /// The transport failed under the session (not a Close, a timeout or a protocol error):
    /// with stateful reconnect, a new WebSocket may take its place.
    pub(crate) transport_lost: bool,
}

/// Negotiates (unless skipped), opens a transport (falling back to the next one if it fails)
/// and completes the handshake.
pub(crate) async fn connect(
    config: &Config,
    handlers: Arc<Handlers>,
) -> Result<(Arc<Session>, Runner), ClientError> {
    let mut token = match &config.access_token {
        Some(factory) => Some(factory().await?),
        None => None,
    };
    // A 401 gets one new token from the factory per attempt, as the official clients do (the
    // one it gave may have expired since).
    let mut refreshed = false;
    let format = config.protocol.transfer_format();
    let mut last_error = None;
    let mut attempt = 0;
    loop {
        let (url, bearer, connection_id, transport, stateful) = if config.skip_negotiation {
            if !config.transports.contains(&Transport::WebSockets) {
                return Err(ClientError::NoTransport(
                    "skipping negotiation needs the WebSockets transport".to_owned(),
                ));
            }
            (
                config.url.clone(),
                token.clone(),
                None,
                Transport::WebSockets,
                false,
            )
        } else {
            let negotiated = negotiate(
                &config.url,
                &config.headers,
                token.clone(),
                &config.transports,
                format,
                config.stateful_reconnect.is_some(),
                &config.net,
            )
            .await;
            let negotiated = match negotiated {
                Err(error) if unauthorized(&error) => {
                    match refresh(config, &mut refreshed).await? {
                        Some(fresh) => {
                            token = Some(fresh);
                            continue;
                        }
                        None => return Err(error),
                    }
                }
                other => other?,
            };
            // A new negotiation for every attempt: a connection token is good for one transport.
            let Some(transport) = negotiated.transports.get(attempt).copied() else {
                return Err(last_error.unwrap_or_else(|| {
                    ClientError::NoTransport("the server offers no usable transport".to_owned())
                }));
            };
            (
                negotiated.url,
                negotiated.access_token,
                negotiated.connection_id,
                transport,
                // Only WebSockets reattach, as with the official clients.
                negotiated.stateful && transport == Transport::WebSockets,
            )
        };
        match open(config, &url, bearer.as_deref(), transport, stateful).await {
            Ok((sink, source, buf)) => {
                let resume = config.stateful_reconnect.filter(|_| stateful).map(|limit| {
                    let headers = super::http::with_token(&config.headers, bearer.as_deref());
                    let net = config.net.clone();
                    Box::new(Resume::new(url, headers, config.protocol, limit, net))
                });
                return Ok(start(
                    config,
                    handlers,
                    (sink, source, buf),
                    transport,
                    connection_id,
                    resume,
                ));
            }
            Err(error) if unauthorized(&error) => match refresh(config, &mut refreshed).await? {
                // The same transport again, with a new negotiation and the new token.
                Some(fresh) => token = Some(fresh),
                None => return Err(error),
            },
            Err(error) if !config.skip_negotiation => {
                last_error = Some(error);
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether the server refused the request for want of a (valid) access token.
fn unauthorized(error: &ClientError) -> bool {
    matches!(error, ClientError::Http { status: 401, .. })
}

/// A new token from the factory, unless there is none or this attempt had one already.
async fn refresh(config: &Config, refreshed: &mut bool) -> Result<Option<String>, ClientError> {
    let Some(factory) = config.access_token.as_ref().filter(|_| !*refreshed) else {
        return Ok(None);
    };
    *refreshed = true;
    factory().await.map(Some)
}

/// Opens `transport` and completes the handshake (version 2 for stateful reconnect); returns
/// what followed the handshake answer.
async fn open(
    config: &Config,
    url: &super::url::HubUrl,
    token: Option<&str>,
    transport: Transport,
    stateful: bool,
) -> Result<(Sink, Source, BytesMut), ClientError> {
    let headers = super::http::with_token(&config.headers, token);
    let (mut sink, mut source) = transport::open(transport, url, &headers, &config.net).await?;
    let request = format!(
        "{{\"protocol\":\"{}\",\"version\":{}}}\u{1e}",
        config.protocol.name(),
        if stateful { 2 } else { 1 }
    );
    let handshake = async {
        sink.send(Bytes::from(request), TransferFormat::Text)
            .await?;
        read_handshake(&mut source, config.max_message_size).await
    };
    match tokio::time::timeout(config.handshake_timeout, handshake).await {
        Ok(Ok(rest)) => Ok((sink, source, rest)),
        Ok(Err(error)) => {
            sink.close().await;
            Err(error)
        }
        Err(_) => {
            sink.close().await;
            Err(ClientError::Handshake(
                "the server did not answer the handshake in time".to_owned(),
            ))
        }
    }
}

#[derive(Deserialize)]
struct HandshakeResponse {
    error: Option<String>,
}

/// Reads the handshake answer (always a JSON record) and returns the bytes after it.
async fn read_handshake(source: &mut Source, max_size: usize) -> Result<BytesMut, ClientError> {
    let mut buf = BytesMut::new();
    let mut scanned = 0;
    loop {
        if let Some(record) = protocol::take_text_record(&mut buf, max_size, &mut scanned)? {
            let answer: HandshakeResponse = serde_json::from_slice(&record).map_err(|error| {
                ClientError::Handshake(format!("invalid handshake response: {error}"))
            })?;
            return match answer.error {
                Some(error) => Err(ClientError::Handshake(error)),
                None => Ok(buf),
            };
        }
        match source.recv().await? {
            Some(chunk) => buf.extend_from_slice(&chunk),
            None => {
                return Err(ClientError::Handshake(
                    "the server closed the connection during the handshake".to_owned(),
                ));
            }
        }
    }
}

fn start(
    config: &Config,
    handlers: Arc<Handlers>,
    (sink, source, buf): (Sink, Source, BytesMut),
    transport: Transport,
    connection_id: Option<String>,
    resume: Option<Box<Resume>>,
) -> (Arc<Session>, Runner) {
    let (outgoing_tx, outgoing_rx) = mpsc::unbounded_channel();
    let (calls_tx, calls_rx) = mpsc::unbounded_channel();
    tokio::spawn(handlers::run_calls(handlers, calls_rx, outgoing_tx.clone()));
    let invocations = Arc::new(Invocations::default());
    let upload_window = Arc::new(Semaphore::new(UPLOAD_WINDOW));
    let session = Arc::new(Session {
        outgoing: outgoing_tx.clone(),
        invocations: invocations.clone(),
        connection_id,
        transport,
        upload_window: upload_window.clone(),
    });
    let runner = Runner {
        sink,
        source,
        buf,
        scanned: 0,
        outgoing: outgoing_rx,
        replies: outgoing_tx,
        calls: calls_tx,
        invocations,
        upload_window,
        protocol: config.protocol,
        transport,
        config: config.clone(),
        resume,
    };
    (session, runner)
}

/// `after` from now; far in the future when the timer is `off` (or `after` is too large).
fn deadline(after: std::time::Duration, off: bool) -> Instant {
    const YEAR: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);
    let now = Instant::now();
    let after = if off { YEAR } else { after.min(YEAR) };
    now.checked_add(after).unwrap_or(now)
}

/// How long a session's transport may take to close.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How many upload items may wait to be written, over all of a session's uploads.
const UPLOAD_WINDOW: usize = 256;

/// How many bytes of queued messages one frame may collect.
const BATCH_BYTES: usize = 64 * 1024;

/// How often a stateful-reconnect session acknowledges what the server sent, when it sent
/// something.
const ACK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// What one received message means for the loop.
enum Next {
    Continue,
    Stop(End),
}

impl Runner {
    /// Runs the session until it ends or `stop` is cancelled. Every waiting call is failed on
    /// the way out.
    pub(crate) async fn run(mut self, stop: CancellationToken) -> End {
        let end = self.run_loop(&stop).await;
        // Uploads waiting for room give up.
        self.upload_window.close();
        self.invocations
            .close(end.error.as_ref().unwrap_or(&ClientError::ConnectionClosed));
        // Closing politely (a Close message when the application stopped, as the official
        // clients send one, then a close frame or a DELETE) is worth a short wait, not more:
        // the server may have stopped reading.
        let stopped = stop.is_cancelled().then(|| {
            let mut frame = Vec::new();
            self.encode(&HubMessage::Close(Close::default()), &mut frame);
            Bytes::from(frame)
        });
        let format = self.protocol.transfer_format();
        let polite = async {
            if let Some(close) = stopped {
                let _ = self.sink.send(close, format).await;
            }
            self.sink.close().await;
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, polite).await;
        end
    }

    /// Runs transports until the session ends: with stateful reconnect, a WebSocket that fails
    /// is followed by the next one to the same connection.
    async fn run_loop(&mut self, stop: &CancellationToken) -> End {
        loop {
            let end = self.run_transport(stop).await;
            let Some(resume) = self.resume.as_mut().filter(|_| end.transport_lost) else {
                return end;
            };
            let reattached = tokio::select! {
                () = stop.cancelled() => return End { error: None, may_reconnect: false, transport_lost: false },
                reattached = resume.reattach() => reattached,
            };
            match reattached {
                Ok((sink, source)) => {
                    self.sink = sink;
                    self.source = source;
                    // What the old WebSocket left unfinished comes again, whole.
                    self.buf.clear();
                    self.scanned = 0;
                }
                Err(error) => {
                    return End {
                        error: Some(error),
                        may_reconnect: true,
                        transport_lost: false,
                    };
                }
            }
        }
    }

    /// Runs one transport until it ends or fails.
    async fn run_transport(&mut self, stop: &CancellationToken) -> End {
        // Long Polling's polls are its keep-alive: no Pings, no server timeout.
        let inherent_keep_alive = self.transport == Transport::LongPolling;
        let keep_alive = self.config.keep_alive_interval;
        let timeout = self.config.server_timeout;
        let mut ping_at = deadline(keep_alive, inherent_keep_alive);
        let mut silent_until = deadline(timeout, inherent_keep_alive);
        let mut ack_at = deadline(ACK_INTERVAL, self.resume.is_none());
        // Messages that arrived with the handshake answer.
        if let Next::Stop(end) = self.parse_buffered() {
            return end;
        }
        loop {
            // Not biased: a busy queue of messages to send (an endless upload) must not keep
            // the loop from reading what the server sends, nor the other way round.
            // With stateful reconnect, nothing more is sent while the server has not
            // acknowledged as much as may be kept for it (its Acks come in below).
            let room = self.resume.as_ref().is_none_or(|resume| resume.has_room());
            tokio::select! {
                () = stop.cancelled() => return End { error: None, may_reconnect: false, transport_lost: false },
                message = self.outgoing.recv(), if room => {
                    let Some(message) = message else {
                        return End { error: None, may_reconnect: false, transport_lost: false };
                    };
                    if let Some(end) = self.write_guarded(&message, stop, silent_until).await {
                        return end;
                    }
                    ping_at = deadline(keep_alive, inherent_keep_alive);
                }
                chunk = self.source.recv() => {
                    match chunk {
                        Ok(Some(chunk)) => {
                            silent_until = deadline(timeout, inherent_keep_alive);
                            self.buf.extend_from_slice(&chunk);
                            if let Next::Stop(end) = self.parse_buffered() {
                                return end;
                            }
                        }
                        Ok(None) => return End { error: None, may_reconnect: true, transport_lost: false },
                        Err(error) => {
                            return End { error: Some(error), may_reconnect: true, transport_lost: true };
                        }
                    }
                }
                () = sleep_until(ping_at) => {
                    ping_at = deadline(keep_alive, inherent_keep_alive);
                    let ping = HubMessage::Ping;
                    if let Some(end) = self.write_guarded(&ping, stop, silent_until).await {
                        return end;
                    }
                }
                () = sleep_until(ack_at) => {
                    ack_at = deadline(ACK_INTERVAL, false);
                    let ack = self.resume.as_mut().and_then(|resume| resume.ack_due());
                    if let Some(ack) = ack
                        && let Some(end) = self.write_guarded(&ack, stop, silent_until).await
                    {
                        return end;
                    }
                }
                () = sleep_until(silent_until) => {
                    return End { error: Some(ClientError::ServerTimeout), may_reconnect: true, transport_lost: false };
                }
            }
        }
    }

    /// [`Runner::write`], unless `stop` comes first or the server timeout passes meanwhile: a
    /// server that stops reading (and sending) must not keep `stop` or the timeout waiting
    /// behind a write that cannot finish. `Some` is how the session ends.
    async fn write_guarded(
        &mut self,
        message: &HubMessage,
        stop: &CancellationToken,
        silent_until: Instant,
    ) -> Option<End> {
        let written = tokio::select! {
            () = stop.cancelled() => return Some(End { error: None, may_reconnect: false, transport_lost: false }),
            () = sleep_until(silent_until) => {
                return Some(End { error: Some(ClientError::ServerTimeout), may_reconnect: true, transport_lost: false });
            }
            written = self.write(message) => written,
        };
        written.err().map(|error| End {
            error: Some(error),
            may_reconnect: true,
            transport_lost: true,
        })
    }

    /// Writes `first` and whatever else is already queued (up to [`BATCH_BYTES`]) as one frame:
    /// the protocols allow several records per frame, and Long Polling then needs one POST
    /// for a burst of messages instead of one each.
    async fn write(&mut self, first: &HubMessage) -> Result<(), ClientError> {
        let mut frame = Vec::new();
        let mut upload_items = usize::from(matches!(first, HubMessage::StreamItem(_)));
        self.encode_kept(first, &mut frame);
        while frame.len() < BATCH_BYTES && self.resume.as_ref().is_none_or(|r| r.has_room()) {
            let Ok(next) = self.outgoing.try_recv() else {
                break;
            };
            upload_items += usize::from(matches!(next, HubMessage::StreamItem(_)));
            self.encode_kept(&next, &mut frame);
        }
        let sent = if frame.is_empty() {
            Ok(())
        } else {
            self.sink
                .send(Bytes::from(frame), self.protocol.transfer_format())
                .await
        };
        self.upload_window.add_permits(upload_items);
        sent
    }

    /// [`Runner::encode`], and with stateful reconnect keeps a trackable message until the
    /// server acknowledges it.
    fn encode_kept(&mut self, message: &HubMessage, frame: &mut Vec<u8>) {
        let start = frame.len();
        self.encode(message, frame);
        if let (Some(resume), Some(encoded)) = (&mut self.resume, frame.get(start..)) {
            resume.record(message, encoded);
        }
    }

    /// Appends `message` to `frame`. A message whose values cannot be serialized is not sent:
    /// the client's own call fails instead, or a client result becomes an error for the server.
    fn encode(&self, message: &HubMessage, frame: &mut Vec<u8>) {
        let Err(error) = self.protocol.write(message, frame) else {
            return;
        };
        let error = ClientError::from(error);
        match message {
            HubMessage::Invocation(call) | HubMessage::StreamInvocation(call) => {
                if let Some(id) = &call.invocation_id {
                    self.invocations.fail(id, error);
                }
            }
            HubMessage::Completion(answer) => {
                let refusal = Completion::new(
                    answer.invocation_id.clone(),
                    Outcome::Error(error.to_string()),
                );
                let _ = self.protocol.write(&HubMessage::Completion(refusal), frame);
            }
            // An upload item that cannot be serialized is skipped.
            _ => {}
        }
    }

    /// Handles every complete message in the buffer.
    fn parse_buffered(&mut self) -> Next {
        loop {
            match self.protocol.parse_scanned(
                &mut self.buf,
                self.config.max_message_size,
                &mut self.scanned,
            ) {
                Ok(Some(message)) => {
                    if let Next::Stop(end) = self.handle(message) {
                        return Next::Stop(end);
                    }
                }
                Ok(None) => return Next::Continue,
                Err(error) => {
                    return Next::Stop(End {
                        error: Some(error.into()),
                        may_reconnect: true,
                        transport_lost: false,
                    });
                }
            }
        }
    }

    fn handle(&mut self, message: HubMessage) -> Next {
        if let Some(resume) = &mut self.resume {
            match resume.admit(&message) {
                Ok(true) => {}
                Ok(false) => return Next::Continue,
                Err(error) => {
                    return Next::Stop(End {
                        error: Some(error),
                        may_reconnect: true,
                        transport_lost: false,
                    });
                }
            }
        }
        let delivered = match message {
            HubMessage::Invocation(call) => {
                // The call queue lives as long as the session.
                let _ = self.calls.send(call);
                Ok(())
            }
            HubMessage::StreamItem(item) => self.invocations.item(item),
            HubMessage::Completion(completion) => self.invocations.complete(completion),
            HubMessage::StreamInvocation(call) => {
                if let Some(id) = call.invocation_id {
                    let refusal = Outcome::Error(
                        "Client methods cannot return streams to the server.".to_owned(),
                    );
                    let _ = self
                        .replies
                        .send(HubMessage::Completion(Completion::new(id, refusal)));
                }
                Ok(())
            }
            HubMessage::Close(close) => {
                return Next::Stop(End {
                    error: close.error.map(ClientError::ServerClosed),
                    may_reconnect: close.allow_reconnect,
                    transport_lost: false,
                });
            }
            // Pings only reset the timeout; cancellation from the server means nothing to this
            // client; Acks and Sequences were handled above (or were not asked for).
            _ => Ok(()),
        };
        match delivered {
            Ok(()) => Next::Continue,
            Err(error) => Next::Stop(End {
                error: Some(error),
                may_reconnect: true,
                transport_lost: false,
            }),
        }
    }
}
