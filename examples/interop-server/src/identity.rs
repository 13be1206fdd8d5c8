//! Who a connection belongs to, until real authentication exists.
//!
//! `GET /generateJwtToken?user=NAME` issues a token; clients send it as `Authorization: Bearer
//! <token>` or as the `access_token` query parameter, and [`user_of`] (plugged into
//! `HubOptions::user_id`) turns it back into the user's name. The token is no JWT: it is
//! `user:<name>` encoded as unpadded base64url, opaque to clients but neither signed nor
//! expiring. Swap [`issue`] and [`verify`] for real JWT signing and validation when the runtime
//! has authentication; nothing else depends on the token's form.

use axum::extract::Query;
use axum::http::{HeaderMap, Uri, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The user `GET /generateJwtToken` issues a token for when the request names none.
pub(crate) const DEFAULT_USER: &str = "testuser";

/// What a token encodes before the user's name.
const PREFIX: &str = "user:";

/// A token for `user`.
pub(crate) fn issue(user: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{user}"))
}

/// The user a token was issued for, or `None` when it is not one of ours.
pub(crate) fn verify(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let user = text.strip_prefix(PREFIX)?;
    (!user.is_empty()).then(|| user.to_owned())
}

/// The token a request carries: its `Authorization: Bearer` header, else its `access_token`
/// query parameter.
fn token_of(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("Bearer")
                .then(|| token.trim().to_owned())
        });
    bearer.or_else(|| {
        let Query(query) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
        query
            .into_iter()
            .find(|(name, _)| name == "access_token")
            .map(|(_, value)| value)
    })
}

/// The user of a connection whose transport request has `headers` and `uri`: `None` (an
/// anonymous connection) without a token or with one we did not issue.
pub(crate) fn user_of(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    verify(&token_of(headers, uri)?)
}

/// `GET /generateJwtToken?user=NAME`: a token for `NAME` (default [`DEFAULT_USER`]).
pub(crate) async fn generate_token(Query(query): Query<Vec<(String, String)>>) -> String {
    let user = query
        .iter()
        .find(|(name, value)| name == "user" && !value.is_empty())
        .map_or(DEFAULT_USER, |(_, value)| value.as_str());
    issue(user)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, Uri, header};

    use super::{issue, user_of, verify};

    #[test]
    fn tokens_round_trip() {
        assert_eq!(verify(&issue("alice")).as_deref(), Some("alice"));
        assert_eq!(
            verify(&issue("名前 with spaces")).as_deref(),
            Some("名前 with spaces")
        );
        assert_eq!(verify("not a token"), None);
        assert_eq!(verify(&issue("")), None);
    }

    #[test]
    fn the_user_comes_from_the_header_or_the_query() {
        let token = issue("bob");
        let mut headers = HeaderMap::new();
        let plain: Uri = "/scenarios?id=1".parse().unwrap();
        assert_eq!(user_of(&headers, &plain), None);
        let with_query: Uri = format!("/scenarios?id=1&access_token={token}")
            .parse()
            .unwrap();
        assert_eq!(user_of(&headers, &with_query).as_deref(), Some("bob"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", issue("carol"))).unwrap(),
        );
        assert_eq!(user_of(&headers, &plain).as_deref(), Some("carol"));
    }
}
