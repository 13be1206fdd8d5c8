//! How a connection reaches its server: TCP, or TLS over it for `https://` and `wss://` URLs
//! (feature `tls`: rustls with the ring provider, the Mozilla roots of `webpki-roots` plus any
//! root the application adds, SNI from the URL's host), and the connection's cookies.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::http::{HeaderMap, HeaderValue};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::ClientError;
use super::cookies::Jar;
use super::url::HubUrl;

/// A connection's network settings and state; clones share the cookies.
#[derive(Debug, Clone, Default)]
pub(crate) struct Net {
    cookies: Jar,
    /// The TLS client settings, when the `tls` feature is on.
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
}

impl Net {
    /// These settings, with `tls` for `https://` and `wss://` URLs.
    #[cfg(feature = "tls")]
    pub(crate) fn with_tls(
        mut self,
        tls: std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
    ) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The `Cookie` header for a request to `url`, if any cookie matches it.
    pub(crate) fn header_for(&self, url: &HubUrl) -> Option<HeaderValue> {
        self.cookies.header_for(url)
    }

    /// Keeps the cookies that the response to a request to `url` sets.
    pub(crate) fn keep(&self, url: &HubUrl, headers: &HeaderMap) {
        self.cookies.keep(url, headers);
    }

    /// A byte stream to `url`'s server: TCP, with TLS for `https`.
    pub(crate) async fn connect(&self, url: &HubUrl) -> Result<Stream, ClientError> {
        let tcp = TcpStream::connect(url.host_port())
            .await
            .map_err(|error| ClientError::Transport(format!("connecting to {url}: {error}")))?;
        let _ = tcp.set_nodelay(true);
        if !url.is_tls() {
            return Ok(Stream::Plain(tcp));
        }
        self.secure(url, tcp).await
    }

    #[cfg(feature = "tls")]
    async fn secure(&self, url: &HubUrl, tcp: TcpStream) -> Result<Stream, ClientError> {
        use tokio_rustls::rustls::pki_types::ServerName;
        let config = match &self.tls {
            Some(config) => std::sync::Arc::clone(config),
            None => tls_config(&[])?,
        };
        let name = ServerName::try_from(url.host().to_owned())
            .map_err(|_| ClientError::InvalidUrl(format!("{url}: not a host name for TLS")))?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(|error| ClientError::Tls(format!("{url}: {error}")))?;
        Ok(Stream::Tls(Box::new(stream)))
    }

    #[cfg(not(feature = "tls"))]
    async fn secure(&self, url: &HubUrl, _tcp: TcpStream) -> Result<Stream, ClientError> {
        Err(ClientError::InvalidUrl(format!(
            "{url}: https and wss need the `tls` feature of signalr-runtime"
        )))
    }
}

/// The TLS client settings: the Mozilla roots and `roots` (PEM, for private CAs).
#[cfg(feature = "tls")]
pub(crate) fn tls_config(
    roots: &[Vec<u8>],
) -> Result<std::sync::Arc<tokio_rustls::rustls::ClientConfig>, ClientError> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    let mut store = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in roots {
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate
                .map_err(|error| ClientError::Tls(format!("a root certificate: {error}")))?;
            store
                .add(certificate)
                .map_err(|error| ClientError::Tls(format!("a root certificate: {error}")))?;
        }
    }
    #[expect(
        deprecated,
        reason = "ring builds with a C compiler alone (aws-lc-rs wants more); it has no \
                  post-quantum key exchange, which servers do not require"
    )]
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ClientError::Tls(error.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

/// A byte stream to the server.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
