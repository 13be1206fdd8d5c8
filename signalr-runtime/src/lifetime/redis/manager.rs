//! The lifetime manager of one hub type on the Redis backplane: this process's connections in
//! a [`LocalLifetimeManager`], everything else through Redis (REDIS-BACKPLANE.md §3).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::RedisOptions;
use super::channels::{self, Channels};
use super::codec::{GroupAction, GroupCommand, InvocationEnvelope, ReplyTo, SerializedMessage};
use super::link::Link;
use crate::connection_id::ConnectionId;
use crate::error::{HubError, HubResult};
use crate::lifetime::client_results::{self, ClientAnswer};
use crate::lifetime::local::Membership;
use crate::lifetime::{
    BoxFuture, ConnectionHandle, HubLifetimeManager, LocalLifetimeManager, Target,
};
use crate::protocol::{HubMessage, Invocation, Protocol, Value};

mod receive;

/// One hub type's connections on the Redis backplane.
pub(super) struct RedisHubLifetimeManager {
    shared: Arc<Shared>,
}

/// What the manager and its receiving task share.
pub(super) struct Shared {
    pub(super) local: LocalLifetimeManager,
    pub(super) link: Arc<Link>,
    pub(super) channels: Channels,
    /// The channels heard, by name, for routing what arrives.
    routes: receive::Routes,
    /// This manager's name on the backplane: where acks and client results come back.
    pub(super) server_name: String,
    protocols: Vec<Protocol>,
    ack_timeout: Duration,
    next_ack: AtomicI32,
    /// Group commands of this server waiting for their owner's ack, by command id.
    pub(super) acks: Mutex<HashMap<i32, oneshot::Sender<()>>>,
    /// Client results this server waits for from connections of other servers.
    pub(super) results: Mutex<HashMap<String, oneshot::Sender<ClientAnswer>>>,
    /// Held while a group or user subscription follows a membership change, so that the
    /// subscribe of a first member and the unsubscribe of a last one reach Redis in order.
    pub(super) subscriptions: tokio::sync::Mutex<()>,
    /// Whether a message without bytes for a local connection's protocol was reported.
    pub(super) missing_protocol_seen: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for RedisHubLifetimeManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisHubLifetimeManager")
            .field("channels", &self.shared.channels)
            .field("server_name", &self.shared.server_name)
            .finish_non_exhaustive()
    }
}

impl RedisHubLifetimeManager {
    /// Opens the hub's link and starts listening to its channels; must run in a tokio runtime.
    pub(super) fn start(
        client: &redis::Client,
        options: &RedisOptions,
        hub_name: &str,
    ) -> Result<Self, HubError> {
        let failed = |error: &dyn fmt::Display| HubError::new(error.to_string());
        let server_name = match &options.server_name {
            // Several hubs of one process each need a name of their own.
            Some(name) => format!(
                "{name}_{}",
                channels::server_name().map_err(|e| failed(&e))?
            ),
            None => channels::server_name().map_err(|e| failed(&e))?,
        };
        let (pushes, received) = tokio::sync::mpsc::unbounded_channel();
        let link = Arc::new(
            Link::open(client, options.operation_timeout, pushes).map_err(|e| failed(&e))?,
        );
        let channels = Channels::new(hub_name, options.channel_prefix.as_deref());
        let routes = receive::Routes::new(&channels, &server_name);
        let shared = Arc::new(Shared {
            local: LocalLifetimeManager::default(),
            link: Arc::clone(&link),
            server_name,
            protocols: options.protocols.clone(),
            ack_timeout: options.ack_timeout,
            next_ack: AtomicI32::new(0),
            acks: Mutex::default(),
            results: Mutex::default(),
            subscriptions: tokio::sync::Mutex::new(()),
            missing_protocol_seen: std::sync::atomic::AtomicBool::new(false),
            routes,
            channels,
        });
        let always = [
            shared.channels.all(),
            shared.channels.group_management(),
            shared.channels.ack(&shared.server_name),
            shared.channels.return_channel(&shared.server_name),
        ];
        let listening = Arc::clone(&link);
        tokio::spawn(async move {
            for channel in always {
                listening.subscribe(channel).await;
            }
        });
        tokio::spawn(Link::heartbeat(Arc::downgrade(&link)));
        tokio::spawn(receive::run(Arc::downgrade(&shared), received));
        Ok(RedisHubLifetimeManager { shared })
    }
}

