//! Who is connected to the service: application servers per hub, clients, groups and users,
//! and delivery to them.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use signalr_runtime::protocol::Protocol;
use signalr_runtime::service::AccessKey;
use signalr_runtime::service::protocol::Payloads;
use tokio::sync::{Notify, mpsc};

/// What a client's relay is told to do.
#[derive(Debug)]
pub(crate) enum ToClient {
    /// Bytes for the client, as they are.
    Data(Bytes),
    /// The server closed the connection: end the transport.
    End,
    /// The client's server connection is gone: send it a Close that allows reconnecting, then
    /// end the transport.
    Lost,
}

/// Frames that may wait for one client before it counts as too slow and is dropped.
pub(crate) const CLIENT_BACKLOG: usize = 4096;

/// Everything the service knows, behind one lock: every change is small and quick.
pub(crate) struct Registry {
    pub(crate) key: AccessKey,
    state: Mutex<State>,
    next_server: AtomicU64,
}

#[derive(Default)]
struct State {
    hubs: HashMap<String, Hub>,
    clients: HashMap<String, Client>,
}

#[derive(Default)]
struct Hub {
    servers: Vec<Server>,
    next: usize,
    clients: HashSet<String>,
    groups: HashMap<String, HashSet<String>>,
    users: HashMap<String, HashSet<String>>,
}

struct Server {
    id: u64,
    outbox: mpsc::Sender<Bytes>,
}

struct Client {
    hub: String,
    user: Option<String>,
    server: u64,
    protocol: Option<Protocol>,
    outbox: mpsc::Sender<ToClient>,
    /// Wakes the relay of a client that is too far behind, to drop it.
    abort: Arc<Notify>,
    groups: HashSet<String>,
}

