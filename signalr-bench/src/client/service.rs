//! Connecting to the bench hub served through a SignalR service, as the official clients do:
//! the application server's negotiate answers with a redirect (the service's URL and a token),
//! the client negotiates again at the service with that token as its bearer token, and opens
//! its WebSocket there with the connection token it got and the access token in the query.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Proto;
use super::http::{self, Http};
use super::ws::{self, Rx, Tx};

/// How long the service may answer 503: its hub has no application server connected yet (a
/// started application server connects in the background).
const UNAVAILABLE_FOR: Duration = Duration::from_secs(10);

/// Where the application server's negotiate sends a client.
#[derive(Debug, Clone)]
pub(crate) struct Redirect {
    /// The service's address.
    addr: SocketAddr,
    /// The hub's path and query at the service: `/client/?hub=bench`.
    target: String,
    /// The bearer token for the service.
    token: String,
}

/// Negotiates at the bench hub of the application server at `app`, which must redirect.
pub(crate) async fn redirect(app: SocketAddr) -> Result<Redirect, String> {
    let mut http = Http::connect(app).await?;
    let (status, body) = http
        .request("POST", "/negotiate?negotiateVersion=1", "", b"")
        .await?;
    let body = String::from_utf8_lossy(&body);
    if status != 200 {
        return Err(format!("negotiate failed: {status} {body}"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("negotiate body: {e}: {body}"))?;
    let field = |name: &str| {
        json.get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("no {name} in the negotiate answer {body}"))
    };
    let url = field("url")?;
    let token = field("accessToken")?.to_owned();
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("the redirect is not to an http:// URL: {url}"))?;
    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr = host
        .parse()
        .map_err(|_| format!("the redirect's host is not an IP address and port: {url}"))?;
    let target = if target.is_empty() { "/" } else { target };
    Ok(Redirect {
        addr,
        target: target.to_owned(),
        token,
    })
}

/// Opens a connection to the bench hub at `app` through the service it redirects to, and
/// completes the SignalR handshake.
pub(crate) async fn connect(app: SocketAddr, proto: Proto) -> Result<(Tx, Rx), String> {
    let redirect = redirect(app).await?;
    let id = redirect.negotiate().await?;
    let separator = if redirect.target.contains('?') {
        '&'
    } else {
        '?'
    };
    let target = format!(
        "{}{separator}id={id}&access_token={}",
        redirect.target, redirect.token
    );
    ws::open_at(redirect.addr, &target, proto, 1).await
}

impl Redirect {
    /// Negotiates at the service, retrying while it answers 503; returns the connection token.
    async fn negotiate(&self) -> Result<String, String> {
        let (path, query) = self
            .target
            .split_once('?')
            .unwrap_or((self.target.as_str(), ""));
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("{query}&")
        };
        let path = format!(
            "{}/negotiate?{query}negotiateVersion=1",
            path.trim_end_matches('/')
        );
        let bearer = format!("Authorization: Bearer {}\r\n", self.token);
        let give_up = Instant::now() + UNAVAILABLE_FOR;
        let mut http = Http::connect_at(self.addr, "").await?;
        loop {
            let (status, body) = http.request("POST", &path, &bearer, b"").await?;
            let body = String::from_utf8_lossy(&body);
            match status {
                200 => return http::connection_token(&body),
                503 if Instant::now() < give_up => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                _ => return Err(format!("negotiate at the service failed: {status} {body}")),
            }
        }
    }
}
