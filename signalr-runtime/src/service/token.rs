//! The service's access tokens: JSON Web Tokens signed with HMAC-SHA256 under the connection
//! string's access key, as Azure SignalR Service issues and checks them.
//!
//! Application servers sign a token for each server connection (audience
//! `{endpoint}/server/?hub={hub}`) and one for each client they redirect (audience
//! `{endpoint}/client/?hub={hub}`, carrying the client's user and claims); the service checks
//! both with the same key.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The claim holding the user's id (Azure's `asrs.s.uid`).
pub const USER_ID_CLAIM: &str = "asrs.s.uid";

/// The claim type roles travel under (.NET's `ClaimTypes.Role`, as Azure passes it on).
pub const ROLE_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

/// Registered claims a token carries for itself, not for the user.
const RESERVED: [&str; 4] = ["aud", "exp", "iat", "nbf"];

/// The key that signs and checks tokens: the `AccessKey` of a connection string.
///
/// ```
/// use std::time::Duration;
/// use signalr_runtime::service::AccessKey;
///
/// let key = AccessKey::new("secret");
/// let claims = vec![("asrs.s.uid".to_owned(), "ada".to_owned())];
/// let token = key.sign("http://service/client/?hub=chat", &claims, Duration::from_secs(60));
/// assert_eq!(key.verify(&token, "http://service/client/?hub=chat"), Ok(claims));
/// assert!(key.verify(&token, "http://service/client/?hub=other").is_err());
/// ```
#[derive(Clone)]
pub struct AccessKey(Hmac<Sha256>);

impl fmt::Debug for AccessKey {
    /// Never the key itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(..)")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url parts of JSON, or not HS256.
    Malformed,
    /// The signature does not match the key.
    BadSignature,
    /// The token is for another audience.
    WrongAudience,
    /// The token has expired.
    Expired,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "the access token is malformed",
            TokenError::BadSignature => "the access token's signature is invalid",
            TokenError::WrongAudience => "the access token is for another audience",
            TokenError::Expired => "the access token has expired",
        })
    }
}

impl std::error::Error for TokenError {}

impl AccessKey {
    /// The key of `secret`, as written in the connection string (its UTF-8 bytes sign).
    pub fn new(secret: &str) -> Self {
        // HMAC takes keys of every length: the fallback (a key of zeros) cannot happen.
        AccessKey(
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
                .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default())),
        )
    }

    /// A token for `audience` holding `claims` (a type may repeat: it becomes a JSON array),
    /// valid for `lifetime`.
    pub fn sign(&self, audience: &str, claims: &[(String, String)], lifetime: Duration) -> String {
        let now = unix_now();
        let mut body = Map::new();
        for (kind, value) in claims {
            if RESERVED.contains(&kind.as_str()) {
                continue;
            }
            match body.get_mut(kind) {
                Some(Value::Array(values)) => values.push(Value::from(value.as_str())),
                Some(single) => {
                    let first = single.take();
                    *single = Value::Array(vec![first, Value::from(value.as_str())]);
                }
                None => {
                    body.insert(kind.clone(), Value::from(value.as_str()));
                }
            }
        }
        body.insert("aud".into(), Value::from(audience));
        body.insert("iat".into(), Value::from(now));
        body.insert("nbf".into(), Value::from(now));
        body.insert(
            "exp".into(),
            Value::from(now.saturating_add(lifetime.as_secs())),
        );
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(Value::Object(body).to_string());
        let signed = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// The claims of `token` (without the registered ones: audience, times), once its
    /// signature, audience and expiry are checked.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] saying which check failed.
    pub fn verify(&self, token: &str, audience: &str) -> Result<Vec<(String, String)>, TokenError> {
        self.verify_audience(token, |found| found == audience)
    }

    /// As [`verify`](Self::verify), with the audience accepted by `accepts`: a service that
    /// may be reached under several host names checks only the path and query.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] saying which check failed.
    pub fn verify_audience(
        &self,
        token: &str,
        accepts: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, String)>, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = decode_json(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signed_len = header_len(token, payload);
        let signed = token.get(..signed_len).ok_or(TokenError::Malformed)?;
        self.mac(signed)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let Value::Object(body) = decode_json(payload)? else {
            return Err(TokenError::Malformed);
        };
        if !body.get("aud").and_then(Value::as_str).is_some_and(accepts) {
            return Err(TokenError::WrongAudience);
        }
        match body.get("exp").and_then(Value::as_u64) {
            Some(expiry) if expiry > unix_now() => {}
            _ => return Err(TokenError::Expired),
        }
        Ok(claims_of(body))
    }

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(signed.as_bytes());
        mac
    }
}

/// The length of `header.payload`, the part of `token` the signature covers.
fn header_len(token: &str, payload: &str) -> usize {
    token
        .find('.')
        .map_or(0, |dot| dot.saturating_add(1).saturating_add(payload.len()))
}

fn decode_json(part: &str) -> Result<Value, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// A token's claims as (type, value) pairs: arrays become one pair per element, numbers and
/// booleans their JSON text.
fn claims_of(body: Map<String, Value>) -> Vec<(String, String)> {
    let mut claims = Vec::new();
    for (kind, value) in body {
        if RESERVED.contains(&kind.as_str()) {
            continue;
        }
        let values = match value {
            Value::Array(values) => values,
            single => vec![single],
        };
        for value in values {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            claims.push((kind.clone(), text));
        }
    }
    claims
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_claims_survive_and_tampering_is_caught() {
        let key = AccessKey::new("k");
        let claims = vec![
            (USER_ID_CLAIM.to_owned(), "ada".to_owned()),
            (ROLE_CLAIM.to_owned(), "admin".to_owned()),
            (ROLE_CLAIM.to_owned(), "ops".to_owned()),
        ];
        let token = key.sign("aud", &claims, Duration::from_secs(5));
        let mut found = key.verify(&token, "aud").unwrap_or_default();
        found.sort();
        let mut expected = claims.clone();
        expected.sort();
        assert_eq!(found, expected);
        assert_eq!(
            AccessKey::new("other").verify(&token, "aud"),
            Err(TokenError::BadSignature)
        );
        let expired = key.sign("aud", &claims, Duration::ZERO);
        assert_eq!(key.verify(&expired, "aud"), Err(TokenError::Expired));
        assert_eq!(key.verify("a.b", "aud"), Err(TokenError::Malformed));
    }
}
