//! Who a connection belongs to: an id, roles and claims.

use std::collections::BTreeSet;

/// An authenticated user: the id connections of one user are reached by, the roles that
/// `#[hub(authorize = "role")]` checks, and claims (type and value pairs, as a token carries
/// them) that policies and hub methods read.
///
/// ```
/// use signalr_runtime::auth::User;
///
/// let user = User::new("ada")
///     .with_role("admin")
///     .with_claim("email", "ada@example.com")
///     .with_claim("scope", "chat.read")
///     .with_claim("scope", "chat.write");
/// assert!(user.has_role("admin"));
/// assert_eq!(user.claim("email"), Some("ada@example.com"));
/// assert_eq!(user.claims("scope").collect::<Vec<_>>(), ["chat.read", "chat.write"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The user's identifier: connections of one user are reached together with
    /// `clients().user(id)`.
    pub id: String,
    /// The roles the user has, checked by `#[hub(authorize = "role")]` methods.
    pub roles: BTreeSet<String>,
    /// Claims as (type, value) pairs, in the order they were added; a type may repeat.
    pub claims: Vec<(String, String)>,
}

impl User {
    /// A user with no roles and no claims.
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            roles: BTreeSet::new(),
            claims: Vec::new(),
        }
    }

    /// The same user with one more role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.insert(role.into());
        self
    }

    /// The same user with one more claim.
    #[must_use]
    pub fn with_claim(mut self, kind: impl Into<String>, value: impl Into<String>) -> Self {
        self.claims.push((kind.into(), value.into()));
        self
    }

    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// The value of the first claim of type `kind`.
    pub fn claim(&self, kind: &str) -> Option<&str> {
        self.claims
            .iter()
            .find(|(claim, _)| claim == kind)
            .map(|(_, value)| value.as_str())
    }

    /// The values of every claim of type `kind`, in order.
    pub fn claims<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.claims
            .iter()
            .filter(move |(claim, _)| claim == kind)
            .map(|(_, value)| value.as_str())
    }

    /// Whether the user has a claim of type `kind` with `value`.
    pub fn has_claim(&self, kind: &str, value: &str) -> bool {
        self.claims(kind).any(|claim| claim == value)
    }
}
