//! The few URL manipulations a client needs: the negotiate URL, query parameters, and the
//! WebSocket form of an HTTP URL. Only `http` and `ws` (and their TLS forms, which fail later)
//! are accepted.

use axum::http::Uri;

use super::ClientError;

/// An absolute URL that was checked once: scheme, authority and path with query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HubUrl {
    /// `http` or `https` (WebSocket schemes are normalized to these).
    scheme: String,
    /// `host:port` or `host`.
    authority: String,
    /// The path, without the query.
    path: String,
    /// The query, without `?`; may be empty.
    query: String,
}

impl HubUrl {
    /// Parses and checks `url`.
    pub(crate) fn parse(url: &str) -> Result<Self, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|error| ClientError::InvalidUrl(format!("{url}: {error}")))?;
        let scheme = match uri.scheme_str() {
            Some("http" | "ws") => "http",
            Some("https" | "wss") => "https",
            _ => {
                return Err(ClientError::InvalidUrl(format!(
                    "{url}: the scheme must be http or ws"
                )));
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| ClientError::InvalidUrl(format!("{url}: no host")))?;
        Ok(HubUrl {
            scheme: scheme.to_owned(),
            authority: authority.as_str().to_owned(),
            path: uri.path().trim_end_matches('/').to_owned(),
            query: uri.query().unwrap_or_default().to_owned(),
        })
    }

    /// A URL to be replaced before use.
    pub(crate) fn placeholder() -> HubUrl {
        HubUrl {
            scheme: "http".to_owned(),
            authority: "localhost".to_owned(),
            path: String::new(),
            query: String::new(),
        }
    }

    /// `host:port`, with the scheme's default port when the URL names none.
    pub(crate) fn host_port(&self) -> String {
        if self.authority.rsplit_once(':').is_some_and(|(_, port)| {
            !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit())
        }) {
            return self.authority.clone();
        }
        let port = if self.scheme == "https" { 443 } else { 80 };
        format!("{}:{port}", self.authority)
    }

    /// The host, without the port (and without the brackets of an IPv6 address): the name TLS
    /// checks the certificate against.
    #[cfg(feature = "tls")]
    pub(crate) fn host(&self) -> &str {
        let host = match self.authority.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                host
            }
            _ => &self.authority,
        };
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The `Host` header's value.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// Whether the URL needs TLS (feature `tls`).
    pub(crate) fn is_tls(&self) -> bool {
        self.scheme == "https"
    }

    /// The path and query, as an HTTP request line wants them.
    pub(crate) fn path_and_query(&self) -> String {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        if self.query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", self.query)
        }
    }

    /// The negotiate URL: `/negotiate` appended to the path, `negotiateVersion=1` to the query
    /// (and `useStatefulReconnect=true` when `stateful`).
    pub(crate) fn negotiate(&self, stateful: bool) -> HubUrl {
        let url = HubUrl {
            path: format!("{}/negotiate", self.path),
            ..self.clone()
        }
        .with_query("negotiateVersion", "1");
        if stateful {
            url.with_query("useStatefulReconnect", "true")
        } else {
            url
        }
    }

    /// The URL with `key=value` appended to its query (both percent-encoded).
    pub(crate) fn with_query(&self, key: &str, value: &str) -> HubUrl {
        let mut query = self.query.clone();
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&encode(key));
        query.push('=');
        query.push_str(&encode(value));
        HubUrl {
            query,
            ..self.clone()
        }
    }

    /// The same URL with a `ws`/`wss` scheme.
    pub(crate) fn websocket(&self) -> String {
        let scheme = if self.is_tls() { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.authority, self.path_and_query())
    }
}

impl std::fmt::Display for HubUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme,
            self.authority,
            self.path_and_query()
        )
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiate_and_query() {
        let url = HubUrl::parse("http://localhost:5000/chat/?a=1").unwrap();
        assert_eq!(
            url.negotiate(false).to_string(),
            "http://localhost:5000/chat/negotiate?a=1&negotiateVersion=1"
        );
        assert_eq!(
            url.with_query("id", "a b+/").websocket(),
            "ws://localhost:5000/chat?a=1&id=a%20b%2B%2F"
        );
        assert_eq!(url.host_port(), "localhost:5000");
        assert_eq!(
            HubUrl::parse("ws://example.com/x").unwrap().host_port(),
            "example.com:80"
        );
        assert!(HubUrl::parse("ftp://example.com/x").is_err());
        assert!(HubUrl::parse("/relative").is_err());
    }
}
