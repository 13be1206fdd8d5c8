//! The chat session: what the room sends is printed, what the user types is sent.

use std::time::Duration;

use signalr_runtime::client::{ClientError, ConnectionState, ExponentialBackoff, HubConnection};
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _};
use tokio::sync::mpsc;

use crate::args::Args;
use crate::hub::{ChatClient, ChatClientHandlers, ChatProxy};

/// Prints what the room sends.
struct Printer(mpsc::UnboundedSender<String>);

impl ChatClient for Printer {
    async fn receive_message(&self, user: String, text: String) {
        let _ = self.0.send(format!("{user}: {text}"));
    }

    async fn user_joined(&self, name: String) {
        let _ = self.0.send(format!("* {name} joined"));
    }
}

/// The connection the arguments describe (not started).
pub(crate) fn connection(args: &Args) -> Result<HubConnection, ClientError> {
    let mut builder = HubConnection::builder(&args.url)
        .protocol(args.protocol)
        .with_reconnect_policy(
            ExponentialBackoff::new(Duration::from_millis(500), Duration::from_secs(10))
                .give_up_after(Duration::from_secs(120)),
        );
    if let Some(transport) = args.transport {
        builder = builder.transports([transport]);
    }
    if let Some(path) = &args.ca {
        let pem = std::fs::read(path)
            .map_err(|error| ClientError::Tls(format!("reading {path}: {error}")))?;
        builder = builder.add_root_certificate(pem);
    }
    builder.build()
}

/// Joins the room as `name`, then sends every line of `input` until `/quit` or its end.
/// Everything to show goes to `output`, one line each.
pub(crate) async fn run(
    connection: &HubConnection,
    name: &str,
    input: impl AsyncBufRead + Unpin,
    output: mpsc::UnboundedSender<String>,
) -> Result<(), ClientError> {
    ChatClientHandlers(Printer(output.clone())).register(connection);
    let reconnecting = output.clone();
    connection.on_reconnecting(move |error| {
        let _ = reconnecting.send(format!("* connection lost ({error}), reconnecting..."));
    });
    let reconnected = output.clone();
    connection.on_reconnected(move |_| {
        let _ = reconnected.send("* reconnected".to_owned());
    });
    connection.start().await?;
    let closed = output.clone();
    connection.on_closed(move |error| {
        let _ = closed.send(match error {
            Some(error) => format!("* connection closed: {error}"),
            None => "* connection closed".to_owned(),
        });
    });
    let chat = ChatProxy::new(connection);
    let result = talk(connection, &chat, name, input, &output).await;
    connection.stop().await;
    result
}

