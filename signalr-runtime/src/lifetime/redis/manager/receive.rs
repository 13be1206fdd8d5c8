//! What a server does with each message it hears on its hub's channels.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use bytes::BytesMut;
use redis::{PushInfo, PushKind};
use tokio::sync::mpsc;

use super::{Shared, frame_for};
use crate::connection_id::ConnectionId;
use crate::lifetime::Target;
use crate::lifetime::client_results;
use crate::lifetime::redis::codec::{
    Ack, CompletionEnvelope, GroupCommand, InvocationEnvelope, ReplyTo,
};
use crate::protocol::{Completion, HubMessage, Outcome, Protocol};

/// Handles messages until the manager is gone. One at a time, in the order Redis sent them: a
/// delivery that waits for slow readers delays the ones after it, as in ASP.NET Core.
pub(super) async fn run(shared: Weak<Shared>, mut received: mpsc::UnboundedReceiver<PushInfo>) {
    while let Some(push) = received.recv().await {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if push.kind != PushKind::Message {
            continue;
        }
        let mut data = push.data.into_iter();
        let (Some(redis::Value::BulkString(channel)), Some(redis::Value::BulkString(payload))) =
            (data.next(), data.next())
        else {
            continue;
        };
        let channel = String::from_utf8_lossy(&channel);
        if let Err(error) = shared.heard(&channel, &payload).await {
            // Anyone can publish on these channels: a bad payload costs only itself.
            tracing::warn!(%channel, %error, "a Redis backplane message was skipped");
        }
    }
}

impl Shared {
    /// Acts on one payload heard on `channel`.
    async fn heard(self: &Arc<Self>, channel: &str, payload: &[u8]) -> Result<(), String> {
        let target = match self.routes.route(channel) {
            Route::Ack => {
                let ack = Ack::decode(payload).map_err(|e| e.to_string())?;
                let waiting = self
                    .acks
                    .lock()
                    .ok()
                    .and_then(|mut acks| acks.remove(&ack.id));
                if let Some(waiting) = waiting {
                    let _ = waiting.send(());
                }
                return Ok(());
            }
            Route::Return => {
                let envelope = CompletionEnvelope::decode(payload).map_err(|e| e.to_string())?;
                return self.client_result(&envelope);
            }
            Route::GroupCommand => {
                let command = GroupCommand::decode(payload).map_err(|e| e.to_string())?;
                self.group_command(command).await;
                return Ok(());
            }
            Route::Unknown => return Ok(()),
            Route::Invocation(target) => target,
        };
        let envelope = InvocationEnvelope::decode(payload).map_err(|e| e.to_string())?;
        let excluded = || ids(envelope.excluded.iter());
        let target = match target {
            Invoked::All if envelope.excluded.is_empty() => Target::All,
            Invoked::All => Target::AllExcept(excluded()),
            Invoked::Group(group) => Target::Groups(vec![group.to_owned()], excluded()),
            Invoked::User(user) => Target::Users(vec![user.to_owned()]),
            Invoked::Connection(id) => {
                let id = ConnectionId::from(id);
                if let Some(reply) = envelope.reply.clone() {
                    self.forward_client_result(id, &envelope, reply).await;
                    return Ok(());
                }
                Target::Connection(id)
            }
        };
        self.deliver(&target, &envelope).await;
        Ok(())
    }

