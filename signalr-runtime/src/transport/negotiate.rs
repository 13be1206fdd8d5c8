//! `POST {hub}/negotiate`: the connection id, the secret token, and the transports on offer.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::Transport;
use super::http::HttpConnection;
use super::query::query_param;
use super::websocket::Reattach;
use crate::connection_id::{ConnectionId, random_tokens};
use crate::protocol::{Protocol, TransferFormat};

/// The newest negotiate version this server speaks.
const NEWEST_VERSION: u32 = 1;

/// Connections that negotiated, by the token the client will present.
#[derive(Debug, Default)]
pub(crate) struct Negotiated {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Tokens in the order they were created, for expiring them without scanning every entry.
    created: VecDeque<(Instant, String)>,
}

#[derive(Debug)]
struct Entry {
    id: ConnectionId,
    /// The transport serving the connection, once one started.
    binding: Option<Binding>,
    /// Messages POSTed before the first poll (some clients send their handshake first); they are
    /// handed to the transport when it starts.
    early: Vec<Bytes>,
    /// Negotiated with stateful reconnect (the client asked, the endpoint allows it).
    stateful: bool,
    /// The id of the user that negotiated, whose requests alone may use the token.
    user: Option<String>,
}

/// How many early POST bodies a connection keeps before refusing more.
pub(crate) const EARLY_BODIES: usize = 16;

/// How many bytes of early POST bodies a connection keeps (ASP.NET Core's default application
/// buffer): a handshake and a few messages, not a way to park data on the server.
const EARLY_BYTES: usize = 64 * 1024;

/// The transport a negotiated connection is bound to, for its whole life.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// A WebSocket; nothing else may use the token, but with stateful reconnect on the client's
    /// next WebSocket takes the place of one that dropped.
    WebSocket(Option<Arc<Reattach>>),
    /// Server-Sent Events or Long Polling, with the state their requests share.
    Http(Arc<HttpConnection>),
}

impl Binding {
    /// The transport of this binding.
    pub(crate) fn kind(&self) -> Transport {
        match self {
            Binding::WebSocket(_) => Transport::WebSockets,
            Binding::Http(connection) => connection.kind,
        }
    }
}

impl State {
    /// Forgets connections that negotiated but did not connect within `expiry`.
    fn expire(&mut self, now: Instant, expiry: Duration) {
        while let Some((created, _)) = self.created.front() {
            if now.duration_since(*created) < expiry {
                break;
            }
            let expired = self.created.pop_front().map(|(_, token)| token);
            if let Some(token) = expired.filter(|token| {
                self.entries
                    .get(token)
                    .is_some_and(|entry| entry.binding.is_none())
            }) && self.entries.remove(&token).is_some()
            {
                crate::stats::token(false);
            }
        }
    }
}

/// Why a token could not start a transport.
#[derive(Debug, Clone)]
pub(crate) enum ClaimError {
    /// No connection has that token (never negotiated, expired, or ended).
    Unknown,
    /// The connection already has a transport: this one.
    Bound(Binding),
}

impl Negotiated {
    /// Records a new connection.
    fn create(
        &self,
        version: u32,
        stateful: bool,
        expiry: Duration,
        user: Option<String>,
    ) -> Option<(ConnectionId, String)> {
        // Version 0 clients present the id itself; version 1 clients a separate secret.
        let (id, token) = if version == 0 {
            let id = ConnectionId::generate()?;
            let token = id.to_string();
            (id, token)
        } else {
            let [id, token] = random_tokens::<2>()?;
            (ConnectionId::from(id.as_str()), token)
        };
        let now = Instant::now();
        let mut state = self.state.lock().ok()?;
        state.expire(now, expiry);
        let entry = Entry {
            id: id.clone(),
            binding: None,
            early: Vec::new(),
            stateful,
            user,
        };
        if state.entries.insert(token.clone(), entry).is_none() {
            crate::stats::token(true);
        }
        state.created.push_back((now, token.clone()));
        Some((id, token))
    }

    /// Binds a transport to the connection holding `token`, unless it expired unused or
    /// already has one. `binding` is told the early bodies, and whether the connection
    /// negotiated stateful reconnect.
    pub(crate) fn claim(
        &self,
        token: &str,
        expiry: Duration,
        binding: impl FnOnce(&ConnectionId, Vec<Bytes>, bool) -> Binding,
    ) -> Result<(ConnectionId, Binding), ClaimError> {
        let mut state = self.state.lock().map_err(|_| ClaimError::Unknown)?;
        state.expire(Instant::now(), expiry);
        let entry = state.entries.get_mut(token).ok_or(ClaimError::Unknown)?;
        if let Some(bound) = &entry.binding {
            return Err(ClaimError::Bound(bound.clone()));
        }
        // Made while the state is locked: no POST can see the new transport before the early
        // bodies are in it, so the order of the client's messages holds.
        let bound = binding(&entry.id, std::mem::take(&mut entry.early), entry.stateful);
        entry.binding = Some(bound.clone());
        Ok((entry.id.clone(), bound))
    }

