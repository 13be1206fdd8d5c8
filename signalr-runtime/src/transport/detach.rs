//! Copies a request's URI and headers out of the HTTP server's read buffer, without the headers
//! that only concern the transport's own setup.
//!
//! hyper parses a request without copying: every header value and the URI are slices of the
//! connection's read buffer (16 KiB by then). A connection keeps the request that opened its
//! transport for its whole life (a WebSocket's upgrade, the first Long Polling poll, the SSE
//! request), so those slices would keep the whole buffer alive: more than half of an idle
//! connection's memory. Copies of the few hundred bytes actually used let it go.

use axum::http::header::{
    CONNECTION, HeaderName, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use axum::http::{Extensions, HeaderMap, HeaderValue, Uri};

use crate::request::Request;

/// The same request, owning its bytes, without the transport's headers (see
/// [`is_transport_header`]).
pub(crate) fn detach(request: Request) -> Box<Request> {
    Box::new(Request {
        uri: detach_uri(request.uri),
        headers: detach_headers(&request.headers),
        extensions: detach_extensions(request.extensions),
        user: request.user,
    })
}

/// No map at all when nothing is left in it (hyper makes one for the upgrade it hands over,
/// which the WebSocket transport has taken out by now; axum's route parameters, when present,
/// keep it).
fn detach_extensions(extensions: Extensions) -> Extensions {
    if extensions.is_empty() {
        Extensions::new()
    } else {
        extensions
    }
}

fn detach_uri(uri: Uri) -> Uri {
    // Parsing the text of a URI that was valid gives it back, in freshly allocated bytes.
    uri.to_string().parse().unwrap_or(uri)
}

/// Headers about the HTTP connection and the WebSocket handshake, not about the client: done
/// with once the transport is open, and not kept (a HeaderMap entry costs about 100 bytes, and
/// these were most of what a WebSocket client sends).
const TRANSPORT_HEADERS: [HeaderName; 5] = [
    CONNECTION,
    UPGRADE,
    SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_VERSION,
    SEC_WEBSOCKET_EXTENSIONS,
];

/// Whether `name` is one of the headers about the HTTP connection and the WebSocket handshake
/// that a connection does not keep.
pub(crate) fn is_transport_header(name: &HeaderName) -> bool {
    TRANSPORT_HEADERS.contains(name)
}

fn detach_headers(headers: &HeaderMap) -> HeaderMap {
    let kept = |name: &HeaderName| !is_transport_header(name);
    let mut copy = HeaderMap::with_capacity(headers.keys().filter(|name| kept(name)).count());
    for (name, value) in headers.iter().filter(|(name, _)| kept(name)) {
        // Only values need copying: a name is never a slice of the buffer (standard ones are
        // static, and `http` copies the others when it parses them).
        if let Ok(mut copied) = HeaderValue::from_bytes(value.as_bytes()) {
            copied.set_sensitive(value.is_sensitive());
            copy.append(name.clone(), copied);
        }
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderName;

    #[test]
    fn a_parsed_header_name_owns_its_bytes() {
        // What `detach_headers` relies on to clone names instead of copying them.
        let buffer = bytes::Bytes::from_static(b"x-custom-name");
        let name = HeaderName::from_bytes(&buffer).unwrap();
        let range = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
        assert!(!range.contains(&(name.as_str().as_ptr() as usize)));
    }

    #[test]
    fn the_handshake_headers_are_not_kept() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", "localhost"),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", "13"),
            ("sec-websocket-extensions", "permessage-deflate"),
            ("user-agent", "test"),
        ] {
            headers.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let detached = detach_headers(&headers);
        let names: Vec<&str> = detached.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["host", "user-agent"]);
    }

    #[test]
    fn a_detached_request_is_equal_and_shares_no_bytes() {
        let buffer = bytes::Bytes::from_static(b"/hub?id=abc x-custom secret");
        let uri = Uri::from_maybe_shared(buffer.slice(0..11)).unwrap();
        let mut headers = HeaderMap::new();
        headers.append(
            HeaderName::from_static("x-custom"),
            HeaderValue::from_maybe_shared(buffer.slice(19..)).unwrap(),
        );
        headers.append("x-custom", HeaderValue::from_static("second"));
        let request = Request {
            uri: uri.clone(),
            headers: headers.clone(),
            extensions: Default::default(),
            user: None,
        };
        let detached = detach(request);
        assert_eq!(detached.uri, uri);
        assert_eq!(detached.headers, headers);
        let value = detached.headers.get("x-custom").unwrap().as_bytes();
        let range = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
        assert!(!range.contains(&(value.as_ptr() as usize)));
    }
}
