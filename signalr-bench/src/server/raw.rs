//! The baseline: a raw tokio-tungstenite echo and fan-out server, no SignalR at all.
//!
//! Each text frame starts with a command byte: `e` is echoed back, `b` goes to every connection,
//! `j<group>` joins a group (answered with `k`), `g<group>:<text>` goes to the group's members.
//! Every connection has a reader task and a writer task draining a bounded queue, the same
//! shape as a hub connection, so that the difference measured is the SignalR layer itself.
//!
//! A connection that starts with `POST` gets a fixed negotiate answer instead, and is closed
//! once the client closes it: the least a server can do for a client that negotiates on a
//! connection of its own (the floor of the connection setup rows).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tungstenite::Message;

/// As the hub's default outbound queue: a connection that falls this far behind is dropped.
const QUEUE: usize = 1024;

/// Frames queued together go out with one flush, up to this many.
const BATCH: usize = 64;

type Queue = mpsc::Sender<Message>;

#[derive(Default)]
struct State {
    connections: RwLock<HashMap<u64, Queue>>,
    groups: RwLock<HashMap<String, Vec<u64>>>,
}

impl State {
    fn deliver(&self, ids: Option<&[u64]>, message: &Message) {
        let Ok(connections) = self.connections.read() else {
            return;
        };
        let mut push = |queue: &Queue| {
            // Full or gone: the hub closes such a connection; the baseline just skips it.
            let _ = queue.try_send(message.clone());
        };
        match ids {
            None => connections.values().for_each(&mut push),
            Some(ids) => ids
                .iter()
                .filter_map(|id| connections.get(id))
                .for_each(&mut push),
        }
    }
}

/// Serves raw WebSocket connections from `listener` until the process ends.
pub(crate) async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let state = Arc::new(State::default());
    let mut next_id = 0_u64;
    loop {
        let (tcp, _) = listener.accept().await?;
        next_id += 1;
        tokio::spawn(connection(Arc::clone(&state), next_id, tcp));
    }
}

async fn connection(state: Arc<State>, id: u64, tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    let mut method = [0_u8; 4];
    if tcp.peek(&mut method).await.is_ok_and(|read| read == 4) && &method == b"POST" {
        negotiate(tcp).await;
        return;
    }
    let config = crate::ws_config::config();
    let Ok(socket) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let (sink, mut stream) = socket.split();
    let (queue, queue_rx) = mpsc::channel(QUEUE);
    if let Ok(mut connections) = state.connections.write() {
        connections.insert(id, queue.clone());
    }
    let writer = tokio::spawn(write(sink, queue_rx));
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = &message else {
            continue;
        };
        let text = text.clone();
        match text.as_bytes().first() {
            Some(b'e') if queue.send(Message::Text(text.clone())).await.is_err() => break,
            Some(b'e') => {}
            Some(b'b') => state.deliver(None, &message),
            Some(b'j') => join(&state, id, &text, &queue).await,
            Some(b'g') => {
                let rest = text.get(1..).unwrap_or_default();
                let group = rest.split(':').next().unwrap_or_default();
                let members = state
                    .groups
                    .read()
                    .ok()
                    .and_then(|groups| groups.get(group).cloned());
                if let Some(members) = members {
                    state.deliver(Some(&members), &message);
                }
            }
            _ => {}
        }
    }
    if let Ok(mut connections) = state.connections.write() {
        connections.remove(&id);
    }
    drop(queue);
    let _ = writer.await;
}

/// A negotiate answer's body, as long as a hub's.
const NEGOTIATE: &str = concat!(
    r#"{"negotiateVersion":1,"connectionId":"AAAAAAAAAAAAAAAAAAAAAA","#,
    r#""connectionToken":"BBBBBBBBBBBBBBBBBBBBBB","availableTransports":"#,
    r#"[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}"#
);

/// Answers one bodiless request with [`NEGOTIATE`], then waits for the client to close.
async fn negotiate(mut tcp: TcpStream) {
    let mut request = Vec::with_capacity(512);
    let mut chunk = [0_u8; 512];
    while !request.windows(4).any(|end| end == b"\r\n\r\n") {
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(chunk.get(..read).unwrap_or_default()),
        }
    }
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{NEGOTIATE}",
        NEGOTIATE.len()
    );
    if tcp.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    while tcp.read(&mut chunk).await.is_ok_and(|read| read > 0) {}
}

async fn join(state: &State, id: u64, text: &str, queue: &Queue) {
    let group = text.get(1..).unwrap_or_default().to_owned();
    if let Ok(mut groups) = state.groups.write() {
        groups.entry(group).or_default().push(id);
    }
    let _ = queue.send(Message::text("k")).await;
}

async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocketStream<TcpStream>, Message>,
    mut queue: mpsc::Receiver<Message>,
) {
    while let Some(first) = queue.recv().await {
        if sink.feed(first).await.is_err() {
            return;
        }
        // Whatever else is queued goes out with the same flush: one write for many frames.
        for _ in 1..BATCH {
            let Ok(next) = queue.try_recv() else { break };
            if sink.feed(next).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}
