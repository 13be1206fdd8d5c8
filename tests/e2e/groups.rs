//! Groups and users: sending to named sets of connections.

use signalr_runtime::HubOptions;

use crate::support::*;

/// A connection and the records it received while waiting for something else.
struct Client {
    ws: Ws,
    pending: Vec<String>,
}

impl Client {
    async fn ready(addr: std::net::SocketAddr, query: &str) -> Client {
        let mut ws = connect(addr, query).await;
        send(&mut ws, HANDSHAKE).await;
        assert_eq!(recv(&mut ws).await, "{}\u{1e}");
        Client {
            ws,
            pending: Vec::new(),
        }
    }

    /// Invokes `target` and waits for its completion, keeping whatever else arrives.
    async fn call(&mut self, target: &str, arguments: &str) {
        let request = format!(
            "{{\"type\":1,\"invocationId\":\"c\",\"target\":\"{target}\",\"arguments\":{arguments}}}\u{1e}"
        );
        send(&mut self.ws, &request).await;
        loop {
            for record in recv(&mut self.ws).await.split_terminator('\u{1e}') {
                if record.starts_with("{\"type\":3,\"invocationId\":\"c\"") {
                    assert!(!record.contains("error"), "{record}");
                    return;
                }
                self.pending.push(record.to_owned());
            }
        }
    }

    /// The `Notified` texts received until the marker `end`.
    async fn notified_until_end(&mut self) -> Vec<String> {
        let mut texts = Vec::new();
        let mut records = std::mem::take(&mut self.pending);
        loop {
            for record in records.drain(..) {
                let prefix = "{\"type\":1,\"target\":\"Notified\",\"arguments\":[\"";
                let Some(rest) = record.strip_prefix(prefix) else {
                    continue;
                };
                let text = rest.trim_end_matches("\"]}").to_owned();
                if text == "end" {
                    return texts;
                }
                texts.push(text);
            }
            records = recv(&mut self.ws)
                .await
                .split_terminator('\u{1e}')
                .map(str::to_owned)
                .collect();
        }
    }
}

#[tokio::test]
async fn group_targets_reach_exactly_their_members() {
    let addr = serve(HubOptions::default()).await;
    let (mut a, mut b, mut c) = (
        Client::ready(addr, "").await,
        Client::ready(addr, "").await,
        Client::ready(addr, "").await,
    );
    a.call("Join", "[\"red\"]").await;
    b.call("Join", "[\"red\"]").await;
    b.call("Join", "[\"blue\"]").await;
    c.call("Join", "[\"blue\"]").await;

    a.call("SendTo", "[\"group\",[\"red\"],\"to red\"]").await;
    a.call("SendTo", "[\"others-in-group\",[\"red\"],\"to red but a\"]")
        .await;
    a.call(
        "SendTo",
        "[\"groups\",[\"red\",\"blue\"],\"to red and blue\"]",
    )
    .await;
    c.call(
        "SendTo",
        "[\"group-except-caller\",[\"blue\"],\"to blue but c\"]",
    )
    .await;
    b.call("Leave", "[\"red\"]").await;
    a.call("SendTo", "[\"group\",[\"red\"],\"to red after b left\"]")
        .await;
    a.call(
        "SendTo",
        "[\"groups\",[\"red\",\"blue\",\"green\"],\"end\"]",
    )
    .await;

    assert_eq!(
        a.notified_until_end().await,
        ["to red", "to red and blue", "to red after b left"]
    );
    assert_eq!(
        b.notified_until_end().await,
        ["to red", "to red but a", "to red and blue", "to blue but c"]
    );
    assert_eq!(c.notified_until_end().await, ["to red and blue"]);
}

#[tokio::test]
async fn a_connection_leaves_its_groups_when_it_disconnects() {
    let addr = serve(HubOptions::default()).await;
    let mut staying = Client::ready(addr, "").await;
    let mut leaving = Client::ready(addr, "").await;
    staying.call("Join", "[\"g\"]").await;
    leaving.call("Join", "[\"g\"]").await;
    drop(leaving);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    staying
        .call("SendTo", "[\"group\",[\"g\"],\"still\"]")
        .await;
    staying.call("SendTo", "[\"group\",[\"g\"],\"end\"]").await;
    assert_eq!(staying.notified_until_end().await, ["still"]);
}

#[tokio::test]
async fn user_targets_reach_every_connection_of_the_user() {
    let addr = serve(HubOptions::default()).await;
    let mut ada_phone = Client::ready(addr, "?user=ada").await;
    let mut ada_laptop = Client::ready(addr, "?user=ada").await;
    let mut bob = Client::ready(addr, "?user=bob").await;
    send(
        &mut bob.ws,
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"WhoAmI\",\"arguments\":[]}\u{1e}",
    )
    .await;
    assert_eq!(
        recv(&mut bob.ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"bob\"}\u{1e}"
    );

    bob.call("SendTo", "[\"user\",[\"ada\"],\"for ada\"]").await;
    bob.call("SendTo", "[\"users\",[\"ada\",\"bob\",\"nobody\"],\"end\"]")
        .await;
    assert_eq!(ada_phone.notified_until_end().await, ["for ada"]);
    assert_eq!(ada_laptop.notified_until_end().await, ["for ada"]);
    assert_eq!(bob.notified_until_end().await, Vec::<String>::new());
}

#[tokio::test]
async fn the_hub_context_reaches_a_group_from_outside() {
    let addr = serve(HubOptions::default()).await;
    let mut member = Client::ready(addr, "").await;
    let mut outsider = Client::ready(addr, "").await;
    member.call("Join", "[\"ops\"]").await;
    let (status, _) = http_with(addr, "POST", "/to-group/ops", &[], b"deploying").await;
    assert_eq!(status, 200);
    let (status, _) = http_with(addr, "POST", "/broadcast", &[], b"end").await;
    assert_eq!(status, 200);
    assert_eq!(member.notified_until_end().await, ["deploying"]);
    assert_eq!(outsider.notified_until_end().await, Vec::<String>::new());
}
