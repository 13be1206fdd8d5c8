//! The WebSockets transport: one socket, text frames for JSON and binary frames for MessagePack.

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::ClientError;
use super::cookies::Jar;
use super::url::HubUrl;
use crate::protocol::TransferFormat;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long connecting and upgrading may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The sending half of a WebSocket.
#[derive(Debug)]
pub(crate) struct WsSink(SplitSink<Socket, Message>);

/// The receiving half of a WebSocket.
#[derive(Debug)]
pub(crate) struct WsSource(SplitStream<Socket>);

/// Opens the WebSocket of `url` with `headers`.
pub(crate) async fn connect(
    url: &HubUrl,
    headers: &[(axum::http::HeaderName, String)],
    jar: &Jar,
) -> Result<(WsSink, WsSource), ClientError> {
    if url.is_tls() {
        return Err(ClientError::InvalidUrl(format!(
            "{url}: wss is not supported by this client"
        )));
    }
    let mut request = url
        .websocket()
        .into_client_request()
        .map_err(|error| ClientError::InvalidUrl(error.to_string()))?;
    for (name, value) in headers {
        let value = value
            .parse()
            .map_err(|_| ClientError::InvalidHeader(format!("the value of {name} is not valid")))?;
        request.headers_mut().insert(name.clone(), value);
    }
    if let Some(cookies) = jar.header_for(url) {
        request
            .headers_mut()
            .insert(axum::http::header::COOKIE, cookies);
    }
    let connect = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (socket, response) = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| ClientError::Transport(format!("{url}: no WebSocket within the timeout")))?
        .map_err(|error| match error {
            tokio_tungstenite::tungstenite::Error::Http(response) => ClientError::Http {
                status: response.status().as_u16(),
                body: response
                    .body()
                    .as_ref()
                    .map(|body| String::from_utf8_lossy(body).into_owned())
                    .unwrap_or_default(),
            },
            other => ClientError::Transport(other.to_string()),
        })?;
    jar.keep(url, response.headers());
    let (sink, source) = socket.split();
    Ok((WsSink(sink), WsSource(source)))
}

impl WsSink {
    /// Sends one frame: text for the text format, binary otherwise.
    pub(crate) async fn send(
        &mut self,
        frame: Bytes,
        format: TransferFormat,
    ) -> Result<(), ClientError> {
        let message = match format {
            // Checked in place: no copy of the frame.
            TransferFormat::Text => Message::Text(
                Utf8Bytes::try_from(frame)
                    .map_err(|_| ClientError::Protocol("a text frame is not UTF-8".to_owned()))?,
            ),
            _ => Message::Binary(frame),
        };
        self.0
            .send(message)
            .await
            .map_err(|error| ClientError::Transport(error.to_string()))
    }

    /// Sends a normal close frame.
    pub(crate) async fn close(&mut self) {
        let _ = self.0.close().await;
    }
}

impl WsSource {
    /// The next frame's bytes; `None` when the server closed normally.
    pub(crate) async fn recv(&mut self) -> Result<Option<Bytes>, ClientError> {
        loop {
            match self.0.next().await {
                None => return Ok(None),
                Some(Err(error)) => return Err(ClientError::Transport(error.to_string())),
                Some(Ok(Message::Text(text))) => return Ok(Some(Bytes::from(text))),
                Some(Ok(Message::Binary(data))) => return Ok(Some(data)),
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(frame)
                            if !matches!(frame.code, CloseCode::Normal | CloseCode::Away) =>
                        {
                            Err(ClientError::Transport(format!(
                                "WebSocket closed with status {}: {}",
                                u16::from(frame.code),
                                frame.reason
                            )))
                        }
                        _ => Ok(None),
                    };
                }
                Some(Ok(_)) => {}
            }
        }
    }
}
