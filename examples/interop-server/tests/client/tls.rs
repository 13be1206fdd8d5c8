//! TLS (feature `tls`): the interop server behind a TLS front of the test's own, with
//! certificates made in the test (rcgen); every transport and protocol over `https://` (and
//! `wss://`), and bad certificates failing with `ClientError::Tls`, quickly.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rcgen::{BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair};
use signalr_runtime::Transport;
use signalr_runtime::client::{ClientError, HubConnection};
use signalr_runtime::protocol::{Protocol, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::{Server, quick_retries, restart_and_reconnect};

/// A certificate authority of the test's own: its PEM, and what signs with it.
struct Authority {
    pem: String,
    certificate: Certificate,
    key: KeyPair,
}

fn authority() -> Authority {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "signalr test CA");
    let certificate = params.self_signed(&key).unwrap();
    Authority {
        pem: certificate.pem(),
        certificate,
        key,
    }
}

/// A server certificate for `names`, signed by `authority`; expired when `expired`.
fn certificate(
    authority: &Authority,
    names: &[&str],
    expired: bool,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let certificate = params
        .signed_by(&key, &authority.certificate, &authority.key)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (certificate.der().clone(), key)
}

/// A TLS front on a free port that forwards the decrypted bytes to `target`.
async fn tls_front(
    target: u16,
    (certificate, key): (CertificateDer<'static>, PrivateKeyDer<'static>),
) -> u16 {
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to forward.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", target)).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn every_transport_and_protocol_over_tls() {
    let server = Server::start(0);
    let ca = authority();
    let port = tls_front(server.port, certificate(&ca, &["localhost"], false)).await;
    for (transport, protocol) in [
        (Transport::WebSockets, Protocol::Json),
        (Transport::WebSockets, Protocol::MessagePack),
        (Transport::ServerSentEvents, Protocol::Json),
        (Transport::LongPolling, Protocol::Json),
        (Transport::LongPolling, Protocol::MessagePack),
    ] {
        let connection = HubConnection::builder(format!("https://localhost:{port}/testhub"))
            .transports([transport])
            .protocol(protocol)
            .add_root_certificate(ca.pem.clone())
            .build()
            .unwrap();
        // Twice: a second start is a new connection over TLS again.
        for _ in 0..2 {
            connection.start().await.unwrap();
            assert_eq!(connection.transport(), Some(transport));
            let echoed: String = connection
                .invoke("Echo", vec![Value::new("over tls")])
                .await
                .unwrap();
            assert_eq!(echoed, "over tls");
            let letters: Vec<String> = connection
                .stream::<String>("Stream", Vec::new())
                .await
                .unwrap()
                .map(Result::unwrap)
                .collect()
                .await;
            assert_eq!(letters, ["a", "b", "c"], "{transport:?} {protocol:?}");
            connection.stop().await;
        }
    }
}

/// What starting a connection to a front with `certificate` gives, trusting `roots`.
async fn start_with(
    certificate: (CertificateDer<'static>, PrivateKeyDer<'static>),
    roots: Option<&str>,
) -> Result<(), ClientError> {
    let server = Server::start(0);
    let port = tls_front(server.port, certificate).await;
    let mut builder = HubConnection::builder(format!("https://localhost:{port}/testhub"));
    if let Some(pem) = roots {
        builder = builder.add_root_certificate(pem.to_owned());
    }
    let connection = builder.build().unwrap();
    tokio::time::timeout(Duration::from_secs(10), connection.start())
        .await
        .expect("a bad certificate does not hang")
}

#[tokio::test]
async fn bad_certificates_fail_with_a_tls_error() {
    let ca = authority();
    let wrong_host = start_with(certificate(&ca, &["example.com"], false), Some(&ca.pem)).await;
    assert!(
        matches!(&wrong_host, Err(ClientError::Tls(_))),
        "{wrong_host:?}"
    );
    let expired = start_with(certificate(&ca, &["localhost"], true), Some(&ca.pem)).await;
    assert!(matches!(&expired, Err(ClientError::Tls(_))), "{expired:?}");
    let unknown_ca = start_with(certificate(&ca, &["localhost"], false), None).await;
    assert!(
        matches!(&unknown_ca, Err(ClientError::Tls(_))),
        "{unknown_ca:?}"
    );
}

#[tokio::test]
async fn an_unreadable_root_certificate_fails_the_build() {
    let built = HubConnection::builder("https://localhost:1/hub")
        .add_root_certificate(
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        )
        .build();
    assert!(matches!(built, Err(ClientError::Tls(_))), "{built:?}");
}

#[tokio::test]
async fn automatic_reconnect_over_tls() {
    let ca = authority();
    for transport in [Transport::WebSockets, Transport::LongPolling] {
        let server = Server::start(0);
        let port = tls_front(server.port, certificate(&ca, &["localhost"], false)).await;
        let connection = HubConnection::builder(format!("https://localhost:{port}/testhub"))
            .transports([transport])
            .add_root_certificate(ca.pem.clone())
            .with_reconnect_policy(quick_retries())
            .build()
            .unwrap();
        connection.start().await.unwrap();
        let _restarted = restart_and_reconnect(server, &connection).await;
        let echoed: String = connection
            .invoke("Echo", vec![Value::new("again")])
            .await
            .unwrap();
        assert_eq!(echoed, "again", "{transport:?}");
        connection.stop().await;
    }
}