/// Who a server's send is for, within its hub.
pub(crate) enum Audience<'a> {
    All(&'a [String]),
    Connections(&'a [String]),
    Users(&'a [String]),
    Groups(&'a [String], &'a [String]),
}

/// A client's place: the server connection that serves it.
pub(crate) struct Placement {
    pub(crate) server: mpsc::Sender<Bytes>,
}

impl Registry {
    pub(crate) fn new(key: AccessKey) -> Self {
        Registry {
            key,
            state: Mutex::new(State::default()),
            next_server: AtomicU64::new(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a server connection of `hub`; returns its id.
    pub(crate) fn add_server(&self, hub: &str, outbox: mpsc::Sender<Bytes>) -> u64 {
        let id = self.next_server.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state();
        state
            .hubs
            .entry(hub.to_owned())
            .or_default()
            .servers
            .push(Server { id, outbox });
        id
    }

    /// Forgets server connection `id`; its clients are told it is lost.
    pub(crate) fn remove_server(&self, hub: &str, id: u64) {
        let mut state = self.state();
        if let Some(entry) = state.hubs.get_mut(hub) {
            entry.servers.retain(|server| server.id != id);
        }
        for client in state.clients.values().filter(|client| client.server == id) {
            if client.outbox.try_send(ToClient::Lost).is_err() {
                client.abort.notify_one();
            }
        }
    }

    /// Whether `hub` has a server connection to open clients on.
    pub(crate) fn has_server(&self, hub: &str) -> bool {
        self.state()
            .hubs
            .get(hub)
            .is_some_and(|entry| !entry.servers.is_empty())
    }

    /// Places client `id` of `hub` on the next server connection, round robin.
    pub(crate) fn open_client(
        &self,
        hub: &str,
        id: &str,
        user: Option<String>,
        outbox: mpsc::Sender<ToClient>,
        abort: Arc<Notify>,
    ) -> Option<Placement> {
        let mut state = self.state();
        let entry = state.hubs.get_mut(hub)?;
        let count = entry.servers.len();
        let server = entry.servers.get(entry.next % count.max(1))?;
        let placement = Placement {
            server: server.outbox.clone(),
        };
        let server = server.id;
        entry.next = entry.next.wrapping_add(1);
        entry.clients.insert(id.to_owned());
        if let Some(user) = &user {
            entry
                .users
                .entry(user.clone())
                .or_default()
                .insert(id.to_owned());
        }
        let client = Client {
            hub: hub.to_owned(),
            user,
            server,
            protocol: None,
            outbox,
            abort,
            groups: HashSet::new(),
        };
        state.clients.insert(id.to_owned(), client);
        Some(placement)
    }

    /// The hub protocol client `id` chose in its handshake, once the server has answered it:
    /// it decides which payload of a fan-out the client receives (none before).
    pub(crate) fn set_protocol(&self, id: &str, protocol: Protocol) {
        if let Some(client) = self.state().clients.get_mut(id) {
            client.protocol = Some(protocol);
        }
    }

    /// Forgets client `id`, its groups and its user.
    pub(crate) fn close_client(&self, id: &str) {
        let mut state = self.state();
        let Some(client) = state.clients.remove(id) else {
            return;
        };
        if let Some(hub) = state.hubs.get_mut(&client.hub) {
            hub.clients.remove(id);
            for group in &client.groups {
                remove_member(&mut hub.groups, group, id);
            }
            if let Some(user) = &client.user {
                remove_member(&mut hub.users, user, id);
            }
        }
    }

    /// Passes `message` to client `id`, if it is still here.
    pub(crate) fn tell(&self, id: &str, message: ToClient) {
        if let Some(client) = self.state().clients.get(id) {
            offer(client, message);
        }
    }

    /// Delivers the payload of each receiver's protocol to `audience` within `hub`; each
    /// receiver once.
    pub(crate) fn fan_out(&self, hub: &str, audience: &Audience<'_>, payloads: &Payloads) {
        let state = self.state();
        let frames: Vec<(Protocol, Bytes)> = payloads
            .iter()
            .filter_map(|(name, bytes)| Some((Protocol::from_name(name)?, bytes.clone())))
            .collect();
        let deliver = |id: &String| {
            let Some(client) = state.clients.get(id) else {
                return;
            };
            let frame = client.protocol.and_then(|protocol| {
                frames
                    .iter()
                    .find(|(candidate, _)| *candidate == protocol)
                    .map(|(_, frame)| frame.clone())
            });
            if let Some(frame) = frame {
                offer(client, ToClient::Data(frame));
            }
        };
        if let Audience::Connections(ids) = audience {
            let unique: HashSet<&String> = ids.iter().collect();
            unique.into_iter().for_each(deliver);
            return;
        }
        let Some(entry) = state.hubs.get(hub) else {
            return;
        };
        match audience {
            Audience::All(excluded) => entry
                .clients
                .iter()
                .filter(|id| !excluded.contains(id))
                .for_each(deliver),
            Audience::Users(users) => members(&entry.users, users, &[])
                .into_iter()
                .for_each(deliver),
            Audience::Groups(groups, excluded) => members(&entry.groups, groups, excluded)
                .into_iter()
                .for_each(deliver),
            Audience::Connections(_) => {}
        }
    }

    /// Adds client `id` to `group` of its hub (or takes it out); `false` when there is no
    /// such client.
    pub(crate) fn change_group(&self, id: &str, group: &str, join: bool) -> bool {
        let mut state = self.state();
        let State { hubs, clients } = &mut *state;
        let Some(client) = clients.get_mut(id) else {
            return false;
        };
        let Some(hub) = hubs.get_mut(&client.hub) else {
            return false;
        };
        if join {
            client.groups.insert(group.to_owned());
            hub.groups
                .entry(group.to_owned())
                .or_default()
                .insert(id.to_owned());
        } else {
            client.groups.remove(group);
            remove_member(&mut hub.groups, group, id);
        }
        true
    }

    /// Adds every current connection of `user` in `hub` to `group` (or takes them out).
    pub(crate) fn change_user_group(&self, hub: &str, user: &str, group: &str, join: bool) {
        let ids: Vec<String> = self
            .state()
            .hubs
            .get(hub)
            .and_then(|entry| entry.users.get(user))
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            self.change_group(&id, group, join);
        }
    }
}

/// Queues `message` for `client`; one that is too far behind is dropped.
fn offer(client: &Client, message: ToClient) {
    if client.outbox.try_send(message).is_err() {
        client.abort.notify_one();
    }
}

fn remove_member(index: &mut HashMap<String, HashSet<String>>, key: &str, id: &str) {
    if let Some(members) = index.get_mut(key) {
        members.remove(id);
        if members.is_empty() {
            index.remove(key);
        }
    }
}

/// The members of any of `keys`, each once, minus `excluded`.
fn members<'a>(
    index: &'a HashMap<String, HashSet<String>>,
    keys: &[String],
    excluded: &[String],
) -> HashSet<&'a String> {
    keys.iter()
        .filter_map(|key| index.get(key))
        .flatten()
        .filter(|id| !excluded.contains(id))
        .collect()
}
