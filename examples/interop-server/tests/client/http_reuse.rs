//! The HTTP transports keep their connections alive: Long Polling's polls go over one, the POSTs
//! of Long Polling and Server-Sent Events over another, counted by a relay in front of the
//! interop server.

use signalr_runtime::Transport;
use signalr_runtime::client::HubConnection;
use signalr_runtime::protocol::Value;

use crate::support::{Relay, Server};

const CALLS: usize = 1000;

async fn connections_during_calls(transport: Transport) -> usize {
    let server = Server::start(0);
    let relay = Relay::start(server.port).await;
    let connection = HubConnection::builder(format!("http://127.0.0.1:{}/testhub", relay.port))
        .transports([transport])
        .build()
        .unwrap();
    connection.start().await.unwrap();
    let before = relay.accepted();
    for i in 0..CALLS {
        let echoed: String = connection
            .invoke("Echo", vec![Value::new(format!("m{i}"))])
            .await
            .unwrap();
        assert_eq!(echoed, format!("m{i}"));
    }
    let during = relay.accepted() - before;
    connection.stop().await;
    during
}

#[tokio::test]
async fn long_polling_keeps_its_connections_alive() {
    // Negotiate and the first poll came before; the POSTs' link opens with the first call. A
    // connection per request would be 2 000 (a POST and a poll per call).
    let opened = connections_during_calls(Transport::LongPolling).await;
    assert!(opened <= 2, "{opened} TCP connections during {CALLS} calls");
}

#[tokio::test]
async fn server_sent_events_post_over_one_connection() {
    let opened = connections_during_calls(Transport::ServerSentEvents).await;
    assert!(opened <= 1, "{opened} TCP connections during {CALLS} calls");
}