impl Shared {
    /// `message` serialized for every protocol the backplane carries.
    fn serialize(&self, message: &HubMessage) -> HubResult<SerializedMessage> {
        let entries = self
            .protocols
            .iter()
            .map(|protocol| {
                let frame = protocol
                    .encode(message)
                    .map_err(|error| HubError::new(error.to_string()))?;
                Ok((protocol.name().to_owned(), frame))
            })
            .collect::<HubResult<_>>()?;
        Ok(SerializedMessage { entries })
    }

    /// Publishes an invocation envelope on `channel` and waits for Redis: how many servers
    /// heard it.
    async fn publish_and_count(
        &self,
        channel: String,
        envelope: &InvocationEnvelope,
    ) -> HubResult<i64> {
        let payload = envelope
            .encode()
            .map_err(|error| HubError::new(error.to_string()))?;
        self.link.publish_and_count(channel, payload).await
    }

    async fn send(&self, target: &Target, message: &HubMessage) -> HubResult<()> {
        // A single connection of this process is written to directly; every other target goes
        // through Redis, this server's own connections included (they hear it on their channels).
        if let Target::Connection(id) = target
            && self.local.contains(id)
        {
            return self
                .local
                .send_local(target, message)
                .await
                .map_err(|error| HubError::new(error.to_string()));
        }
        let message = self.serialize(message)?;
        let envelope = |excluded: &[ConnectionId]| InvocationEnvelope {
            excluded: excluded.iter().map(|id| id.as_str().to_owned()).collect(),
            message: message.clone(),
            reply: None,
        };
        let (channels, envelope): (Vec<String>, InvocationEnvelope) = match target {
            Target::All => (vec![self.channels.all()], envelope(&[])),
            Target::AllExcept(excluded) => (vec![self.channels.all()], envelope(excluded)),
            Target::Connection(id) => (vec![self.channels.connection(id.as_str())], envelope(&[])),
            Target::Connections(ids) => {
                let mut ids: Vec<&ConnectionId> = ids.iter().collect();
                ids.sort();
                ids.dedup();
                let channels = ids
                    .iter()
                    .map(|id| self.channels.connection(id.as_str()))
                    .collect();
                (channels, envelope(&[]))
            }
            Target::Groups(groups, excluded) => {
                let channels = named(groups).map(|g| self.channels.group(g)).collect();
                (channels, envelope(excluded))
            }
            Target::Users(users) => {
                let channels = named(users).map(|u| self.channels.user(u)).collect();
                (channels, envelope(&[]))
            }
        };
        let payload = envelope
            .encode()
            .map_err(|error| HubError::new(error.to_string()))?;
        // Queued one after the other, so that they reach Redis in this order.
        for channel in channels {
            self.link.publish(channel, payload.clone()).await?;
        }
        Ok(())
    }

    /// Adds or removes a connection of this process, following with the group's subscription;
    /// `false` when the connection is not here.
    pub(super) async fn change_local_group(
        &self,
        action: GroupAction,
        id: &ConnectionId,
        group: &str,
    ) -> bool {
        let _order = self.subscriptions.lock().await;
        let membership = match action {
            GroupAction::Add => self.local.add_to_group(id, group),
            GroupAction::Remove => self.local.remove_from_group(id, group),
        };
        match (membership, action) {
            (Membership::NotHere, _) => return false,
            (Membership::Changed, _) => {}
            (Membership::FirstOrLast, GroupAction::Add) => {
                self.link.subscribe(self.channels.group(group)).await;
            }
            (Membership::FirstOrLast, GroupAction::Remove) => {
                self.link.unsubscribe(self.channels.group(group)).await;
            }
        }
        true
    }

