//! The HTTP side of a WebSocket: recognizing an upgrade request and answering it with 101.

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The parts of a request that asked for a WebSocket.
#[derive(Debug)]
pub(crate) struct UpgradeRequest {
    key: String,
}

impl UpgradeRequest {
    /// Recognizes a WebSocket upgrade (RFC 6455 §4.2.1): `None` for any other request, an
    /// error text for an upgrade without a usable `Sec-WebSocket-Key` (a 400, not a poll).
    pub(crate) fn from_request(
        method: &Method,
        headers: &HeaderMap,
    ) -> Option<Result<Self, &'static str>> {
        let has_token = |name: header::HeaderName, token: &str| {
            headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .any(|value| {
                    value
                        .split(',')
                        .any(|part| part.trim().eq_ignore_ascii_case(token))
                })
        };
        let upgrade = method == Method::GET
            && has_token(header::UPGRADE, "websocket")
            && has_token(header::CONNECTION, "upgrade");
        if !upgrade {
            return None;
        }
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .and_then(|key| key.to_str().ok())
            .filter(|key| !key.trim().is_empty());
        Some(match key {
            Some(key) => Ok(UpgradeRequest {
                key: key.to_owned(),
            }),
            None => Err("Missing Sec-WebSocket-Key header"),
        })
    }

    /// The 101 response that completes the handshake.
    pub(crate) fn accept(&self) -> Response {
        let accept = tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, "upgrade".to_owned()),
                (header::UPGRADE, "websocket".to_owned()),
                (header::SEC_WEBSOCKET_ACCEPT, accept),
            ],
        )
            .into_response()
    }
}

/// Whether the client speaks the one WebSocket version there is.
pub(crate) fn supported_version(headers: &HeaderMap) -> bool {
    headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|version| version == "13")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn recognizes_upgrades_however_the_tokens_are_written() {
        let upgrade = headers(&[
            ("upgrade", "WebSocket"),
            ("connection", "keep-alive, Upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ]);
        let request = UpgradeRequest::from_request(&Method::GET, &upgrade)
            .unwrap()
            .unwrap();
        let response = request.accept();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        // The example of RFC 6455 §1.3.
        assert_eq!(
            response.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert!(UpgradeRequest::from_request(&Method::POST, &upgrade).is_none());
        assert!(
            UpgradeRequest::from_request(&Method::GET, &headers(&[("upgrade", "websocket")]))
                .is_none()
        );
        let keyless = headers(&[("upgrade", "websocket"), ("connection", "Upgrade")]);
        assert!(matches!(
            UpgradeRequest::from_request(&Method::GET, &keyless),
            Some(Err(_))
        ));
    }
}
