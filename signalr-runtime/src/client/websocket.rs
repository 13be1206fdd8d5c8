//! The WebSockets transport: one socket, text frames for JSON and binary frames for MessagePack.

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::ClientError;
use super::net::{Net, Stream};
use super::url::HubUrl;
use crate::protocol::TransferFormat;

type Socket = WebSocketStream<Stream>;

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
    net: &Net,
) -> Result<(WsSink, WsSource), ClientError> {
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
    if let Some(cookies) = net.header_for(url) {
        request
            .headers_mut()
            .insert(axum::http::header::COOKIE, cookies);
    }
    let connect = async {
        let stream = net.connect(url).await?;
        tokio_tungstenite::client_async_with_config(request, stream, None)
            .await
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
            })
    };
    let (socket, response) = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| ClientError::Transport(format!("{url}: no WebSocket within the timeout")))??;
    net.keep(url, response.headers());
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
