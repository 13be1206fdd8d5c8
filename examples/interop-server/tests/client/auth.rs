//! Access tokens: from a token factory, and from a negotiate redirect, against the interop
//! server's `/authorizedhub`, which refuses requests without a token of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::routing::post;
use signalr_runtime::Transport;
use signalr_runtime::client::{ClientError, HubConnection, HubConnectionBuilder};
use signalr_runtime::protocol::Protocol;

use crate::authorized::HubWithAuthorizationProxy;
use crate::support::{Server, http_get};

async fn token_factory_is_asked_for_each_connection(transport: Transport, protocol: Protocol) {
    let server = Server::start(0);
    let port = server.port;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let connection = HubConnection::builder(server.url("/authorizedhub"))
        .transports([transport])
        .protocol(protocol)
        .access_token_factory(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async move { Ok(http_get(port, "/generateJwtToken?user=alice").await) }
        })
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let hub = HubWithAuthorizationProxy::new(&connection);
    assert_eq!(hub.get_user_name_identifier().await.unwrap(), "alice");
    assert_eq!(hub.echo("secret".to_owned()).await.unwrap(), "secret");
    connection.stop().await;
    connection.start().await.unwrap();
    assert_eq!(hub.get_user_name_identifier().await.unwrap(), "alice");
    connection.stop().await;
    assert_eq!(asked.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn token_factory_on_websockets() {
    token_factory_is_asked_for_each_connection(Transport::WebSockets, Protocol::Json).await;
}

#[tokio::test]
async fn token_factory_on_long_polling() {
    token_factory_is_asked_for_each_connection(Transport::LongPolling, Protocol::MessagePack).await;
}

#[tokio::test]
async fn without_a_token_negotiate_is_refused() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/authorizedhub"))
        .build()
        .unwrap();
    let result = connection.start().await;
    assert!(
        matches!(result, Err(ClientError::Http { status: 401, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_failing_token_factory_fails_start() {
    let server = Server::start(0);
    let connection = HubConnection::builder(server.url("/authorizedhub"))
        .access_token_factory(|| async { Err(ClientError::Negotiate("no token today".to_owned())) })
        .build()
        .unwrap();
    let result = connection.start().await;
    assert_eq!(
        result,
        Err(ClientError::Negotiate("no token today".to_owned()))
    );
}

#[tokio::test]
async fn a_redirect_supplies_the_url_and_the_token() {
    let server = Server::start(0);
    let token = http_get(server.port, "/generateJwtToken?user=bob").await;
    let target = server.url("/authorizedhub");
    // A negotiate endpoint of another server, which only redirects.
    let redirect = axum::Router::new().route(
        "/hub/negotiate",
        post(move || async move {
            serde_json::json!({ "url": target, "accessToken": token }).to_string()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirect).await });

    let connection = HubConnection::builder(url).build().unwrap();
    connection.start().await.unwrap();
    let hub = HubWithAuthorizationProxy::new(&connection);
    assert_eq!(hub.get_user_name_identifier().await.unwrap(), "bob");
    connection.stop().await;
}

/// `builder` with a token factory whose first token has expired (the server refuses it with
/// 401) and whose next ones are good; and how often the factory was asked.
fn with_expiring_token(
    builder: HubConnectionBuilder,
    port: u16,
) -> (HubConnectionBuilder, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let builder = builder.access_token_factory(move || {
        let first = counter.fetch_add(1, Ordering::Relaxed) == 0;
        async move {
            if first {
                Ok("expired".to_owned())
            } else {
                Ok(http_get(port, "/generateJwtToken?user=alice").await)
            }
        }
    });
    (builder, asked)
}

async fn an_expired_token_is_replaced_after_a_401(transport: Transport, skip_negotiation: bool) {
    let server = Server::start(0);
    let builder = HubConnection::builder(server.url("/authorizedhub"))
        .transports([transport])
        .skip_negotiation(skip_negotiation);
    let (builder, asked) = with_expiring_token(builder, server.port);
    let connection = builder.build().unwrap();
    connection.start().await.unwrap();
    assert_eq!(
        asked.load(Ordering::Relaxed),
        2,
        "asked again after the 401"
    );
    let hub = HubWithAuthorizationProxy::new(&connection);
    assert_eq!(hub.get_user_name_identifier().await.unwrap(), "alice");
    connection.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_replaced_after_negotiate_answers_401() {
    an_expired_token_is_replaced_after_a_401(Transport::LongPolling, false).await;
}

#[tokio::test]
async fn an_expired_token_is_replaced_after_the_websocket_upgrade_answers_401() {
    an_expired_token_is_replaced_after_a_401(Transport::WebSockets, true).await;
}

#[tokio::test]
async fn a_factory_whose_new_token_is_refused_too_fails_after_one_retry() {
    let server = Server::start(0);
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let connection = HubConnection::builder(server.url("/authorizedhub"))
        .access_token_factory(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { Ok("expired".to_owned()) }
        })
        .build()
        .unwrap();
    let result = connection.start().await;
    assert!(
        matches!(result, Err(ClientError::Http { status: 401, .. })),
        "{result:?}"
    );
    assert_eq!(asked.load(Ordering::Relaxed), 2);
}
