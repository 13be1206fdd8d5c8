//! Connection ids and tokens: random, unguessable, URL-safe.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The public id of a connection: what the hub sees and what the client receives from negotiate.
///
/// Cloning is cheap (a reference count).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(Arc<str>);

impl ConnectionId {
    /// A fresh random id, or `None` if the system has no randomness to give.
    pub(crate) fn generate() -> Option<Self> {
        random_token().map(|token| ConnectionId(token.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ConnectionId {
    fn from(id: &str) -> Self {
        ConnectionId(id.into())
    }
}

impl From<String> for ConnectionId {
    fn from(id: String) -> Self {
        ConnectionId(id.into())
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectionId({})", self.0)
    }
}

/// 16 bytes from the operating system's generator, base64url without padding (22 characters),
/// as ASP.NET Core makes its ids and tokens. `None` if the generator fails: a guessable token is
/// never handed out instead.
pub(crate) fn random_token() -> Option<String> {
    let [token] = random_tokens::<1>()?;
    Some(token)
}

/// `N` tokens as [`random_token`] makes them, from one read of the generator (a system call
/// each costs more than the rest of making a token).
pub(crate) fn random_tokens<const N: usize>() -> Option<[String; N]> {
    let mut bytes = [[0u8; 16]; N];
    match getrandom::fill(bytes.as_flattened_mut()) {
        Ok(()) => Some(bytes.map(|token| URL_SAFE_NO_PAD.encode(token))),
        Err(error) => {
            tracing::error!(%error, "the operating system's random generator failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_url_safe() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
