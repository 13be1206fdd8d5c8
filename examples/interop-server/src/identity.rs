//! Who a connection belongs to: the tokens of `GET /generateJwtToken` and the authenticator
//! that reads them.
//!
//! `GET /generateJwtToken?user=NAME` issues a token; clients send it as `Authorization: Bearer
//! <token>` or as the `access_token` query parameter, the runtime hands it to [`authenticate`]
//! (plugged into `HubOptions::authenticate`), and that turns it back into the user. The token is
//! no JWT: it is `user:<name>` encoded as unpadded base64url, opaque to clients but neither
//! signed nor expiring (the official app's JWTs live 5 s; no test relies on that). Swap
//! [`issue`] and [`verify`] for real JWT signing and validation; nothing else depends on the
//! token's form.

use axum::extract::Query;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use signalr_runtime::auth::{Credentials, User};

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

/// The user a request's credentials name: `None` (anonymous) without a token or with one we
/// did not issue.
pub(crate) fn authenticate(credentials: &Credentials<'_>) -> Option<User> {
    user_of_token(credentials.bearer_token())
}

/// The user of a bearer token, if it is one of ours.
fn user_of_token(token: Option<&str>) -> Option<User> {
    verify(token?).map(User::new)
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
    use signalr_runtime::auth::User;

    use super::{issue, user_of_token, verify};

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
    fn a_token_of_ours_names_the_user() {
        assert_eq!(user_of_token(Some(&issue("bob"))), Some(User::new("bob")));
        assert_eq!(user_of_token(Some("forged")), None);
        assert_eq!(user_of_token(None), None);
    }
}
