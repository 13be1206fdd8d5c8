//! Who a connection belongs to: JSON Web Tokens, checked with the `jsonwebtoken` crate, and the
//! `GET /generateJwtToken` endpoint that issues them.
//!
//! Two kinds of tokens are accepted:
//!
//! - **HS256**, signed with the server's secret: `--jwt-secret TEXT`, by default
//!   [`DEFAULT_SECRET`] (a test secret: it is in the source, so it protects nothing). `GET
//!   /generateJwtToken?user=NAME` issues these for anyone who asks, as the official
//!   functional-test app does.
//! - **RS256**, signed by an RSA key whose public half is in the JWKS file of `--jwks FILE`
//!   (`{"keys":[{"kty":"RSA","kid":"…","n":"…","e":"…"}]}`), the key chosen by the `kid` of the
//!   token's header. This server never issues them: an identity provider would (the tests sign
//!   their own).
//!
//! Every token must carry `iss` [`ISSUER`], `aud` [`AUDIENCE`] (alone or in an array), `exp`,
//! and a non-empty `sub`, the user's id. Expiry is checked with no leeway (`jsonwebtoken`
//! allows 60 s by default): a token is refused from the second after its `exp`, so tests of
//! expiry need not wait a minute. An HS256 token with a `kid`, or an RS256 token whose `kid` is
//! not in the JWKS, is refused: the header's algorithm picks the kind of key, never a key of the
//! other kind.
//!
//! Clients send the token as `Authorization: Bearer <token>` or as the `access_token` query
//! parameter; the runtime hands it to [`Identity::authenticate`] (plugged into
//! `HubOptions::authenticate`). A request whose token fails any check is anonymous:
//! `/authorizedhub` (`require_authentication`) answers it 401, `/scenarios` lets it in without a
//! user.
//!
//! Issued tokens carry `sub` and `nameid` (the name .NET maps to `ClaimTypes.NameIdentifier`).
//! The official app's tokens live 5 s; ours live [`LIFETIME_SECONDS`], so that a long test run
//! does not see them expire midway.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use signalr_runtime::auth::{Credentials, User};

/// The user `GET /generateJwtToken` issues a token for when the request names none.
pub(crate) const DEFAULT_USER: &str = "testuser";

/// How long an issued token is valid, in seconds.
pub(crate) const LIFETIME_SECONDS: u64 = 600;

/// The HS256 secret when `--jwt-secret` gives none. A test server's: a real one comes from
/// configuration, never from source.
pub(crate) const DEFAULT_SECRET: &str = "interop-server signing key, for tests only";

/// The `iss` claim every token must carry (and issued tokens do).
pub(crate) const ISSUER: &str = "signalr-rs-interop";

/// The `aud` claim every token must carry (and issued tokens do).
pub(crate) const AUDIENCE: &str = "signalr-interop";

/// The claims of an issued token.
#[derive(Debug, Serialize)]
struct IssuedClaims<'a> {
    /// The user's id.
    sub: &'a str,
    /// The user's id again, under the name .NET maps to `ClaimTypes.NameIdentifier`.
    nameid: &'a str,
    /// [`ISSUER`].
    iss: &'a str,
    /// [`AUDIENCE`].
    aud: &'a str,
    /// Seconds since the Unix epoch after which the token is refused.
    exp: u64,
}

/// The one claim read from a token once `jsonwebtoken` has checked it; the others were checked
/// by its [`Validation`].
#[derive(Debug, Deserialize)]
struct Subject {
    /// The user's id.
    sub: String,
}

/// The keys tokens are signed with, and the checks they must pass.
#[derive(Clone)]
pub(crate) struct Identity {
    /// Signs the tokens of `GET /generateJwtToken`.
    signing: EncodingKey,
    /// Checks HS256 tokens: the same secret.
    secret: DecodingKey,
    /// Checks RS256 tokens: the RSA public keys of the JWKS file, by `kid`.
    rsa_keys: HashMap<String, DecodingKey>,
    /// What an HS256 token must pass.
    hs256: Validation,
    /// What an RS256 token must pass.
    rs256: Validation,
}

