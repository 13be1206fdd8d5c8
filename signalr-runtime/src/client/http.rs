//! HTTP/1.1 with hyper's client: one request over a fresh TCP connection (negotiate, the first
//! Server-Sent Events GET), or a [`Link`], a connection kept alive for the many requests of one
//! transport (Long Polling's polls; the POSTs of both HTTP transports). A full pool would buy
//! little more: a transport's polls and POSTs each go one at a time, so two links serve them.

use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use bytes::Bytes;
use hyper_util::rt::TokioIo;

use super::ClientError;
use super::net::Net;
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

/// Sends `method url` with `body` over a fresh connection and reads the whole response.
pub(crate) async fn request(
    method: Method,
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
    net: &Net,
) -> Result<Response, ClientError> {
    Link::new(net.clone())
        .request(method, url, headers, body)
        .await
}

type Sender = hyper::client::conn::http1::SendRequest<axum::body::Body>;

/// An HTTP/1.1 connection kept alive between requests, opened on first use and again when the
/// server has closed it.
#[derive(Debug)]
pub(crate) struct Link {
    sender: Option<Sender>,
    /// The connection's cookies: sent with every request, kept from every response.
    net: Net,
}

impl Link {
    pub(crate) fn new(net: Net) -> Self {
        Link { sender: None, net }
    }

    /// Sends `method url` with `body` and reads the whole response; the connection is kept for
    /// the next request.
    pub(crate) async fn request(
        &mut self,
        method: Method,
        url: &HubUrl,
        headers: &[(header::HeaderName, String)],
        body: Bytes,
    ) -> Result<Response, ClientError> {
        let whole = async {
            let mut reused = self.sender.take();
            if let Some(sender) = &mut reused
                && sender.ready().await.is_err()
            {
                reused = None;
            }
            let was_reused = reused.is_some();
            let mut sender = match reused {
                Some(sender) => sender,
                None => connect(url, &self.net).await?,
            };
            let request = build(method.clone(), url, headers, body.clone(), &self.net)?;
            let response = match sender.send_request(request).await {
                Ok(response) => response,
                // The server closed a kept-alive connection before taking the request: nothing
                // was sent, so it goes again over a new one.
                Err(error) if was_reused && error.is_canceled() => {
                    sender = connect(url, &self.net).await?;
                    let request = build(method, url, headers, body, &self.net)?;
                    sender
                        .send_request(request)
                        .await
                        .map_err(|error| ClientError::Transport(error.to_string()))?
                }
                Err(error) => return Err(ClientError::Transport(error.to_string())),
            };
            let status = response.status();
            self.net.keep(url, response.headers());
            let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), MAX_BODY)
                .await
                .map_err(|error| ClientError::Transport(error.to_string()))?;
            self.sender = Some(sender);
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
}

/// Opens an HTTP/1.1 connection to `url`'s server.
async fn connect(url: &HubUrl, net: &Net) -> Result<Sender, ClientError> {
    let stream = net.connect(url).await?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| ClientError::Transport(error.to_string()))?;
    // The connection task ends when the server or the last sender closes it.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends `method url` with `body` over a fresh connection; returns the status and the body
/// still to be read (a Server-Sent Events stream).
pub(crate) async fn open(
    method: Method,
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
    net: &Net,
) -> Result<(StatusCode, axum::body::Body), ClientError> {
    let mut sender = connect(url, net).await?;
    let request = build(method, url, headers, body, net)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| ClientError::Transport(error.to_string()))?;
    let status = response.status();
    net.keep(url, response.headers());
    Ok((status, axum::body::Body::new(response.into_body())))
}

/// The request `method url` with `headers`, the net's cookies and `body`.
fn build(
    method: Method,
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
    net: &Net,
) -> Result<Request<axum::body::Body>, ClientError> {
    let mut builder = Request::builder()
        .method(method)
        .uri(url.path_and_query())
        .header(header::HOST, url.authority());
    for (name, value) in headers {
        let value = HeaderValue::from_str(value)
            .map_err(|_| ClientError::InvalidHeader(format!("the value of {name} is not valid")))?;
        builder = builder.header(name, value);
    }
    if let Some(cookies) = net.header_for(url) {
        builder = builder.header(header::COOKIE, cookies);
    }
    builder
        .body(axum::body::Body::from(body))
        .map_err(|error| ClientError::InvalidUrl(error.to_string()))
}
