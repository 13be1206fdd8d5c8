//! The `signalr-service` binary's command line: `--help` names every option, mistakes fail
//! with status 2, and `--port 0` serves on a free port.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../tests/cli_support.rs"]
mod cli_support;

use cli_support::{fails_saying, first_line, help_contains};

const SERVICE: &str = env!("CARGO_BIN_EXE_signalr-service");

#[test]
fn help_names_every_option() {
    help_contains(
        SERVICE,
        &["--help"],
        &[
            "Usage: signalr-service [OPTIONS] --access-key <KEY>",
            "--port <PORT>",
            "[default: 8080]",
            "--access-key <KEY>",
            "--threads <N>",
            "--allow-origin <ORIGIN>",
            "--help",
        ],
    );
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    fails_saying(
        SERVICE,
        &["--port", "0"],
        &[
            "the following required arguments were not provided",
            "--access-key <KEY>",
        ],
    );
    fails_saying(
        SERVICE,
        &["--port", "eighty", "--access-key", "k"],
        &["invalid value 'eighty' for '--port <PORT>'"],
    );
    fails_saying(
        SERVICE,
        &["--access-key", "k", "--threads", "0"],
        &["invalid value '0' for '--threads <N>'"],
    );
}

#[test]
fn port_0_serves_on_a_free_port() {
    let line = first_line(SERVICE, &["--port", "0", "--access-key", "k"]);
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    assert_ne!(port.parse::<u16>().unwrap(), 0);
}
