//! One hub's connection to Redis: publishing with a deadline, the channels it wants to hear,
//! and keeping them subscribed across reconnections.
//!
//! The `redis` crate's connection manager reconnects on its own and, over RESP3, delivers
//! published messages as pushes on the same connection and resubscribes after a reconnection.
//! It reconnects only when a command fails, though, and a subscription whose command failed
//! while Redis was down is not remembered by it. So the link keeps its own list of wanted
//! channels, and a heartbeat pings Redis every [`HEARTBEAT`]: the ping notices an outage (and
//! starts the reconnection), and the first ping that succeeds after failures subscribes to every
//! wanted channel again (`SUBSCRIBE` of a channel already subscribed changes nothing).
//!
//! Publishes go through one task, in order, as pipelines: whatever was queued while the last
//! pipeline was on its way goes out together in the next. A send returns once its message is
//! queued, not when Redis answers, so one client's broadcasts do not wait a round trip each (with
//! one invocation at a time per client, that wait made every message travel alone). The queue is
//! bounded; while Redis does not answer, sends fail at once instead of queueing, and a pipeline
//! that fails loses its messages, as Redis pub/sub loses what is published while a server is
//! away. Publishes that need Redis's answer (a client result must know whether anyone heard it)
//! wait for it, in the same order.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo, RedisResult};
use tokio::sync::{mpsc, oneshot};

use crate::error::HubError;

/// How often the link checks that Redis answers.
const HEARTBEAT: Duration = Duration::from_millis(500);

/// Publishes that may wait for the publishing task; a sender waits beyond that.
const PUBLISH_QUEUE: usize = 1024;

/// The most publishes sent as one pipeline.
const PIPELINE: usize = 256;

/// One message for the publishing task.
struct Publish {
    channel: String,
    payload: Vec<u8>,
    /// Where Redis's answer goes (how many servers heard it), for the publishes that wait.
    heard: Option<oneshot::Sender<Result<i64, HubError>>>,
}

/// A client for `url` that speaks RESP3, which carries pub/sub pushes beside commands.
pub(super) fn client(url: &str) -> RedisResult<redis::Client> {
    let info = url.into_connection_info()?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    redis::Client::open(info.set_redis_settings(settings))
}

