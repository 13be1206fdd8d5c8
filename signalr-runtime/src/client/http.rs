//! One HTTP/1.1 request over a fresh TCP connection, with hyper's client. Negotiate and Long
//! Polling make few requests, each possibly held open for a long time by the server, so a
//! connection pool would buy little.

use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use bytes::Bytes;
use hyper_util::rt::TokioIo;

use super::ClientError;
use super::url::HubUrl;

/// The largest response body read (negotiate answers and polls are far smaller).
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

/// Request headers: name and value.
pub(crate) type HeaderList = Vec<(header::HeaderName, String)>;

/// `extra` plus the bearer token, if any.
pub(crate) fn with_token(
    extra: &[(header::HeaderName, String)],
    token: Option<&str>,
) -> HeaderList {
    let mut headers = extra.to_vec();
    if let Some(token) = token {
        headers.push((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    headers
}

/// How long one request may take, a Long Polling poll included (servers hold a poll for
/// up to 100 seconds, ASP.NET Core's default being 90): a server that never answers is lost.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A response: status and whole body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl Response {
    /// The body as text, for error messages.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `method url` with `body` and reads the whole response.
pub(crate) async fn request(
    method: Method,
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
) -> Result<Response, ClientError> {
    let whole = async {
        let (status, body) = open(method, url, headers, body).await?;
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|error| ClientError::Transport(error.to_string()))?;
        Ok(Response { status, body })
    };
    tokio::time::timeout(REQUEST_TIMEOUT, whole)
        .await
        .unwrap_or_else(|_| {
            Err(ClientError::Transport(format!(
                "{url}: no response within {} seconds",
                REQUEST_TIMEOUT.as_secs()
            )))
        })
}

/// Sends `method url` with `body`; returns the status and the body still to be read.
pub(crate) async fn open(
    method: Method,
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
) -> Result<(StatusCode, axum::body::Body), ClientError> {
    if url.is_tls() {
        return Err(ClientError::InvalidUrl(format!(
            "{url}: https is not supported by this client"
        )));
    }
    let stream = tokio::net::TcpStream::connect(url.host_port())
        .await
        .map_err(|error| ClientError::Transport(format!("connecting to {url}: {error}")))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| ClientError::Transport(error.to_string()))?;
    // The connection task ends with the response (or the error the request reports anyway).
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut builder = Request::builder()
        .method(method)
        .uri(url.path_and_query())
        .header(header::HOST, url.authority());
    for (name, value) in headers {
        let value = HeaderValue::from_str(value)
            .map_err(|_| ClientError::InvalidHeader(format!("the value of {name} is not valid")))?;
        builder = builder.header(name, value);
    }
    let request = builder
        .body(axum::body::Body::from(body))
        .map_err(|error| ClientError::InvalidUrl(error.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| ClientError::Transport(error.to_string()))?;
    let status = response.status();
    Ok((status, axum::body::Body::new(response.into_body())))
}