    async fn change_group(
        &self,
        action: GroupAction,
        id: &ConnectionId,
        group: &str,
    ) -> HubResult<()> {
        if self.change_local_group(action, id, group).await {
            return Ok(());
        }
        // The owner, wherever it is, applies the command and acknowledges it.
        let command_id = self
            .next_ack
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        let (acked, ack) = oneshot::channel();
        if let Ok(mut acks) = self.acks.lock() {
            acks.insert(command_id, acked);
        }
        let _forget = Forget(&self.acks, command_id);
        let command = GroupCommand {
            id: command_id,
            server_name: self.server_name.clone(),
            action,
            group: group.to_owned(),
            connection_id: id.as_str().to_owned(),
        };
        let payload = command
            .encode()
            .map_err(|error| HubError::new(error.to_string()))?;
        self.link
            .publish(self.channels.group_management(), payload)
            .await?;
        match tokio::time::timeout(self.ack_timeout, ack).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(HubError::new(format!(
                "The group change for connection '{id}' was not acknowledged within {:?}.",
                self.ack_timeout
            ))),
        }
    }

    async fn invoke(
        &self,
        id: &ConnectionId,
        method: &str,
        arguments: Vec<Value>,
    ) -> HubResult<Value> {
        if self.local.contains(id) {
            return self.local.invoke_local(id, method, arguments).await;
        }
        let invocation_id = channels::invocation_id().map_err(|e| HubError::new(e.to_string()))?;
        let mut call = Invocation::new(method, arguments);
        call.invocation_id = Some(invocation_id.clone());
        let envelope = InvocationEnvelope {
            excluded: Vec::new(),
            message: self.serialize(&HubMessage::Invocation(call))?,
            reply: Some(ReplyTo {
                invocation_id: invocation_id.clone(),
                channel: self.channels.return_channel(&self.server_name),
            }),
        };
        let (answered, answer) = oneshot::channel();
        if let Ok(mut results) = self.results.lock() {
            results.insert(invocation_id.clone(), answered);
        }
        // Forgotten however this ends, the caller giving up included.
        let _forget = Forget(&self.results, invocation_id);
        let heard = self
            .publish_and_count(self.channels.connection(id.as_str()), &envelope)
            .await?;
        if heard < 1 {
            return Err(HubError::new(format!("Connection '{id}' does not exist.")));
        }
        client_results::settle(id, answer.await)
    }

    async fn connected(&self, connection: ConnectionHandle) {
        let id = connection.id.clone();
        let user = connection.user.clone();
        {
            // Only the user's channel is shared with other connections and needs the order.
            let _order = self.subscriptions.lock().await;
            if let (true, Some(user)) = (self.local.add(connection), user) {
                self.link.subscribe(self.channels.user(&user)).await;
            }
        }
        self.link
            .subscribe(self.channels.connection(id.as_str()))
            .await;
    }

    async fn disconnected(&self, id: &ConnectionId) {
        let _order = self.subscriptions.lock().await;
        let departure = self.local.remove(id);
        let channels = std::iter::once(self.channels.connection(id.as_str()))
            .chain(departure.groups.iter().map(|g| self.channels.group(g)))
            .chain(departure.users.iter().map(|u| self.channels.user(u)));
        for channel in channels {
            self.link.unsubscribe(channel).await;
        }
    }
}

/// The non-empty names of a group or user list (ASP.NET Core skips empty ones).
fn named(names: &[String]) -> impl Iterator<Item = &str> {
    names
        .iter()
        .map(String::as_str)
        .filter(|name| !name.is_empty())
}

/// Removes a pending entry when its waiter goes away.
struct Forget<'a, K: std::hash::Hash + Eq, V>(&'a Mutex<HashMap<K, V>>, K);

impl<K: std::hash::Hash + Eq, V> Drop for Forget<'_, K, V> {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.0.lock() {
            pending.remove(&self.1);
        }
    }
}

impl HubLifetimeManager for RedisHubLifetimeManager {
    fn on_connected(&self, connection: ConnectionHandle) -> BoxFuture<'_, ()> {
        Box::pin(self.shared.connected(connection))
    }

    fn on_disconnected<'a>(&'a self, id: &'a ConnectionId) -> BoxFuture<'a, ()> {
        Box::pin(self.shared.disconnected(id))
    }

    fn send<'a>(
        &'a self,
        target: &'a Target,
        message: &'a HubMessage,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.shared.send(target, message))
    }

    fn add_to_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.shared.change_group(GroupAction::Add, id, group))
    }

    fn remove_from_group<'a>(
        &'a self,
        id: &'a ConnectionId,
        group: &'a str,
    ) -> BoxFuture<'a, HubResult<()>> {
        Box::pin(self.shared.change_group(GroupAction::Remove, id, group))
    }

    fn invoke<'a>(
        &'a self,
        id: &'a ConnectionId,
        method: &'a str,
        arguments: Vec<Value>,
    ) -> BoxFuture<'a, HubResult<Value>> {
        Box::pin(self.shared.invoke(id, method, arguments))
    }
}

/// The frame of `message` for `protocol`, if the sender serialized it.
pub(super) fn frame_for(message: &SerializedMessage, protocol: Protocol) -> Option<Bytes> {
    message.get(protocol.name()).cloned()
}