    /// Keeps a body POSTed before any transport started. Answers where the body should go
    /// instead when a transport started meanwhile: `Err(Some(binding))`; `Err(None)` when the
    /// token is unknown (or expired), or keeps [`EARLY_BODIES`] bodies or 64 KiB already.
    pub(crate) fn stash(
        &self,
        token: &str,
        body: Bytes,
        expiry: Duration,
    ) -> Result<(), Option<Binding>> {
        let mut state = self.state.lock().map_err(|_| None)?;
        state.expire(Instant::now(), expiry);
        let entry = state.entries.get_mut(token).ok_or(None)?;
        if let Some(binding) = &entry.binding {
            return Err(Some(binding.clone()));
        }
        let kept: usize = entry.early.iter().map(Bytes::len).sum();
        if entry.early.len() >= EARLY_BODIES || kept + body.len() > EARLY_BYTES {
            return Err(None);
        }
        entry.early.push(body);
        Ok(())
    }

    /// The transport bound to `token`, if the token is known; `None` inside when no transport
    /// started yet.
    pub(crate) fn binding(&self, token: &str) -> Result<Option<Binding>, ClaimError> {
        let state = self.state.lock().map_err(|_| ClaimError::Unknown)?;
        let entry = state.entries.get(token).ok_or(ClaimError::Unknown)?;
        Ok(entry.binding.clone())
    }

    /// Whether a request by user `user` may use `token`: the user that negotiated it, or
    /// anyone when the token is unknown (the transport answers that).
    pub(crate) fn belongs_to(&self, token: &str, user: Option<&str>) -> bool {
        let Ok(state) = self.state.lock() else {
            return false;
        };
        state
            .entries
            .get(token)
            .is_none_or(|entry| entry.user.as_deref() == user)
    }

    /// Forgets the connection holding `token`: its transport has ended.
    pub(crate) fn release(&self, token: &str) {
        if let Ok(mut state) = self.state.lock()
            && state.entries.remove(token).is_some()
        {
            crate::stats::token(false);
        }
    }
}

/// What the endpoint offers in negotiate.
#[derive(Debug, Clone)]
pub(crate) struct Offer<'a> {
    pub(crate) transports: &'a [Transport],
    /// `HubOptions::allow_stateful_reconnects`.
    pub(crate) stateful_reconnect: bool,
    /// How long a negotiated connection waits for its transport.
    pub(crate) expiry: Duration,
    /// The id of the user negotiating, if authenticated.
    pub(crate) user: Option<String>,
}

/// Answers a negotiate request.
pub(crate) fn negotiate(
    negotiated: &Negotiated,
    query: Option<&str>,
    offer: Offer<'_>,
) -> Response {
    let version = match requested_version(query) {
        Ok(version) => version.min(NEWEST_VERSION),
        Err(error) => return json(error_body(&error)),
    };
    // Only when both sides want it: the official clients refuse a server that turns it on
    // unasked ("Client didn't negotiate Stateful Reconnect but the server did.").
    let stateful = offer.stateful_reconnect
        && query_param(query, "useStatefulReconnect")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let Some((id, token)) = negotiated.create(version, stateful, offer.expiry, offer.user) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "No connection id could be created.",
        )
            .into_response();
    };
    json(success_body(
        version,
        stateful,
        &id,
        &token,
        offer.transports,
    ))
}

/// A negotiate answer that sends the client elsewhere: the official clients negotiate again at
/// `url`, with `access_token` as their bearer token when one is given. Serve it from any route
/// the client negotiates with (such as a load balancer's `/negotiate`).
///
/// ```
/// use axum::response::IntoResponse;
/// use signalr_runtime::NegotiateRedirect;
///
/// let redirect = NegotiateRedirect::new("https://hub.example/chat").access_token("secret");
/// let response = redirect.into_response();
/// assert_eq!(response.status(), 200);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct NegotiateRedirect {
    url: String,
    access_token: Option<String>,
}

impl NegotiateRedirect {
    /// Redirects to the hub at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        NegotiateRedirect {
            url: url.into(),
            access_token: None,
        }
    }

    /// The bearer token the client uses from now on.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    fn body(&self) -> String {
        let mut body = String::from("{\"url\":");
        push_json_string(&mut body, &self.url);
        if let Some(token) = &self.access_token {
            body.push_str(",\"accessToken\":");
            push_json_string(&mut body, token);
        }
        body.push('}');
        body
    }
}

impl IntoResponse for NegotiateRedirect {
    fn into_response(self) -> Response {
        json(self.body())
    }
}

/// The version the client asked for; a missing parameter means version 0.
fn requested_version(query: Option<&str>) -> Result<u32, String> {
    let Some(text) = query_param(query, "negotiateVersion") else {
        return Ok(0);
    };
    // ASP.NET Core parses a 32-bit integer; anything else is "non-integer" to it.
    let requested: i32 = text
        .parse()
        .map_err(|_| "The client requested a non-integer protocol version.".to_owned())?;
    u32::try_from(requested).map_err(|_| {
        format!("The client requested version '{requested}', but the server does not support this version.")
    })
}

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_body(error: &str) -> String {
    let mut body = String::from("{\"error\":");
    push_json_string(&mut body, error);
    body.push('}');
    body
}

