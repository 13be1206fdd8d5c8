//! Who a connection belongs to: the JSON Web Tokens of `GET /generateJwtToken` and the
//! authenticator that checks them.
//!
//! `GET /generateJwtToken?user=NAME` issues an HS256 JWT whose `sub` (and `nameid`) is NAME;
//! clients send it as `Authorization: Bearer <token>` or as the `access_token` query parameter,
//! the runtime hands it to [`authenticate`] (plugged into `HubOptions::authenticate`), and that
//! checks the signature and the expiry and names the user. The official app's tokens live 5 s;
//! these live [`LIFETIME_SECONDS`], so that a long test run does not see them expire midway.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::Query;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use signalr_runtime::auth::{Credentials, User};

/// The user `GET /generateJwtToken` issues a token for when the request names none.
pub(crate) const DEFAULT_USER: &str = "testuser";

/// How long a token is valid.
pub(crate) const LIFETIME_SECONDS: u64 = 600;

/// The signing key. A test server's: a real one comes from configuration, never from source.
const KEY: &[u8] = b"interop-server signing key, for tests only";

/// `{"alg":"HS256","typ":"JWT"}`, base64url.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn signature(signed: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).ok()?;
    mac.update(signed.as_bytes());
    Some(mac)
}

/// A token for `user`, valid for [`LIFETIME_SECONDS`].
pub(crate) fn issue(user: &str) -> String {
    issue_at(user, now() + LIFETIME_SECONDS)
}

fn issue_at(user: &str, expires: u64) -> String {
    let claims = serde_json::json!({ "sub": user, "nameid": user, "exp": expires });
    let signed = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mac = signature(&signed).map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    format!("{signed}.{}", mac.unwrap_or_default())
}

/// The user a token was issued for, when its signature holds and it has not expired.
pub(crate) fn verify(token: &str) -> Option<String> {
    let (signed, mac) = token.trim().rsplit_once('.')?;
    let (header, claims) = signed.split_once('.')?;
    if header != HEADER {
        return None;
    }
    // `verify_slice` compares in constant time.
    signature(signed)?
        .verify_slice(&URL_SAFE_NO_PAD.decode(mac).ok()?)
        .ok()?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    if claims.get("exp")?.as_u64()? <= now() {
        return None;
    }
    let user = claims.get("sub")?.as_str()?;
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

    use super::{issue, issue_at, user_of_token, verify};

    #[test]
    fn tokens_round_trip() {
        assert_eq!(verify(&issue("alice")).as_deref(), Some("alice"));
        assert_eq!(
            verify(&issue("名前 with spaces")).as_deref(),
            Some("名前 with spaces")
        );
        assert_eq!(verify("not a token"), None);
        assert_eq!(verify(&issue("")), None);
        assert_eq!(verify(&issue_at("alice", 1)), None, "expired");
        let token = issue("alice");
        let forged = token.replace(&token[token.len() - 4..], "AAAA");
        assert_eq!(verify(&forged), None, "bad signature");
    }

    #[test]
    fn a_token_of_ours_names_the_user() {
        assert_eq!(user_of_token(Some(&issue("bob"))), Some(User::new("bob")));
        assert_eq!(user_of_token(Some("forged")), None);
        assert_eq!(user_of_token(None), None);
    }
}