    /// Writes an invocation to this server's connections of `target`.
    async fn deliver(&self, target: &Target, envelope: &InvocationEnvelope) {
        let frames = |protocol: Protocol| {
            let frame = frame_for(&envelope.message, protocol);
            // Said once: a server that never publishes a protocol would say it per delivery.
            if frame.is_none() && !self.missing_protocol_seen.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    protocol = protocol.name(),
                    "a Redis backplane message has no bytes for a connection's protocol; \
                     such connections miss the messages of that server (list every protocol \
                     in its options); said once"
                );
            }
            frame
        };
        self.local.send_frames(target, &frames).await;
    }

    /// Applies a group command if its connection is here, and acknowledges it to its sender.
    async fn group_command(&self, command: GroupCommand) {
        let id = ConnectionId::from(command.connection_id.as_str());
        if !self
            .change_local_group(command.action, &id, &command.group)
            .await
        {
            // Another server's connection (or nobody's): its owner answers, if any.
            return;
        }
        let ack = Ack { id: command.id };
        let channel = self.channels.ack(&command.server_name);
        if let Err(error) = self.link.publish(channel, ack.encode()).await {
            tracing::warn!(%error, "a group command could not be acknowledged");
        }
    }

    /// Completes a client result this server asked another server's connection for.
    fn client_result(&self, envelope: &CompletionEnvelope) -> Result<(), String> {
        let protocol = Protocol::from_name(&envelope.protocol)
            .ok_or_else(|| format!("unknown protocol '{}'", envelope.protocol))?;
        let mut bytes = BytesMut::from(&envelope.completion[..]);
        let completion = match protocol.parse(&mut bytes, usize::MAX) {
            Ok(Some(HubMessage::Completion(completion))) => completion,
            Ok(_) => return Err("the payload is not a Completion".to_owned()),
            Err(error) => return Err(error.to_string()),
        };
        let answer = client_results::answer(completion.outcome);
        let waiting = self
            .results
            .lock()
            .ok()
            .and_then(|mut results| results.remove(&completion.invocation_id));
        if let Some(waiting) = waiting {
            // The caller may have given up meanwhile.
            let _ = waiting.send(answer);
        }
        Ok(())
    }

    /// Asks this server's connection `id` for a client result on behalf of another server, and
    /// sends the answer (or the connection's departure) back on the caller's return channel.
    async fn forward_client_result(
        self: &Arc<Self>,
        id: ConnectionId,
        envelope: &InvocationEnvelope,
        reply: ReplyTo,
    ) {
        let Some(handle) = self.local.handle(&id) else {
            self.return_result(Protocol::Json, reply, disconnected())
                .await;
            return;
        };
        let protocol = handle.protocol;
        let Some(frame) = frame_for(&envelope.message, protocol) else {
            let text = "The caller's server did not serialize the call for this client's protocol.";
            self.return_result(protocol, reply, Outcome::Error(text.to_owned()))
                .await;
            return;
        };
        let Some(answer) = handle.pending.wait_for(reply.invocation_id.clone()) else {
            self.return_result(protocol, reply, disconnected()).await;
            return;
        };
        if handle.outbound.deliver(frame).await.is_err() {
            handle.pending.forget(&reply.invocation_id);
            self.return_result(protocol, reply, disconnected()).await;
            return;
        }
        // The client answers whenever it likes; the receiving loop goes on meanwhile.
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let outcome = match answer.await {
                Ok(Ok(value)) => Outcome::Value(value),
                Ok(Err(error)) => Outcome::Error(error),
                Err(_) => disconnected(),
            };
            shared.return_result(protocol, reply, outcome).await;
        });
    }

    /// Publishes a client's answer, in its own protocol, on the caller's return channel.
    async fn return_result(&self, protocol: Protocol, reply: ReplyTo, outcome: Outcome) {
        let completion = HubMessage::Completion(Completion::new(reply.invocation_id, outcome));
        let completion = match protocol.encode(&completion) {
            Ok(completion) => completion,
            Err(error) => {
                tracing::warn!(%error, "a client result could not be serialized for its caller");
                return;
            }
        };
        let envelope = CompletionEnvelope {
            protocol: protocol.name().to_owned(),
            completion,
        };
        let published = match envelope.encode() {
            Ok(payload) => self.link.publish(reply.channel, payload).await,
            Err(error) => Err(crate::HubError::new(error.to_string())),
        };
        if let Err(error) = published {
            tracing::warn!(%error, "a client result could not be returned to its caller");
        }
    }
}

/// The channel names a server hears, made once rather than per message.
#[derive(Debug)]
pub(super) struct Routes {
    all: String,
    group_management: String,
    ack: String,
    returns: String,
    /// Prefixes, followed by the group, user or connection id.
    group: String,
    user: String,
    connection: String,
}

/// What a channel carries.
enum Route<'a> {
    /// An invocation for this server's connections of a target.
    Invocation(Invoked<'a>),
    GroupCommand,
    Ack,
    Return,
    /// A channel this server does not listen to (a subscription that outlived its use).
    Unknown,
}

/// Whom an invocation channel reaches.
enum Invoked<'a> {
    All,
    Group(&'a str),
    User(&'a str),
    Connection(&'a str),
}

impl Routes {
    /// What `channel` carries; exact names first, then the prefixed ones.
    fn route<'a>(&self, channel: &'a str) -> Route<'a> {
        if channel == self.all {
            Route::Invocation(Invoked::All)
        } else if channel == self.group_management {
            Route::GroupCommand
        } else if channel == self.ack {
            Route::Ack
        } else if channel == self.returns {
            Route::Return
        } else if let Some(group) = channel.strip_prefix(&self.group) {
            Route::Invocation(Invoked::Group(group))
        } else if let Some(user) = channel.strip_prefix(&self.user) {
            Route::Invocation(Invoked::User(user))
        } else if let Some(id) = channel.strip_prefix(&self.connection) {
            Route::Invocation(Invoked::Connection(id))
        } else {
            Route::Unknown
        }
    }

    pub(super) fn new(channels: &crate::lifetime::redis::channels::Channels, server: &str) -> Self {
        Routes {
            all: channels.all(),
            group_management: channels.group_management(),
            ack: channels.ack(server),
            returns: channels.return_channel(server),
            group: channels.group(""),
            user: channels.user(""),
            connection: channels.connection(""),
        }
    }
}

/// ASP.NET Core's answer for a client that left before answering.
fn disconnected() -> Outcome {
    Outcome::Error("Connection disconnected.".to_owned())
}

fn ids<'a>(ids: impl Iterator<Item = &'a String>) -> Vec<ConnectionId> {
    ids.map(|id| ConnectionId::from(id.as_str())).collect()
}
