//! Command-line arguments.

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{CommandFactory as _, Parser, error::ErrorKind};
use signalr_runtime::Transport;
use signalr_runtime::protocol::Protocol;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Args {
    pub(crate) url: String,
    pub(crate) name: String,
    pub(crate) protocol: Protocol,
    pub(crate) transport: Option<Transport>,
    /// A PEM file of certificate authorities to trust for an `https://` URL, beside the usual
    /// ones (a private CA).
    pub(crate) ca: Option<String>,
}

/// A command-line client for the chat example: every line typed is sent to the room, `/roll N`
/// rolls an N-sided die on the server, `/quit` (or the end of input) leaves.
#[derive(Debug, Parser)]
#[command(name = "chat-cli", version, args_override_self = true)]
struct Cli {
    /// The name to chat as.
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The chat hub's URL (`https://` too).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:5000/chat")]
    url: String,
    /// Speak the MessagePack hub protocol instead of JSON.
    #[arg(long)]
    messagepack: bool,
    /// Use only this transport (any case), instead of negotiating the best one.
    #[arg(
        long,
        value_name = "TRANSPORT",
        ignore_case = true,
        value_parser = PossibleValuesParser::new(Transport::ALL.map(Transport::name))
            .try_map(|name| transport(&name).ok_or(format!("unknown transport: {name}"))),
    )]
    transport: Option<Transport>,
    /// A PEM file of certificate authorities to trust for an `https://` URL, beside the usual
    /// ones (a private CA).
    #[arg(long, value_name = "PEM_FILE")]
    ca: Option<String>,
}

/// The transport called `name`, ignoring case.
fn transport(name: &str) -> Option<Transport> {
    Transport::ALL
        .into_iter()
        .find(|transport| transport.name().eq_ignore_ascii_case(name))
}

/// Parses the arguments after the program name; `--help`, `--version` and mistakes come back
/// as the error to show (`clap::Error::exit`).
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
    let cli = Cli::try_parse_from(std::iter::once("chat-cli".to_owned()).chain(args))?;
    if cli.name.trim().is_empty() {
        return Err(Cli::command().error(ErrorKind::InvalidValue, "--name must not be blank"));
    }
    Ok(Args {
        url: cli.url,
        name: cli.name,
        protocol: if cli.messagepack {
            Protocol::MessagePack
        } else {
            Protocol::Json
        },
        transport: cli.transport,
        ca: cli.ca,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn arguments() {
        let args = parse(strings(&[
            "--name",
            "ann",
            "--messagepack",
            "--transport",
            "longpolling",
            "--ca",
            "ca.pem",
        ]))
        .unwrap();
        assert_eq!(args.ca.as_deref(), Some("ca.pem"));
        assert_eq!(args.name, "ann");
        assert_eq!(args.protocol, Protocol::MessagePack);
        assert_eq!(args.transport, Some(Transport::LongPolling));
        assert_eq!(args.url, "http://127.0.0.1:5000/chat");
        assert!(parse(strings(&[])).is_err());
        assert!(parse(strings(&["--name", " "])).is_err());
        assert!(parse(strings(&["--name", "ann", "--bogus"])).is_err());
        assert!(parse(strings(&["--url"])).is_err());
        assert!(parse(strings(&["--name", "ann", "--transport", "carrier-pigeon"])).is_err());
    }
}
