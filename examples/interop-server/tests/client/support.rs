//! Shared by the client tests: the interop server as a child process, and small HTTP helpers.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

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