/// The success body, in ASP.NET Core's field order. Written piece by piece, without `format!`:
/// every connection is negotiated once, and this is most of what negotiate costs.
fn success_body(
    version: u32,
    stateful: bool,
    id: &ConnectionId,
    token: &str,
    transports: &[Transport],
) -> String {
    let mut body = String::with_capacity(320);
    body.push('{');
    if stateful {
        body.push_str("\"useStatefulReconnect\":true,");
    }
    body.push_str("\"negotiateVersion\":");
    let _ = write!(body, "{version}");
    body.push_str(",\"connectionId\":");
    push_json_string(&mut body, id.as_str());
    if version > 0 {
        body.push_str(",\"connectionToken\":");
        push_json_string(&mut body, token);
    }
    body.push_str(",\"availableTransports\":[");
    for (index, transport) in transports.iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str("{\"transport\":\"");
        body.push_str(transport.name());
        body.push_str("\",\"transferFormats\":[");
        for (index, format) in transfer_formats(*transport).enumerate() {
            if index > 0 {
                body.push(',');
            }
            body.push('"');
            body.push_str(format.name());
            body.push('"');
        }
        body.push_str("]}");
    }
    body.push_str("]}");
    body
}

/// The formats a transport can carry for the protocols this build has.
fn transfer_formats(transport: Transport) -> impl Iterator<Item = TransferFormat> {
    [TransferFormat::Text, TransferFormat::Binary]
        .into_iter()
        .filter(move |format| {
            let needed = Protocol::ALL
                .iter()
                .any(|protocol| protocol.transfer_format() == *format);
            needed && transport.carries(*format)
        })
}

/// `text` as a JSON string. Ids and tokens are base64url, which needs no escaping.
fn push_json_string(out: &mut String, text: &str) {
    let plain = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_';
    if text.bytes().all(plain) {
        out.push('"');
        out.push_str(text);
        out.push('"');
        return;
    }
    match serde_json::to_string(text) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(requested_version(None), Ok(0));
        assert_eq!(requested_version(Some("negotiateVersion=1")), Ok(1));
        assert_eq!(requested_version(Some("NEGOTIATEVERSION=7")), Ok(7));
        assert_eq!(
            requested_version(Some("negotiateVersion=x")),
            Err("The client requested a non-integer protocol version.".to_owned())
        );
        assert_eq!(
            requested_version(Some("negotiateVersion=4294967296")),
            Err("The client requested a non-integer protocol version.".to_owned())
        );
        assert_eq!(
            requested_version(Some("negotiateVersion=-1")),
            Err(
                "The client requested version '-1', but the server does not support this version."
                    .to_owned()
            )
        );
    }

    #[test]
    fn v1_body_has_a_token_and_v0_does_not() {
        let id = ConnectionId::from("abc");
        let v1 = success_body(1, false, &id, "secret", &[Transport::WebSockets]);
        assert_eq!(
            v1,
            r#"{"negotiateVersion":1,"connectionId":"abc","connectionToken":"secret","availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}"#
        );
        let v0 = success_body(0, false, &id, "abc", &[Transport::WebSockets]);
        assert!(!v0.contains("connectionToken"));
        let stateful = success_body(1, true, &id, "secret", &[]);
        assert_eq!(
            stateful,
            r#"{"useStatefulReconnect":true,"negotiateVersion":1,"connectionId":"abc","connectionToken":"secret","availableTransports":[]}"#
        );
    }

    #[test]
    fn redirect_bodies() {
        assert_eq!(
            NegotiateRedirect::new("http://a/b").body(),
            r#"{"url":"http://a/b"}"#
        );
        assert_eq!(
            NegotiateRedirect::new("u").access_token("t\"").body(),
            r#"{"url":"u","accessToken":"t\""}"#
        );
    }

    #[test]
    fn tokens_are_claimed_once() {
        let negotiated = Negotiated::default();
        let expiry = Duration::from_secs(15);
        let (id, token) = negotiated.create(1, false, expiry, None).unwrap();
        assert_ne!(id.as_str(), token);
        let ws = |_: &ConnectionId, _: Vec<Bytes>, _| Binding::WebSocket(None);
        assert!(matches!(
            negotiated.claim(id.as_str(), expiry, ws),
            Err(ClaimError::Unknown)
        ));
        assert!(matches!(negotiated.claim(&token, expiry, ws), Ok((claimed, _)) if claimed == id));
        assert!(matches!(
            negotiated.claim(&token, expiry, ws),
            Err(ClaimError::Bound(Binding::WebSocket(None)))
        ));
        negotiated.release(&token);
        assert!(matches!(
            negotiated.claim(&token, expiry, ws),
            Err(ClaimError::Unknown)
        ));
    }

    #[test]
    fn unused_tokens_expire() {
        let negotiated = Negotiated::default();
        let (_, token) = negotiated
            .create(1, false, Duration::from_secs(15), None)
            .unwrap();
        let claimed = negotiated.claim(&token, Duration::ZERO, |_, _, _| Binding::WebSocket(None));
        assert!(matches!(claimed, Err(ClaimError::Unknown)));
    }
}
