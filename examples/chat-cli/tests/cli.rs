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

fn chat_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chat-cli"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_names_every_option() {
    let output = chat_cli(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{help}");
    for option in [
        "Usage: chat-cli [OPTIONS] --name <NAME>",
        "--name <NAME>",
        "--url <URL>",
        "[default: http://127.0.0.1:5000/chat]",
        "--messagepack",
        "--transport <TRANSPORT>",
        "WebSockets, ServerSentEvents, LongPolling",
        "--ca <PEM_FILE>",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    for (args, expected) in [
        (
            &["--url", "http://x"][..],
            "required arguments were not provided",
        ),
        (
            &["--name", "ann", "--msgpack"],
            "unexpected argument '--msgpack'",
        ),
        (&["--name", "  "], "--name must not be blank"),
        (
            &["--name", "ann", "--transport", "pigeon"],
            "invalid value 'pigeon' for '--transport <TRANSPORT>'",
        ),
    ] {
        let output = chat_cli(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
    }
}
