//! Negotiate, version 1: `POST {url}/negotiate?negotiateVersion=1`, following redirects (a new
//! URL and access token) until the server names a connection and its transports.

use axum::http::{Method, StatusCode, header};
use bytes::Bytes;
use serde::Deserialize;

use super::ClientError;
use super::http;
use super::net::Net;
use super::url::HubUrl;
use crate::Transport;
use crate::protocol::TransferFormat;

/// ASP.NET Core clients give up after this many redirects.
const MAX_REDIRECTS: usize = 100;

/// The negotiate response, in whichever of its forms the server sent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NegotiateResponse {
    pub(crate) connection_id: Option<String>,
    pub(crate) connection_token: Option<String>,
    #[serde(default)]
    pub(crate) negotiate_version: u32,
    #[serde(default)]
    pub(crate) available_transports: Vec<AvailableTransport>,
    pub(crate) url: Option<String>,
    pub(crate) access_token: Option<String>,
    pub(crate) error: Option<String>,
    #[serde(default)]
    pub(crate) use_stateful_reconnect: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AvailableTransport {
    pub(crate) transport: String,
    #[serde(default)]
    pub(crate) transfer_formats: Vec<String>,
}

/// What negotiate settled: where to connect, as whom, and over which transports.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    /// The hub URL after redirects, with the connection's `id` query parameter.
    pub(crate) url: HubUrl,
    /// The access token to send, from a redirect or the token factory.
    pub(crate) access_token: Option<String>,
    /// The connection id the server reported.
    pub(crate) connection_id: Option<String>,
    /// Transports both sides support for the protocol, the server's preference first.
    pub(crate) transports: Vec<Transport>,
    /// Both sides agreed on stateful reconnect.
    pub(crate) stateful: bool,
}

/// Negotiates with `url`, sending `extra` headers and `access_token` as a bearer token.
pub(crate) async fn negotiate(
    url: &HubUrl,
    extra: &[(header::HeaderName, String)],
    mut access_token: Option<String>,
    allowed: &[Transport],
    format: TransferFormat,
    stateful: bool,
    net: &Net,
) -> Result<Negotiated, ClientError> {
    let mut url = url.clone();
    // The first request and up to MAX_REDIRECTS more.
    for _ in 0..=MAX_REDIRECTS {
        let headers = http::with_token(extra, access_token.as_deref());
        let response = http::request(
            Method::POST,
            &url.negotiate(stateful),
            &headers,
            Bytes::new(),
            net,
        )
        .await?;
        if response.status != StatusCode::OK {
            return Err(ClientError::Http {
                status: response.status.as_u16(),
                body: response.text(),
            });
        }
        let answer: NegotiateResponse = serde_json::from_slice(&response.body)
            .map_err(|error| ClientError::Negotiate(format!("invalid response: {error}")))?;
        if let Some(error) = answer.error {
            return Err(ClientError::Negotiate(error));
        }
        if answer.use_stateful_reconnect && !stateful {
            // The official clients' words.
            return Err(ClientError::Negotiate(
                "Client didn't negotiate Stateful Reconnect but the server did.".to_owned(),
            ));
        }
        if let Some(next) = answer.url {
            url = HubUrl::parse(&next)?;
            if answer.access_token.is_some() {
                access_token = answer.access_token;
            }
            continue;
        }
        let id = if answer.negotiate_version >= 1 {
            answer.connection_token
        } else {
            answer.connection_id.clone()
        }
        .ok_or_else(|| ClientError::Negotiate("the response names no connection".to_owned()))?;
        let transports = usable(&answer.available_transports, allowed, format);
        if transports.is_empty() {
            return Err(ClientError::NoTransport(format!(
                "the server offers none of {allowed:?} for {format:?}"
            )));
        }
        return Ok(Negotiated {
            url: url.with_query("id", &id),
            access_token,
            connection_id: answer.connection_id,
            transports,
            stateful: answer.use_stateful_reconnect,
        });
    }
    Err(ClientError::Negotiate(format!(
        "more than {MAX_REDIRECTS} redirects"
    )))
}

/// The server's transports this client allows and can use for `format`, in the server's order.
pub(crate) fn usable(
    offered: &[AvailableTransport],
    allowed: &[Transport],
    format: TransferFormat,
) -> Vec<Transport> {
    let format_name = format.name();
    offered
        .iter()
        .filter(|offer| {
            offer
                .transfer_formats
                .iter()
                .any(|name| name == format_name)
        })
        .filter_map(|offer| {
            allowed
                .iter()
                .copied()
                .find(|transport| transport.name() == offer.transport)
        })
        // Server-Sent Events carry text only.
        .filter(|transport| transport.carries(format))
        .collect()
}
