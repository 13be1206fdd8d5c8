//! Cookies: a load balancer in front of two interop servers (no backplane) routes every request
//! by an affinity cookie that it sets on negotiate, and refuses requests without it. Long
//! Polling and Server-Sent Events work through it only if the client keeps the cookie for every
//! request of the connection, and again after the connection starts anew. (The balancer forwards
//! plain HTTP only, not WebSocket upgrades.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use signalr_runtime::Transport;
use signalr_runtime::client::HubConnection;
use signalr_runtime::protocol::Value;
use tokio::net::{TcpListener, TcpStream};

use crate::support::{Server, quick_retries, restart_and_reconnect};

/// The balancer: backends by name, and how many negotiations it has routed.
struct Balancer {
    backends: Vec<(&'static str, u16)>,
    negotiations: AtomicUsize,
}

async fn start_balancer(backends: Vec<(&'static str, u16)>) -> u16 {
    let balancer = Arc::new(Balancer {
        backends,
        negotiations: AtomicUsize::new(0),
    });
    let app = axum::Router::new().fallback(route).with_state(balancer);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

async fn route(State(balancer): State<Arc<Balancer>>, request: Request) -> Response {
    let affinity = request
        .headers()
        .get(header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|cookies| {
            cookies
                .split(';')
                .find_map(|pair| pair.trim().strip_prefix("affinity="))
        })
        .map(str::to_owned);
    let negotiate = request.uri().path().ends_with("/negotiate");
    let (name, port, set) = match affinity {
        Some(name) => match balancer.backends.iter().find(|(n, _)| *n == name) {
            Some(&(name, port)) => (name, port, false),
            None => return (StatusCode::BAD_REQUEST, "unknown affinity").into_response(),
        },
        // A new connection: the next backend in turn.
        None if negotiate => {
            let turn = balancer.negotiations.fetch_add(1, Ordering::Relaxed);
            let (name, port) = balancer.backends[turn % balancer.backends.len()];
            (name, port, true)
        }
        None => return (StatusCode::BAD_REQUEST, "no affinity cookie").into_response(),
    };
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    tokio::spawn(connection);
    let Ok(response) = sender.send_request(request).await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut response = response.map(Body::new);
    if set {
        let cookie = HeaderValue::from_str(&format!("affinity={name}; Path=/")).unwrap();
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn works_through_the_balancer(transport: Transport) {
    let (a, b) = (Server::start(0), Server::start(0));
    let port = start_balancer(vec![("a", a.port), ("b", b.port)]).await;
    let connection = HubConnection::builder(format!("http://127.0.0.1:{port}/testhub"))
        .transports([transport])
        .build()
        .unwrap();
    // Twice: the second connection is routed to the other server, and its new cookie replaces
    // the first.
    for round in 0..2 {
        connection.start().await.unwrap();
        for i in 0..20 {
            let text = format!("{round}/{i}");
            let echoed: String = connection
                .invoke("Echo", vec![Value::new(text.clone())])
                .await
                .unwrap();
            assert_eq!(echoed, text);
        }
        connection.stop().await;
    }
}

#[tokio::test]
async fn long_polling_keeps_its_affinity_cookie() {
    works_through_the_balancer(Transport::LongPolling).await;
}

#[tokio::test]
async fn server_sent_events_keep_their_affinity_cookie() {
    works_through_the_balancer(Transport::ServerSentEvents).await;
}

/// A connection through the balancer whose server dies and comes back on the same port: the
/// client reconnects with its cookie, which brings it to that server again.
async fn reconnects_through_the_balancer(transport: Transport) {
    let (a, b) = (Server::start(0), Server::start(0));
    let (port_a, port_b) = (a.port, b.port);
    let port = start_balancer(vec![("a", port_a), ("b", port_b)]).await;
    let connection = HubConnection::builder(format!("http://127.0.0.1:{port}/testhub"))
        .transports([transport])
        .with_reconnect_policy(quick_retries())
        .build()
        .unwrap();
    connection.start().await.unwrap();
    // The first negotiation goes to `a`.
    let _a = restart_and_reconnect(a, &connection).await;
    for i in 0..10 {
        let echoed: String = connection
            .invoke("Echo", vec![Value::new(format!("after {i}"))])
            .await
            .unwrap();
        assert_eq!(echoed, format!("after {i}"));
    }
    connection.stop().await;
    drop(b);
}

#[tokio::test]
async fn long_polling_reconnects_through_the_balancer() {
    reconnects_through_the_balancer(Transport::LongPolling).await;
}

#[tokio::test]
async fn server_sent_events_reconnect_through_the_balancer() {
    reconnects_through_the_balancer(Transport::ServerSentEvents).await;
}