/// Never shows the keys.
impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("rsa_key_ids", &self.rsa_keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The checks for tokens signed with `algorithm`: issuer, audience, expiry (no leeway) and a
/// subject.
fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = 0;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Identity {
    /// HS256 tokens signed with `secret`, no RS256 keys yet. Fails on an empty secret, and on a
    /// build in which `jsonwebtoken` has no cryptography (said at start rather than by a panic
    /// at the first token).
    pub(crate) fn new(secret: &str) -> Result<Self, String> {
        if CryptoProvider::try_get_default().is_none() {
            return Err("jsonwebtoken was built without a crypto provider".to_owned());
        }
        let invalid = |error: jsonwebtoken::errors::Error| format!("invalid JWT secret: {error}");
        Ok(Identity {
            signing: EncodingKey::from_secret(secret.as_bytes()).map_err(invalid)?,
            secret: DecodingKey::from_secret(secret.as_bytes()).map_err(invalid)?,
            rsa_keys: HashMap::new(),
            hs256: validation(Algorithm::HS256),
            rs256: validation(Algorithm::RS256),
        })
    }

    /// The same, also accepting RS256 tokens signed by the keys of the JWKS file at `path`.
    pub(crate) fn with_jwks_file(self, path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let keys: JwkSet = serde_json::from_str(&text)
            .map_err(|error| format!("{} is not a JWKS: {error}", path.display()))?;
        self.with_jwks(&keys)
            .map_err(|error| format!("{}: {error}", path.display()))
    }

    /// The same, also accepting RS256 tokens signed by `keys`. Every key must be an RSA key
    /// with a `kid` of its own, and say nothing (`alg`, `use`) that makes it another kind of key:
    /// a JWKS this server would partly ignore is refused whole.
    pub(crate) fn with_jwks(mut self, keys: &JwkSet) -> Result<Self, String> {
        for jwk in &keys.keys {
            let kid = jwk.common.key_id.clone().ok_or("a key has no \"kid\"")?;
            let key = rs256_key(jwk).map_err(|error| format!("key {kid:?}: {error}"))?;
            if self.rsa_keys.insert(kid.clone(), key).is_some() {
                return Err(format!("two keys have the \"kid\" {kid:?}"));
            }
        }
        Ok(self)
    }

    /// A token for `user`, valid for [`LIFETIME_SECONDS`].
    pub(crate) fn issue(&self, user: &str) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(&IssuedClaims {
            sub: user,
            nameid: user,
            iss: ISSUER,
            aud: AUDIENCE,
            exp: now() + LIFETIME_SECONDS,
        })
    }

    /// `claims` as an HS256 token signed with the secret.
    fn sign(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.signing)
    }

    /// The user a token names, when it passes every check: signature, issuer, audience,
    /// expiry.
    pub(crate) fn verify(&self, token: &str) -> Option<String> {
        let token = token.trim();
        let header = jsonwebtoken::decode_header(token).ok()?;
        let (key, validation) = match (header.alg, header.kid.as_deref()) {
            (Algorithm::HS256, None) => (&self.secret, &self.hs256),
            (Algorithm::RS256, Some(kid)) => (self.rsa_keys.get(kid)?, &self.rs256),
            _ => return None,
        };
        let subject = jsonwebtoken::decode::<Subject>(token, key, validation).ok()?;
        let user = subject.claims.sub;
        (!user.is_empty()).then_some(user)
    }

    /// The user a request's credentials name: `None` (anonymous) without a token, or with one
    /// that fails a check of [`Identity::verify`].
    pub(crate) fn authenticate(&self, credentials: &Credentials<'_>) -> Option<User> {
        self.user_of_token(credentials.bearer_token())
    }

    /// The user of a bearer token, if it passes the checks.
    fn user_of_token(&self, token: Option<&str>) -> Option<User> {
        self.verify(token?).map(User::new)
    }

    /// [`Identity::authenticate`] as a closure for `HubOptions::authenticate`.
    pub(crate) fn authenticator(
        self: &Arc<Self>,
    ) -> impl Fn(&Credentials<'_>) -> Option<User> + Send + Sync + 'static {
        let identity = Arc::clone(self);
        move |credentials: &Credentials<'_>| identity.authenticate(credentials)
    }

    /// `GET /generateJwtToken`, issuing this identity's tokens.
    pub(crate) fn routes(self: Arc<Self>) -> Router {
        Router::new()
            .route("/generateJwtToken", get(generate_token))
            .with_state(self)
    }
}

