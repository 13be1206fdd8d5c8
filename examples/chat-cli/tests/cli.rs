//! The `chat-cli` binary itself, run as a user runs it, against the chat example's hub.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../chat/src/hub.rs"]
mod hub;

use std::process::Stdio;
use std::time::Duration;

use signalr_runtime::SignalR;
use tokio::io::AsyncWriteExt as _;

use hub::{Chat as _, ChatRoom};

/// The chat example's own hub, served on a free loopback port.
async fn serve_chat() -> String {
    let app = SignalR::new()
        .hub("/chat", ChatRoom.into_hub())
        .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/chat", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_ends_the_program() {
    let url = serve_chat().await;
    let mut cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_chat-cli"))
        .args(["--name", "ann", "--url", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = cli.stdin.take().unwrap();
    stdin.write_all(b"hello\n/quit\n").await.unwrap();
    // The input stays open: /quit alone must end the program.
    let status = tokio::time::timeout(Duration::from_secs(10), cli.wait())
        .await
        .expect("chat-cli exits after /quit")
        .unwrap();
    assert!(status.success(), "{status}");
    drop(stdin);
}
