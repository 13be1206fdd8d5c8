//! The Long Polling transport: each GET returns what the server has for the client (200), or
//! says the connection is over (204); every message to the server is a POST; DELETE ends it.

use axum::http::{Method, StatusCode, header};
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ClientError;
use super::http;
use super::net::Net;
use super::url::HubUrl;

/// The sending half: POSTs to the connection's URL (Long Polling and Server-Sent Events).
#[derive(Debug)]
pub(crate) struct LpSink {
    url: HubUrl,
    headers: Vec<(header::HeaderName, String)>,
    /// Stops the poll loop when the client closes.
    polling: CancellationToken,
    /// Whether closing DELETEs the connection (Long Polling's way to end it; Server-Sent
    /// Events end when the GET is closed).
    delete_on_close: bool,
    /// The connection the POSTs (and the DELETE) go over, kept alive between them.
    link: http::Link,
}

/// The receiving half of the HTTP transports: what the poll loop (or the Server-Sent Events
/// reader) received.
#[derive(Debug)]
pub(crate) struct LpSource {
    polls: mpsc::Receiver<Result<Option<Bytes>, ClientError>>,
    /// Stops the task feeding `polls` when the connection is dropped without a close.
    _polling: tokio_util::sync::DropGuard,
}

/// Makes the first poll (which the server answers at once) and starts polling.
pub(crate) async fn connect(
    url: &HubUrl,
    headers: &[(header::HeaderName, String)],
    net: &Net,
) -> Result<(LpSink, LpSource), ClientError> {
    let headers = headers.to_vec();
    // Every poll goes over one kept-alive connection (one at a time, so one is enough).
    let mut link = http::Link::new(net.clone());
    let first = link
        .request(Method::GET, url, &headers, Bytes::new())
        .await?;
    if first.status != StatusCode::OK {
        return Err(ClientError::Http {
            status: first.status.as_u16(),
            body: first.text(),
        });
    }
    let polling = CancellationToken::new();
    let (tx, polls) = mpsc::channel(4);
    if !first.body.is_empty() && tx.send(Ok(Some(first.body))).await.is_err() {
        return Err(ClientError::ConnectionClosed);
    }
    tokio::spawn(poll_loop(
        link,
        url.clone(),
        headers.clone(),
        tx,
        polling.clone(),
    ));
    Ok((
        LpSink::new(url.clone(), headers, polling.clone(), true, net.clone()),
        LpSource::new(polls, polling.drop_guard()),
    ))
}

/// Polls until the server ends the connection, a poll fails, or the client closes.
async fn poll_loop(
    mut link: http::Link,
    url: HubUrl,
    headers: Vec<(header::HeaderName, String)>,
    tx: mpsc::Sender<Result<Option<Bytes>, ClientError>>,
    polling: CancellationToken,
) {
    loop {
        let poll = tokio::select! {
            () = polling.cancelled() => return,
            poll = link.request(Method::GET, &url, &headers, Bytes::new()) => poll,
        };
        let next = match poll {
            Ok(response) if response.status == StatusCode::OK => {
                if response.body.is_empty() {
                    continue;
                }
                Ok(Some(response.body))
            }
            Ok(response) if response.status == StatusCode::NO_CONTENT => Ok(None),
            Ok(response) => Err(ClientError::Http {
                status: response.status.as_u16(),
                body: response.text(),
            }),
            Err(error) => Err(error),
        };
        let last = !matches!(next, Ok(Some(_)));
        if tx.send(next).await.is_err() || last {
            return;
        }
    }
}

impl LpSink {
    pub(crate) fn new(
        url: HubUrl,
        headers: Vec<(header::HeaderName, String)>,
        polling: CancellationToken,
        delete_on_close: bool,
        net: Net,
    ) -> Self {
        LpSink {
            url,
            headers,
            polling,
            delete_on_close,
            link: http::Link::new(net),
        }
    }

    /// POSTs one message (or several, already framed).
    pub(crate) async fn send(&mut self, frame: Bytes) -> Result<(), ClientError> {
        let response = self
            .link
            .request(Method::POST, &self.url, &self.headers, frame)
            .await?;
        if response.status == StatusCode::OK {
            Ok(())
        } else {
            Err(ClientError::Http {
                status: response.status.as_u16(),
                body: response.text(),
            })
        }
    }

    /// Stops polling and DELETEs the connection, which the server treats as a normal close.
    pub(crate) async fn close(&mut self) {
        self.polling.cancel();
        if self.delete_on_close {
            let _ = self
                .link
                .request(Method::DELETE, &self.url, &self.headers, Bytes::new())
                .await;
        }
    }
}

impl LpSource {
    /// A source fed by a task that `guard` stops when the source is dropped.
    pub(crate) fn new(
        polls: mpsc::Receiver<Result<Option<Bytes>, ClientError>>,
        guard: tokio_util::sync::DropGuard,
    ) -> Self {
        LpSource {
            polls,
            _polling: guard,
        }
    }

    /// The next chunk of bytes; `None` when the server ended the connection.
    pub(crate) async fn recv(&mut self) -> Result<Option<Bytes>, ClientError> {
        match self.polls.recv().await {
            Some(next) => next,
            None => Ok(None),
        }
    }
}
