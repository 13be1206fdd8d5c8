//! Stateful reconnect (`with_stateful_reconnect`): through a TCP relay that cuts the WebSocket
//! without a close frame while calls, a broadcast from another connection, a group send and a
//! server stream flow, nothing is lost or repeated, the connection keeps its id and groups, and
//! the client never reports reconnecting.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr_runtime::Transport;
use signalr_runtime::client::HubConnection;
use signalr_runtime::protocol::{Protocol, Value};

use crate::support::{Relay, Server};

const CUTS: usize = 10;

async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn survives_cuts(protocol: Protocol) {
    let server = Server::start(0);
    let relay = Relay::start(server.port).await;
    let cut = HubConnection::builder(format!("http://127.0.0.1:{}/scenarios", relay.port))
        .transports([Transport::WebSockets])
        .protocol(protocol)
        .with_stateful_reconnect()
        .build()
        .unwrap();
    let other = HubConnection::builder(server.url("/scenarios"))
        .protocol(protocol)
        .build()
        .unwrap();
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let inbox = Arc::clone(&received);
    cut.handle("Receive", move |(message,): (String,)| {
        inbox.lock().unwrap().push(message);
        async {}
    });
    other.handle("Receive", |(_,): (String,)| async {});
    let trouble = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&trouble);
    cut.on_reconnecting(move |error| seen.lock().unwrap().push(format!("reconnecting: {error}")));
    let seen = Arc::clone(&trouble);
    cut.on_closed(move |error| seen.lock().unwrap().push(format!("closed: {error:?}")));

    cut.start().await.unwrap();
    other.start().await.unwrap();
    let id: String = cut.invoke("GetConnectionId", Vec::new()).await.unwrap();
    assert_eq!(cut.connection_id().as_deref(), Some(id.as_str()));
    let () = cut
        .invoke("JoinGroup", vec![Value::new("room")])
        .await
        .unwrap();
    let mut stream = cut
        .stream::<u32>("Count", vec![Value::new(300_u32), Value::new(10_u64)])
        .await
        .unwrap();
    let items = Arc::new(Mutex::new(Vec::new()));
    let collected = Arc::clone(&items);
    let streaming = tokio::spawn(async move {
        while let Some(item) = stream.next().await {
            collected.lock().unwrap().push(item.unwrap());
        }
    });

    let mut expected = Vec::new();
    for round in 0..CUTS {
        eventually("the stream to flow", || {
            items.lock().unwrap().len() > round * 25
        })
        .await;
        let own = cut.invoke::<()>("SendToAll", vec![Value::new(format!("all {round}"))]);
        let caller = cut.invoke::<()>("SendToCaller", vec![Value::new(format!("caller {round}"))]);
        relay.cut();
        let group = other.invoke::<()>(
            "SendToGroup",
            vec![Value::new("room"), Value::new(format!("group {round}"))],
        );
        let direct = other.invoke::<()>(
            "SendToConnection",
            vec![
                Value::new(id.clone()),
                Value::new(format!("direct {round}")),
            ],
        );
        let (own, caller, group, direct) = tokio::join!(own, caller, group, direct);
        for outcome in [own, caller, group, direct] {
            outcome.unwrap();
        }
        for from in ["all", "caller", "group", "direct"] {
            expected.push(format!("{from} {round}"));
        }
        eventually(&format!("round {round}"), || {
            let received = received.lock().unwrap();
            expected.iter().all(|message| received.contains(message))
        })
        .await;
    }
    tokio::time::timeout(Duration::from_secs(20), streaming)
        .await
        .expect("the stream ends")
        .unwrap();

    assert_eq!(*trouble.lock().unwrap(), Vec::<String>::new());
    assert!(relay.accepted() > CUTS, "{} sockets", relay.accepted());
    let again: String = cut.invoke("GetConnectionId", Vec::new()).await.unwrap();
    assert_eq!(again, id, "the same connection on the server");
    assert_eq!(*items.lock().unwrap(), (1..=300).collect::<Vec<u32>>());
    let mut received = received.lock().unwrap().clone();
    received.sort();
    expected.sort();
    assert_eq!(received, expected, "every message once");
    cut.stop().await;
    other.stop().await;
}

#[tokio::test]
async fn stateful_reconnect_survives_cuts_over_json() {
    survives_cuts(Protocol::Json).await;
}

#[tokio::test]
async fn stateful_reconnect_survives_cuts_over_messagepack() {
    survives_cuts(Protocol::MessagePack).await;
}

#[tokio::test]
async fn a_refused_reattach_falls_back_to_a_fresh_connection() {
    let server = Server::start(0);
    let relay = Relay::start(server.port).await;
    let connection = HubConnection::builder(format!("http://127.0.0.1:{}/scenarios", relay.port))
        .transports([Transport::WebSockets])
        .with_stateful_reconnect()
        .with_reconnect_policy(
            signalr_runtime::client::ExponentialBackoff::new(
                Duration::from_millis(100),
                Duration::from_millis(200),
            )
            .give_up_after(Duration::from_secs(10)),
        )
        .build()
        .unwrap();
    let (events, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let reconnecting = events.clone();
    connection.on_reconnecting(move |_| {
        let _ = reconnecting.send("reconnecting".to_owned());
    });
    connection.on_reconnected(move |id| {
        let _ = events.send(format!("reconnected {}", id.unwrap_or_default()));
    });
    connection.start().await.unwrap();
    let first: String = connection
        .invoke("GetConnectionId", Vec::new())
        .await
        .unwrap();

    // The next WebSocket cannot get through: the connection is lost, and automatic reconnect
    // starts a new one once the relay lets it.
    relay.refuse(true);
    relay.cut();
    let wait = Duration::from_secs(10);
    let event = tokio::time::timeout(wait, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, "reconnecting");
    relay.refuse(false);
    let event = tokio::time::timeout(wait, seen.recv())
        .await
        .unwrap()
        .unwrap();
    let fresh = event.strip_prefix("reconnected ").unwrap().to_owned();
    assert_ne!(fresh, first);
    let id: String = connection
        .invoke("GetConnectionId", Vec::new())
        .await
        .unwrap();
    assert_eq!(id, fresh);
    connection.stop().await;
}
