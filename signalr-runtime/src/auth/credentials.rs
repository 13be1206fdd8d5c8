//! The credentials of one HTTP request, and the application's authenticator that reads them.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;

use super::User;
use crate::transport::query::query_param;

/// The credentials of one HTTP request, for the application's authenticator: its headers
/// (cookies, a header a proxy set), URI, the extensions tower layers put on it (claims an
/// authentication middleware found), the remote address, and the bearer token.
pub struct Credentials<'a> {
    parts: &'a Parts,
    bearer: Option<String>,
}

impl std::fmt::Debug for Credentials<'_> {
    /// Without the token, the query or header values, so that logging credentials logs no
    /// secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("method", &self.parts.method)
            .field("path", &crate::redact::PathOnly(&self.parts.uri))
            .field("headers", &crate::redact::NamesOnly(&self.parts.headers))
            .field("bearer", &crate::redact::Presence(self.bearer.is_some()))
            .finish_non_exhaustive()
    }
}

impl<'a> Credentials<'a> {
    pub(crate) fn new(parts: &'a Parts) -> Self {
        let from_header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        let bearer = from_header.or_else(|| query_param(parts.uri.query(), "access_token"));
        Credentials { parts, bearer }
    }

    /// The bearer token: from `Authorization: Bearer`, else from the `access_token` query
    /// parameter (browsers cannot set headers on WebSockets and Server-Sent Events).
    pub fn bearer_token(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The request's URI.
    pub fn uri(&self) -> &Uri {
        &self.parts.uri
    }

    /// The request's method: `POST` for negotiate and sends, `GET` for transports, `DELETE`
    /// when a Long Polling client stops.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// What tower layers in front of the router put on the request, such as the claims of an
    /// authentication middleware.
    pub fn extensions(&self) -> &Extensions {
        &self.parts.extensions
    }

    /// The client's address, when the server was started with
    /// `into_make_service_with_connect_info::<SocketAddr>()`.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        remote_addr(self.parts)
    }
}

/// The client's address axum recorded for the request, if the server records it.
fn remote_addr(parts: &Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address)
}

/// What an authenticator decides: the user (`None` for an anonymous request), or a response
/// that refuses the request (a 401 with a `WWW-Authenticate` header, a 403).
pub type Authenticated = Result<Option<User>, Response>;

/// Finds who a request is from. Runs for every request of an endpoint (negotiate, transports,
/// the POSTs of Server-Sent Events and Long Polling), so that a token that expires stops
/// working; may wait (on a database, a token introspection endpoint) without holding up other
/// connections.
///
/// ```
/// use axum::http::StatusCode;
/// use axum::response::IntoResponse;
/// use signalr_runtime::HubOptions;
/// use signalr_runtime::auth::{Authenticate, Authenticated, Credentials, User};
///
/// struct Sessions;
///
/// impl Authenticate for Sessions {
///     async fn authenticate(&self, credentials: &Credentials<'_>) -> Authenticated {
///         match credentials.bearer_token() {
///             None => Ok(None),
///             Some("valid") => Ok(Some(User::new("ada"))),
///             Some(_) => Err((StatusCode::FORBIDDEN, "unknown session").into_response()),
///         }
///     }
/// }
///
/// let options = HubOptions::default().authenticator(Sessions);
/// ```
pub trait Authenticate: Send + Sync + 'static {
    /// The user `credentials` belong to, `Ok(None)` when they name nobody, or the response
    /// that refuses the request.
    fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> impl Future<Output = Authenticated> + Send;
}

/// [`Authenticate`] with the future boxed, so that options can hold any authenticator.
pub(crate) trait DynAuthenticate: Send + Sync {
    fn authenticate_boxed<'a>(
        &'a self,
        credentials: &'a Credentials<'a>,
    ) -> BoxFuture<'a, Authenticated>;
}

impl<A: Authenticate> DynAuthenticate for A {
    fn authenticate_boxed<'a>(
        &'a self,
        credentials: &'a Credentials<'a>,
    ) -> BoxFuture<'a, Authenticated> {
        Box::pin(self.authenticate(credentials))
    }
}

/// A synchronous authenticator from a closure (`HubOptions::authenticate`).
pub(crate) struct FromFn<F>(pub(crate) F);

impl<F> Authenticate for FromFn<F>
where
    F: Fn(&Credentials<'_>) -> Option<User> + Send + Sync + 'static,
{
    fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> impl Future<Output = Authenticated> + Send {
        std::future::ready(Ok((self.0)(credentials)))
    }
}

/// An asynchronous authenticator from a closure that reads what it needs from the credentials
/// and returns a future owning it (`HubOptions::authenticate_async`).
pub(crate) struct FromAsyncFn<F>(pub(crate) F);

impl<F, Fut> Authenticate for FromAsyncFn<F>
where
    F: Fn(&Credentials<'_>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Authenticated> + Send + 'static,
{
    fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> impl Future<Output = Authenticated> + Send {
        (self.0)(credentials)
    }
}

/// Who the request is from, if anyone; the response to answer instead when the authenticator
/// refuses it, or when the endpoint requires authentication and nobody was found (401, as
/// ASP.NET Core's `[Authorize]` answers).
pub(crate) async fn authenticate(options: &crate::HubOptions, parts: &Parts) -> Authenticated {
    let user = match &options.authenticator {
        None => None,
        Some(authenticator) => {
            let credentials = Credentials::new(parts);
            authenticator.authenticate_boxed(&credentials).await?
        }
    };
    if user.is_none() && options.require_authentication {
        return Err(StatusCode::UNAUTHORIZED.into_response());
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, authorization: Option<&str>) -> Parts {
        let mut request = axum::http::Request::builder().uri(uri);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn debug_output_shows_no_token() {
        let both = parts(
            "/hub?id=CONNTOKEN&access_token=QUERYSECRET",
            Some("Bearer HEADERSECRET"),
        );
        let shown = format!("{:?}", Credentials::new(&both));
        for secret in ["CONNTOKEN", "QUERYSECRET", "HEADERSECRET"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("/hub") && shown.contains("authorization"),
            "{shown}"
        );
    }

    #[test]
    fn the_bearer_token_comes_from_the_header_or_the_query() {
        let query = parts("/hub?access_token=from%20query", None);
        assert_eq!(Credentials::new(&query).bearer_token(), Some("from query"));
        let both = parts("/hub?access_token=q", Some("Bearer from-header"));
        assert_eq!(Credentials::new(&both).bearer_token(), Some("from-header"));
        let basic = parts("/hub", Some("Basic xyz"));
        assert_eq!(Credentials::new(&basic).bearer_token(), None);
    }
}