/// The RS256 verification key of `jwk`, or why it cannot be one.
fn rs256_key(jwk: &Jwk) -> Result<DecodingKey, String> {
    if !matches!(jwk.algorithm, AlgorithmParameters::RSA(_)) {
        return Err("not an RSA key".to_owned());
    }
    if let Some(algorithm) = jwk.common.key_algorithm
        && algorithm != KeyAlgorithm::RS256
    {
        return Err(format!("its \"alg\" is {algorithm:?}, not RS256"));
    }
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != PublicKeyUse::Signature
    {
        return Err("its \"use\" is not \"sig\"".to_owned());
    }
    DecodingKey::from_jwk(jwk).map_err(|error| error.to_string())
}

/// `GET /generateJwtToken?user=NAME`: a token for `NAME` (default [`DEFAULT_USER`]).
async fn generate_token(
    State(identity): State<Arc<Identity>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let user = query
        .iter()
        .find(|(name, value)| name == "user" && !value.is_empty())
        .map_or(DEFAULT_USER, |(_, value)| value.as_str());
    match identity.issue(user) {
        Ok(token) => token.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::JwkSet;
    use serde_json::json;
    use signalr_runtime::auth::User;

    use super::{AUDIENCE, DEFAULT_SECRET, ISSUER, Identity, now};

    fn identity() -> Identity {
        Identity::new(DEFAULT_SECRET).unwrap()
    }

    /// An HS256 token signed with the default secret, with `claims` as they are.
    fn signed(claims: &serde_json::Value) -> String {
        identity().sign(claims).unwrap()
    }

    /// Valid claims for `alice`, with `change` applied.
    fn claims(change: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
        let mut claims =
            json!({ "sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 60 });
        change(&mut claims);
        claims
    }

    #[test]
    fn issued_tokens_round_trip() {
        let identity = identity();
        let token = identity.issue("alice").unwrap();
        assert_eq!(identity.verify(&token).as_deref(), Some("alice"));
        let token = identity.issue("名前 with spaces").unwrap();
        assert_eq!(identity.verify(&token).as_deref(), Some("名前 with spaces"));
        assert_eq!(identity.verify(&identity.issue("").unwrap()), None);
        assert_eq!(identity.verify("not a token"), None);
    }

    #[test]
    fn every_claim_is_checked() {
        let identity = identity();
        assert_eq!(
            identity.verify(&signed(&claims(|_| {}))).as_deref(),
            Some("alice")
        );
        let audiences = claims(|c| c["aud"] = json!(["other", AUDIENCE]));
        assert_eq!(
            identity.verify(&signed(&audiences)).as_deref(),
            Some("alice")
        );
        let refused = [
            ("expired", claims(|c| c["exp"] = json!(now() - 1))),
            ("wrong audience", claims(|c| c["aud"] = json!("other"))),
            ("wrong issuer", claims(|c| c["iss"] = json!("other"))),
            (
                "no exp",
                claims(|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            ),
            (
                "no aud",
                claims(|c| {
                    c.as_object_mut().unwrap().remove("aud");
                }),
            ),
            (
                "no iss",
                claims(|c| {
                    c.as_object_mut().unwrap().remove("iss");
                }),
            ),
            (
                "no sub",
                claims(|c| {
                    c.as_object_mut().unwrap().remove("sub");
                }),
            ),
        ];
        for (what, claims) in refused {
            assert_eq!(identity.verify(&signed(&claims)), None, "{what}");
        }
    }

    #[test]
    fn signatures_are_checked() {
        let token = identity().issue("alice").unwrap();
        let other = Identity::new("another secret").unwrap();
        assert_eq!(other.verify(&token), None, "another secret");
        assert_eq!(
            other.verify(&other.issue("bob").unwrap()).as_deref(),
            Some("bob")
        );
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        let forged = format!("{signed}.{flipped}{}", &signature[1..]);
        assert_eq!(identity().verify(&forged), None, "bad signature");
        // alg "none" and an HS256 token naming a key id are refused.
        let unsigned = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            signed.split_once('.').unwrap().1
        );
        assert_eq!(identity().verify(&unsigned), None, "alg none");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("k1".to_owned());
        let key = jsonwebtoken::EncodingKey::from_secret(DEFAULT_SECRET.as_bytes()).unwrap();
        let with_kid = jsonwebtoken::encode(&header, &claims(|_| {}), &key).unwrap();
        assert_eq!(identity().verify(&with_kid), None, "HS256 with a kid");
    }

    #[test]
    fn an_rs256_token_needs_a_key_of_the_jwks() {
        let keys: JwkSet = serde_json::from_value(json!({ "keys": [
            { "kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB" }
        ]}))
        .unwrap();
        let identity = identity().with_jwks(&keys).unwrap();
        // An RS256 header over claims signed with HMAC: no key of the JWKS verifies it.
        let token = signed(&claims(|_| {}));
        let (_, rest) = token.split_once('.').unwrap();
        for header in [
            json!({ "alg": "RS256", "typ": "JWT", "kid": "k1" }),
            json!({ "alg": "RS256", "typ": "JWT", "kid": "unknown" }),
            json!({ "alg": "RS256", "typ": "JWT" }),
        ] {
            let header = base64_url(&header.to_string());
            assert_eq!(
                identity.verify(&format!("{header}.{rest}")),
                None,
                "{header}"
            );
        }
    }

    fn base64_url(text: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    #[test]
    fn a_jwks_of_other_keys_is_refused() {
        let refused = [
            json!({ "kty": "RSA", "n": "sXch", "e": "AQAB" }),
            json!({ "kty": "RSA", "kid": "k1", "alg": "RS512", "n": "sXch", "e": "AQAB" }),
            json!({ "kty": "RSA", "kid": "k1", "use": "enc", "n": "sXch", "e": "AQAB" }),
            json!({ "kty": "oct", "kid": "k1", "k": "c2VjcmV0" }),
        ];
        for key in refused {
            let keys: JwkSet = serde_json::from_value(json!({ "keys": [key] })).unwrap();
            assert!(identity().with_jwks(&keys).is_err(), "{key}");
        }
        let twice = json!({ "kty": "RSA", "kid": "k1", "n": "sXch", "e": "AQAB" });
        let keys: JwkSet = serde_json::from_value(json!({ "keys": [twice, twice] })).unwrap();
        assert!(identity().with_jwks(&keys).is_err(), "the same kid twice");
        let missing = std::path::Path::new("/nonexistent/jwks.json");
        assert!(identity().with_jwks_file(missing).is_err());
    }

    #[test]
    fn a_token_that_passes_names_the_user() {
        let identity = identity();
        let token = identity.issue("bob").unwrap();
        assert_eq!(identity.user_of_token(Some(&token)), Some(User::new("bob")));
        assert_eq!(identity.user_of_token(Some("forged")), None);
        assert_eq!(identity.user_of_token(None), None);
        assert!(Identity::new("").is_err(), "an empty secret");
    }
}
