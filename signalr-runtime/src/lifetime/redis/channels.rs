//! Names of the Redis pub/sub channels a hub uses, and the random names and ids the backplane
//! needs, matching ASP.NET Core's Redis backplane (REDIS-BACKPLANE.md §1) so that Rust and .NET
//! servers of one hub meet on the same channels.

use std::fmt::Write as _;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// The channel names of one hub.
///
/// Names are `{channel prefix}{hub full name}:{suffix}`. The hub full name must be the .NET
/// `typeof(THub).FullName` (e.g. `MyCompany.Chat.Hubs.ChatHub`) to share a backplane with .NET.
/// The optional channel prefix mirrors StackExchange.Redis's `ChannelPrefix`, which that client
/// glues to every channel in raw bytes with no separator. All names are case-sensitive and
/// opaque: a group name containing `:` needs no escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Channels {
    /// Channel prefix and hub full name, already joined.
    base: String,
}

impl Channels {
    /// The channels of the hub `hub_full_name`, behind `channel_prefix` if one is configured.
    pub(crate) fn new(hub_full_name: &str, channel_prefix: Option<&str>) -> Self {
        let base = format!("{}{hub_full_name}", channel_prefix.unwrap_or_default());
        Channels { base }
    }

    /// `{base}{suffix}{name}`, built in one allocation since these are made on every publish.
    fn with(&self, suffix: &str, name: &str) -> String {
        let mut channel = String::with_capacity(self.base.len() + suffix.len() + name.len());
        channel.push_str(&self.base);
        channel.push_str(suffix);
        channel.push_str(name);
        channel
    }

    /// Broadcasts to every connection of the hub; every server subscribes.
    pub(crate) fn all(&self) -> String {
        self.with(":all", "")
    }

    /// Sends to the members of `group`; subscribed while a server has a local member.
    pub(crate) fn group(&self, group: &str) -> String {
        self.with(":group:", group)
    }

    /// Sends to one connection; subscribed by the server that owns it.
    pub(crate) fn connection(&self, connection_id: &str) -> String {
        self.with(":connection:", connection_id)
    }

    /// Sends to the connections of `user_id`; subscribed while a server has one of them.
    pub(crate) fn user(&self, user_id: &str) -> String {
        self.with(":user:", user_id)
    }

    /// Carries group commands for connections owned by other servers; every server subscribes.
    pub(crate) fn group_management(&self) -> String {
        self.with(":internal:groups", "")
    }

    /// Carries acks of group commands back to the server `server_name` that sent them.
    pub(crate) fn ack(&self, server_name: &str) -> String {
        self.with(":internal:ack:", server_name)
    }

    /// Carries client results back to the server `server_name` that invoked the client.
    pub(crate) fn return_channel(&self, server_name: &str) -> String {
        self.with(":internal:return:", server_name)
    }
}

/// A fresh name for one backplane instance: `{host}_{32 lowercase hex digits}`, the shape .NET
/// gives its server names. The host part only helps people read logs; the random part makes the
/// name unique, since the ack and return channels of a server are derived from it.
///
/// Fails only if the operating system's random generator does: a guessable name is never used.
pub(crate) fn server_name() -> Result<String, getrandom::Error> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random)?;
    Ok(name_for(&host_name(), &random))
}

/// `{host}_{random as 32 lowercase hex digits}`, apart from the randomness so tests can pin it.
fn name_for(host: &str, random: &[u8; 16]) -> String {
    let mut name = String::with_capacity(host.len() + 33);
    name.push_str(host);
    name.push('_');
    for byte in random {
        // Writing into a String cannot fail.
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// The machine's name from `HOSTNAME` or `/etc/hostname`, else `localhost`.
fn host_name() -> String {
    let usable = |name: String| {
        let host = short_host(&name);
        (!host.is_empty()).then(|| host.to_owned())
    };
    std::env::var("HOSTNAME")
        .ok()
        .and_then(usable)
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .and_then(usable)
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The host name up to its first dot, trimmed, as .NET's `Environment.MachineName` reports it on
/// Unix (`web01.example.com` becomes `web01`).
fn short_host(name: &str) -> &str {
    let name = name.trim();
    name.split('.').next().unwrap_or(name)
}

/// A fresh id for a client-result invocation that travels through the backplane: 16 random bytes
/// in standard base64 without padding, 22 characters, the shape .NET servers use.
///
/// Fails only if the operating system's random generator does.
pub(crate) fn invocation_id() -> Result<String, getrandom::Error> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random)?;
    Ok(STANDARD_NO_PAD.encode(random))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_without_prefix() {
        let channels = Channels::new("MyCompany.Chat.Hubs.ChatHub", None);
        let hub = "MyCompany.Chat.Hubs.ChatHub";
        assert_eq!(channels.all(), format!("{hub}:all"));
        assert_eq!(channels.group("room:1"), format!("{hub}:group:room:1"));
        assert_eq!(channels.connection("abc"), format!("{hub}:connection:abc"));
        assert_eq!(channels.user("Alice"), format!("{hub}:user:Alice"));
        assert_eq!(
            channels.group_management(),
            format!("{hub}:internal:groups")
        );
        assert_eq!(
            channels.ack("web01_x"),
            format!("{hub}:internal:ack:web01_x")
        );
        assert_eq!(
            channels.return_channel("web01_x"),
            format!("{hub}:internal:return:web01_x")
        );
    }

    #[test]
    fn channel_prefix_is_glued_without_separator() {
        let channels = Channels::new("MyCompany.Chat.Hubs.ChatHub", Some("MyApp"));
        let base = "MyAppMyCompany.Chat.Hubs.ChatHub";
        assert_eq!(channels.all(), format!("{base}:all"));
        assert_eq!(channels.group("room"), format!("{base}:group:room"));
        assert_eq!(channels.connection("abc"), format!("{base}:connection:abc"));
        assert_eq!(channels.user("Alice"), format!("{base}:user:Alice"));
        assert_eq!(
            channels.group_management(),
            format!("{base}:internal:groups")
        );
        assert_eq!(channels.ack("s"), format!("{base}:internal:ack:s"));
        assert_eq!(
            channels.return_channel("s"),
            format!("{base}:internal:return:s")
        );
        // An empty prefix is the same as none.
        assert_eq!(Channels::new("Hub", Some("")), Channels::new("Hub", None));
    }

    #[test]
    fn server_names_are_host_and_random_hex() {
        let name = server_name().unwrap();
        let (host, random) = name.rsplit_once('_').unwrap();
        assert!(!host.is_empty() && !host.contains('.'));
        assert_eq!(random.len(), 32);
        assert!(
            random
                .bytes()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_ne!(name, server_name().unwrap());

        let fixed = name_for(
            "web01",
            &[
                0x02, 0xdb, 0x60, 0xe5, 0xfa, 0xb2, 0x43, 0xb8, 0x90, 0xa8, 0x47, 0xfa, 0x5c, 0x4d,
                0xcb, 0x29,
            ],
        );
        assert_eq!(fixed, "web01_02db60e5fab243b890a847fa5c4dcb29");
        assert_eq!(short_host(" web01.example.com\n"), "web01");
        assert_eq!(short_host("web01\n"), "web01");
    }

    #[test]
    fn invocation_ids_are_22_base64_characters() {
        let id = invocation_id().unwrap();
        assert_eq!(id.len(), 22);
        assert!(
            id.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
        );
        assert_ne!(id, invocation_id().unwrap());
    }
}