/// A hub's connection to Redis.
pub(super) struct Link {
    connection: ConnectionManager,
    /// How long one command may take.
    timeout: Duration,
    /// The channels this hub listens to now.
    wanted: Mutex<HashSet<String>>,
    /// To the publishing task.
    publishes: mpsc::Sender<Publish>,
    /// Whether Redis answered the last command; while not, sends fail at once.
    answering: Arc<AtomicBool>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("timeout", &self.timeout)
            .field("answering", &self.answering)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Opens the link (lazily: the connection is made by the first command) and starts its
    /// publishing task; published messages arrive on `pushes`.
    pub(super) fn open(
        client: &redis::Client,
        timeout: Duration,
        pushes: mpsc::UnboundedSender<PushInfo>,
    ) -> RedisResult<Self> {
        let config = ConnectionManagerConfig::new()
            .set_push_sender(pushes)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            // Few quick retries per failed command: the heartbeat retries for as long as it takes.
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(200));
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let (publishes, queued) = mpsc::channel(PUBLISH_QUEUE);
        let answering = Arc::new(AtomicBool::new(true));
        tokio::spawn(publisher(
            connection.clone(),
            timeout,
            queued,
            Arc::clone(&answering),
        ));
        Ok(Link {
            connection,
            timeout,
            wanted: Mutex::new(HashSet::new()),
            publishes,
            answering,
        })
    }

    /// Queues `payload` for `channel`, after everything queued before it; returns once queued.
    pub(super) async fn publish(&self, channel: String, payload: Vec<u8>) -> Result<(), HubError> {
        self.queue(Publish {
            channel,
            payload,
            heard: None,
        })
        .await
    }

    /// Publishes `payload` on `channel` and waits for Redis: how many servers heard it.
    pub(super) async fn publish_and_count(
        &self,
        channel: String,
        payload: Vec<u8>,
    ) -> Result<i64, HubError> {
        let (heard, answer) = oneshot::channel();
        self.queue(Publish {
            channel,
            payload,
            heard: Some(heard),
        })
        .await?;
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(answer)) => answer,
            _ => Err(unavailable(&"no answer in time")),
        }
    }

    async fn queue(&self, publish: Publish) -> Result<(), HubError> {
        if !self.answering.load(Ordering::Relaxed) {
            return Err(unavailable(&"Redis does not answer"));
        }
        match tokio::time::timeout(self.timeout, self.publishes.send(publish)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(unavailable(&"the publishing task has stopped")),
            Err(_) => Err(unavailable(&"the publish queue stayed full")),
        }
    }

    /// Listens to `channel` from now on, also after reconnections. A failure is logged: the
    /// heartbeat subscribes again once Redis answers.
    pub(super) async fn subscribe(&self, channel: String) {
        if let Ok(mut wanted) = self.wanted.lock() {
            wanted.insert(channel.clone());
        }
        // While Redis does not answer, nobody waits for it here: the heartbeat subscribes to
        // every wanted channel once it does.
        if !self.answering.load(Ordering::Relaxed) {
            return;
        }
        let mut connection = self.connection.clone();
        let subscribe = connection.subscribe(&channel);
        if let Err(error) = self.within_timeout(subscribe).await {
            tracing::debug!(%channel, %error, "Redis subscription postponed until Redis answers");
        }
    }

    /// Stops listening to `channel`.
    pub(super) async fn unsubscribe(&self, channel: String) {
        if let Ok(mut wanted) = self.wanted.lock() {
            wanted.remove(&channel);
        }
        // A Redis that does not answer has lost this connection's subscriptions already.
        if !self.answering.load(Ordering::Relaxed) {
            return;
        }
        let mut connection = self.connection.clone();
        let unsubscribe = connection.unsubscribe(&channel);
        if let Err(error) = self.within_timeout(unsubscribe).await {
            // Redis forgets the subscriptions of a connection it lost anyway.
            tracing::debug!(%channel, %error, "Redis unsubscription failed");
        }
    }

    async fn within_timeout(
        &self,
        command: impl Future<Output = RedisResult<()>>,
    ) -> Result<(), HubError> {
        match tokio::time::timeout(self.timeout, command).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(unavailable(&error)),
            Err(_) => Err(unavailable(&"no answer in time")),
        }
    }

    /// Pings Redis every [`HEARTBEAT`] for as long as the link exists, and subscribes to every
    /// wanted channel again after an outage.
    pub(super) async fn heartbeat(link: Weak<Link>) {
        let mut healthy = true;
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            let Some(link) = link.upgrade() else { return };
            let mut connection = link.connection.clone();
            let command = redis::cmd("PING");
            let ping = command.query_async::<String>(&mut connection);
            let answered = matches!(tokio::time::timeout(link.timeout, ping).await, Ok(Ok(_)));
            if !answered {
                if healthy {
                    tracing::warn!("Redis does not answer; retrying in the background");
                }
                link.answering.store(false, Ordering::Relaxed);
                healthy = false;
                continue;
            }
            if !healthy {
                let channels: Vec<String> = link
                    .wanted
                    .lock()
                    .map(|wanted| wanted.iter().cloned().collect())
                    .unwrap_or_default();
                if !channels.is_empty() {
                    let resubscribe = connection.subscribe(&channels);
                    if let Err(error) = link.within_timeout(resubscribe).await {
                        tracing::warn!(%error, "Redis answers, but resubscribing failed");
                        continue;
                    }
                }
                tracing::info!(
                    channels = channels.len(),
                    "Redis answers again; subscriptions restored"
                );
            }
            // Also after a failed pipeline while pings went on answering: sends may go again.
            link.answering.store(true, Ordering::Relaxed);
            healthy = true;
        }
    }
}

/// Sends what is queued as pipelines, in order, until the link is dropped.
async fn publisher(
    mut connection: ConnectionManager,
    timeout: Duration,
    mut queued: mpsc::Receiver<Publish>,
    answering: Arc<AtomicBool>,
) {
    let mut batch = Vec::with_capacity(PIPELINE);
    while queued.recv_many(&mut batch, PIPELINE).await > 0 {
        let mut pipeline = redis::pipe();
        for publish in &batch {
            pipeline
                .cmd("PUBLISH")
                .arg(&publish.channel)
                .arg(&publish.payload);
        }
        let sent = pipeline.query_async::<Vec<i64>>(&mut connection);
        let outcome = match tokio::time::timeout(timeout, sent).await {
            Ok(Ok(heard)) => Ok(heard),
            Ok(Err(error)) => Err(unavailable(&error)),
            Err(_) => Err(unavailable(&"no answer in time")),
        };
        if let Err(error) = &outcome {
            // Until the heartbeat hears Redis again, sends fail at once rather than queue.
            answering.store(false, Ordering::Relaxed);
            tracing::warn!(%error, lost = batch.len(), "Redis publishes failed");
        }
        for (index, publish) in batch.drain(..).enumerate() {
            if let Some(heard) = publish.heard {
                let answer = match &outcome {
                    Ok(counts) => counts
                        .get(index)
                        .copied()
                        .ok_or_else(|| unavailable(&"a short answer to a pipeline")),
                    Err(error) => Err(HubError::new(error.message())),
                };
                let _ = heard.send(answer);
            }
        }
    }
}

/// The error of a send that needed Redis while it could not be used.
fn unavailable(error: &dyn std::fmt::Display) -> HubError {
    HubError::new(format!("The Redis backplane is unavailable: {error}"))
}
