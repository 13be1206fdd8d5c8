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

use std::collections::HashSet;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo, RedisResult};
use tokio::sync::mpsc;

use crate::error::HubError;

/// How often the link checks that Redis answers.
const HEARTBEAT: Duration = Duration::from_millis(500);

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
#[derive(Debug)]
pub(super) struct Link {
    connection: ConnectionManager,
    /// How long one command may take.
    timeout: Duration,
    /// The channels this hub listens to now.
    wanted: Mutex<HashSet<String>>,
}

impl Link {
    /// Opens the link (lazily: the connection is made by the first command); published
    /// messages arrive on `pushes`.
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
        Ok(Link {
            connection,
            timeout,
            wanted: Mutex::new(HashSet::new()),
        })
    }

    /// Publishes `payload` on `channel`; the number of servers that heard it.
    pub(super) async fn publish(&self, channel: &str, payload: Vec<u8>) -> Result<i64, HubError> {
        let mut connection = self.connection.clone();
        let mut command = redis::cmd("PUBLISH");
        command.arg(channel).arg(payload);
        let publish = command.query_async::<i64>(&mut connection);
        match tokio::time::timeout(self.timeout, publish).await {
            Ok(Ok(receivers)) => Ok(receivers),
            Ok(Err(error)) => Err(unavailable(&error)),
            Err(_) => Err(unavailable(&"no answer in time")),
        }
    }

    /// Listens to `channel` from now on, also after reconnections. A failure is logged: the
    /// heartbeat subscribes again once Redis answers.
    pub(super) async fn subscribe(&self, channel: String) {
        if let Ok(mut wanted) = self.wanted.lock() {
            wanted.insert(channel.clone());
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
            if answered && !healthy {
                let channels: Vec<String> = link
                    .wanted
                    .lock()
                    .map(|wanted| wanted.iter().cloned().collect())
                    .unwrap_or_default();
                if channels.is_empty() {
                    healthy = true;
                    continue;
                }
                let resubscribe = connection.subscribe(&channels);
                match link.within_timeout(resubscribe).await {
                    Ok(()) => tracing::info!(
                        channels = channels.len(),
                        "Redis answers again; subscriptions restored"
                    ),
                    Err(error) => {
                        tracing::warn!(%error, "Redis answers, but resubscribing failed");
                        continue;
                    }
                }
            } else if !answered && healthy {
                tracing::warn!("Redis does not answer; retrying in the background");
            }
            healthy = answered;
        }
    }
}

/// The error of a send that needed Redis while it could not be used.
fn unavailable(error: &dyn std::fmt::Display) -> HubError {
    HubError::new(format!("The Redis backplane is unavailable: {error}"))
}
