//! A command-line chat client for the chat example (`cargo run -p chat`), built on
//! `signalr-runtime`'s Rust client and the typed proxies `#[hub]` and `#[hub_client]` generate
//! from the chat example's own traits.
//!
//! ```text
//! cargo run -p chat-cli -- --name alice [--url http://127.0.0.1:5000/chat] [--messagepack]
//!     [--transport WebSockets|ServerSentEvents|LongPolling] [--ca PEM_FILE]
//! ```
//!
//! `--help` says what each option does.
//!
//! Every line typed is sent to the room; `/roll N` rolls an N-sided die on the server; `/quit`
//! (or the end of input) leaves. Messages from the room are printed as they arrive. A lost
//! connection is retried with exponential backoff.

mod args;
mod chat;
// The chat example is a binary, so its traits cannot be imported; its hub module is compiled
// here as well, unchanged: the client uses exactly the traits the server implements.
#[allow(dead_code, unreachable_pub)]
#[path = "../../chat/src/hub.rs"]
mod hub;

use std::process::ExitCode;

use tokio::io::BufReader;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> ExitCode {
    // `--help` and `--version` print and exit with 0, a mistake with 2.
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    let connection = match chat::connection(&args) {
        Ok(connection) => connection,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let (lines, mut printed) = mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        while let Some(line) = printed.recv().await {
            println!("{line}");
        }
    });
    let input = BufReader::new(tokio::io::stdin());
    let result = chat::run(&connection, &args.name, input, lines).await;
    // The connection's handlers and callbacks hold senders of `lines`: the printer sees the
    // end of its channel only once the connection is gone.
    drop(connection);
    let _ = printer.await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