async fn talk(
    connection: &HubConnection,
    chat: &ChatProxy,
    name: &str,
    input: impl AsyncBufRead + Unpin,
    output: &mpsc::UnboundedSender<String>,
) -> Result<(), ClientError> {
    let _ = output.send(chat.join(name.to_owned()).await?);
    let mut lines = input.lines();
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|error| ClientError::Transport(format!("reading input: {error}")))?
    {
        let line = line.trim();
        if line == "/quit" {
            break;
        }
        if let Some(sides) = line.strip_prefix("/roll") {
            let reply = match sides.trim().parse() {
                Ok(sides) => match chat.roll(sides).await {
                    Ok(number) => format!("* rolled {number}"),
                    Err(error) => format!("* the roll failed: {error}"),
                },
                Err(_) => "* usage: /roll SIDES".to_owned(),
            };
            let _ = output.send(reply);
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if let Err(error) = chat.send_message(name.to_owned(), line.to_owned()).await {
            // While reconnecting the session goes on; once the connection is closed for
            // good, there is nothing left to send on.
            if connection.state() == ConnectionState::Disconnected {
                return Err(error);
            }
            let _ = output.send(format!("* not sent: {error}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use signalr_runtime::SignalR;
    use signalr_runtime::Transport;
    use signalr_runtime::protocol::Protocol;

    use std::sync::{Arc, Mutex};

    use tokio::io::AsyncWriteExt as _;
    use tokio::task::JoinHandle;

    use super::*;
    use crate::hub::{Chat as _, ChatRoom};

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

    async fn chat_session(protocol: Protocol, transport: Option<Transport>) {
        let url = serve_chat().await;
        let args = Args {
            url,
            name: "ann".to_owned(),
            protocol,
            transport,
            ca: None,
        };
        // Another member of the room, to see what ann sends.
        let observer = connection(&args).unwrap();
        let (seen_tx, mut seen) = mpsc::unbounded_channel();
        ChatClientHandlers(Printer(seen_tx)).register(&observer);
        observer.start().await.unwrap();

        let ann = connection(&args).unwrap();
        let (output, mut printed) = mpsc::unbounded_channel();
        let input: &[u8] = b"hello room\n/roll 6\n/roll x\n/quit\nnot sent\n";
        run(&ann, "ann", input, output).await.unwrap();

        let printed: Vec<String> = std::iter::from_fn(|| printed.try_recv().ok()).collect();
        assert_eq!(printed[0], "Welcome, ann!");
        assert!(
            printed.contains(&"ann: hello room".to_owned()),
            "{printed:?}"
        );
        let roll = printed
            .iter()
            .find(|line| line.starts_with("* rolled "))
            .unwrap();
        let number: u32 = roll["* rolled ".len()..].parse().unwrap();
        assert!((1..=6).contains(&number));
        assert!(printed.contains(&"* usage: /roll SIDES".to_owned()));
        assert!(!printed.iter().any(|line| line.contains("not sent")));

        assert_eq!(seen.recv().await.unwrap(), "* ann joined");
        assert_eq!(seen.recv().await.unwrap(), "ann: hello room");
        observer.stop().await;
    }

    /// A TCP relay to `target` whose connections can all be cut at once.
    async fn relay(target: String) -> (String, Arc<Mutex<Vec<JoinHandle<()>>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let links = Arc::new(Mutex::new(Vec::new()));
        let kept = links.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let link = tokio::spawn(async move {
                    let mut server = tokio::net::TcpStream::connect(target).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                kept.lock().unwrap().push(link);
            }
        });
        (format!("http://127.0.0.1:{port}/chat"), links)
    }

    async fn line_starting(printed: &mut mpsc::UnboundedReceiver<String>, start: &str) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(10), printed.recv())
                .await
                .unwrap_or_else(|_| panic!("no line starting with {start:?}"))
                .unwrap();
            if line.starts_with(start) {
                return line;
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_line_typed_while_reconnecting_is_reported_and_the_session_goes_on() {
        let chat = serve_chat().await;
        let target = chat["http://".len()..chat.len() - "/chat".len()].to_owned();
        let (url, links) = relay(target).await;
        let args = Args {
            url,
            name: "ann".to_owned(),
            protocol: Protocol::Json,
            transport: Some(Transport::WebSockets),
            ca: None,
        };
        let ann = connection(&args).unwrap();
        let (mut typing, input) = tokio::io::duplex(1024);
        let (output, mut printed) = mpsc::unbounded_channel();
        let session = tokio::spawn({
            let ann = ann.clone();
            async move { run(&ann, "ann", tokio::io::BufReader::new(input), output).await }
        });
        line_starting(&mut printed, "Welcome").await;
        for link in links.lock().unwrap().drain(..) {
            link.abort();
        }
        line_starting(&mut printed, "* connection lost").await;
        typing.write_all(b"while away\n").await.unwrap();
        line_starting(&mut printed, "* not sent").await;
        line_starting(&mut printed, "* reconnected").await;
        typing.write_all(b"back\n/quit\n").await.unwrap();
        line_starting(&mut printed, "ann: back").await;
        let ended = tokio::time::timeout(Duration::from_secs(10), session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ended, Ok(()));
    }

    #[tokio::test]
    async fn a_session_over_websockets_with_json() {
        chat_session(Protocol::Json, None).await;
    }

    #[tokio::test]
    async fn a_session_over_server_sent_events_with_json() {
        chat_session(Protocol::Json, Some(Transport::ServerSentEvents)).await;
    }

    #[tokio::test]
    async fn a_session_over_long_polling_with_messagepack() {
        chat_session(Protocol::MessagePack, Some(Transport::LongPolling)).await;
    }
}
