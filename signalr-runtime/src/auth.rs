//! Authentication: who a connection belongs to, from the credentials of its HTTP requests.
//!
//! The runtime takes the bearer token from `Authorization: Bearer …` or, for browsers that cannot
//! set headers on WebSockets and Server-Sent Events, from the `access_token` query parameter. The
//! application decides what the token (or any other header, such as a cookie) means with
//! [`HubOptions::authenticate`](crate::HubOptions::authenticate). Tokens are never logged.
//!
//! ```
//! use signalr_runtime::auth::User;
//! use signalr_runtime::HubOptions;
//!
//! let options = HubOptions::default()
//!     .authenticate(|credentials| match credentials.bearer_token() {
//!         Some("secret-for-ada") => Some(User::new("ada").with_role("admin")),
//!         _ => None,
//!     })
//!     .require_authentication(true);
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{HeaderMap, Uri, header};

use crate::transport::query::query_param;

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The user's identifier: connections of one user are reached together with
    /// `clients().user(id)`.
    pub id: String,
    /// The roles the user has, checked by `#[hub(authorize = "role")]` methods.
    pub roles: BTreeSet<String>,
}

impl User {
    /// A user with no roles.
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            roles: BTreeSet::new(),
        }
    }

    /// The same user with one more role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.insert(role.into());
        self
    }

    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }
}

/// The credentials of one HTTP request, for the application's authenticator.
#[derive(Debug)]
pub struct Credentials<'a> {
    headers: &'a HeaderMap,
    uri: &'a Uri,
    bearer: Option<String>,
}

impl<'a> Credentials<'a> {
    pub(crate) fn new(headers: &'a HeaderMap, uri: &'a Uri) -> Self {
        let from_header = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        let bearer = from_header.or_else(|| query_param(uri.query(), "access_token"));
        Credentials {
            headers,
            uri,
            bearer,
        }
    }

    /// The bearer token: from `Authorization: Bearer`, else from the `access_token` query
    /// parameter.
    pub fn bearer_token(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// The request's headers (cookies, or headers a proxy set after authenticating).
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The request's URI.
    pub fn uri(&self) -> &Uri {
        self.uri
    }
}

/// The application's authenticator.
pub(crate) type Authenticator = Arc<dyn Fn(&Credentials<'_>) -> Option<User> + Send + Sync>;

/// Who the request is from, if anyone; `Err(())` when the endpoint requires authentication and
/// the request has none that the authenticator accepts.
pub(crate) fn authenticate(
    options: &crate::HubOptions,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Option<User>, ()> {
    let user = options
        .authenticator
        .as_ref()
        .and_then(|authenticate| authenticate(&Credentials::new(headers, uri)));
    if user.is_none() && options.require_authentication {
        return Err(());
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_token_comes_from_the_header_or_the_query() {
        let mut headers = HeaderMap::new();
        let uri: Uri = "/hub?access_token=from%20query".parse().unwrap();
        assert_eq!(
            Credentials::new(&headers, &uri).bearer_token(),
            Some("from query")
        );
        headers.insert(header::AUTHORIZATION, "Bearer from-header".parse().unwrap());
        assert_eq!(
            Credentials::new(&headers, &uri).bearer_token(),
            Some("from-header")
        );
        headers.insert(header::AUTHORIZATION, "Basic xyz".parse().unwrap());
        let plain: Uri = "/hub".parse().unwrap();
        assert_eq!(Credentials::new(&headers, &plain).bearer_token(), None);
    }
}
