//! Shared by the client tests: the interop server as a child process, and small HTTP helpers.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use signalr_runtime::Transport;
use signalr_runtime::client::HubConnection;
use signalr_runtime::protocol::Protocol;

/// The interop server, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts the server on `port` (0: any free one) and waits until it listens.
    pub fn start(port: u16) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_interop-server"))
            .args(["--port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start interop-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Server { child, port }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Kills the server at once (no graceful close for its clients).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills `server`, starts it again on the same port and waits until `connection` (started,
/// with automatic reconnect) reports that it reconnected; the restarted server.
pub async fn restart_and_reconnect(server: Server, connection: &HubConnection) -> Server {
    let (events, mut reconnected) = tokio::sync::mpsc::unbounded_channel();
    connection.on_reconnected(move |_| {
        let _ = events.send(());
    });
    let port = server.port;
    server.kill();
    let restarted = Server::start(port);
    tokio::time::timeout(std::time::Duration::from_secs(20), reconnected.recv())
        .await
        .expect("reconnected to the restarted server")
        .expect("the connection is alive");
    restarted
}

/// Quick retries for tests of automatic reconnect: from 50 ms, at most 500 ms apart, for 15 s.
pub fn quick_retries() -> signalr_runtime::client::ExponentialBackoff {
    signalr_runtime::client::ExponentialBackoff::new(
        std::time::Duration::from_millis(50),
        std::time::Duration::from_millis(500),
    )
    .give_up_after(std::time::Duration::from_secs(15))
}

/// A connection to `url` over exactly `transport` with `protocol`, sending the header
/// `X-Client-Test: rust`.
pub fn connection(url: &str, transport: Transport, protocol: Protocol) -> HubConnection {
    HubConnection::builder(url)
        .header("X-Client-Test", "rust")
        .transports([transport])
        .protocol(protocol)
        .build()
        .expect("valid URL")
}

/// A plain HTTP GET over a fresh socket; returns the body.
pub async fn http_get(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    socket.read_to_string(&mut response).await.expect("read");
    let (_, body) = response.split_once("\r\n\r\n").expect("a response");
    body.to_owned()
}

/// A TCP relay to `port`; bumping the watch drops every connection it carries, and while
/// `refusing` it drops new ones at once.
pub struct Relay {
    pub port: u16,
    cut: watch::Sender<u64>,
    accepted: Arc<Mutex<usize>>,
    refusing: Arc<AtomicBool>,
}

impl Relay {
    pub async fn start(target: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, cuts) = watch::channel(0);
        let accepted = Arc::new(Mutex::new(0));
        let count = Arc::clone(&accepted);
        let refusing = Arc::new(AtomicBool::new(false));
        let refuse = Arc::clone(&refusing);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if refuse.load(Ordering::Relaxed) {
                    drop(client);
                    continue;
                }
                *count.lock().unwrap() += 1;
                let mut cuts = cuts.clone();
                cuts.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let (mut client, mut upstream) = (client, upstream);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                        // Both sockets are dropped: the WebSocket ends without a close frame.
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Relay {
            port,
            cut,
            accepted,
            refusing,
        }
    }

    pub fn refuse(&self, refuse: bool) {
        self.refusing.store(refuse, Ordering::Relaxed);
    }

    pub fn cut(&self) {
        self.cut.send_modify(|cuts| *cuts += 1);
    }

    pub fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}
