//! Command-line arguments.

use signalr_runtime::Transport;
use signalr_runtime::protocol::Protocol;

pub(crate) const USAGE: &str = "usage: chat-cli --name NAME [--url URL] [--messagepack] \
     [--transport WebSockets|ServerSentEvents|LongPolling] [--ca PEM_FILE]";

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

/// Parses the arguments after the program name.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        url: "http://127.0.0.1:5000/chat".to_owned(),
        name: String::new(),
        protocol: Protocol::Json,
        transport: None,
        ca: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => parsed.url = args.next().ok_or("--url needs a value")?,
            "--name" => parsed.name = args.next().ok_or("--name needs a value")?,
            "--messagepack" => parsed.protocol = Protocol::MessagePack,
            "--ca" => parsed.ca = Some(args.next().ok_or("--ca needs a file")?),
            "--transport" => {
                let name = args.next().ok_or("--transport needs a value")?;
                let transport = Transport::ALL
                    .into_iter()
                    .find(|transport| transport.name().eq_ignore_ascii_case(&name))
                    .ok_or_else(|| format!("unknown transport: {name}"))?;
                parsed.transport = Some(transport);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    if parsed.name.trim().is_empty() {
        return Err("--name is required".to_owned());
    }
    Ok(parsed)
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
        assert!(parse(strings(&["--name", "ann", "--bogus"])).is_err());
        assert!(parse(strings(&["--url"])).is_err());
        assert!(parse(strings(&["--name", "ann", "--transport", "carrier-pigeon"])).is_err());
    }
}
