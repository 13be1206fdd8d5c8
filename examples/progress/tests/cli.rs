//! The `progress` binary's command line: `--help` names every option, mistakes fail with status
//! 2, and the options it is given are the ones it serves with.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/cli_support.rs"]
mod cli_support;

use cli_support::{fails_saying, first_line, help_contains};

const PROGRESS: &str = env!("CARGO_BIN_EXE_progress");

#[test]
fn help_names_every_option() {
    help_contains(
        PROGRESS,
        &["--help"],
        &[
            "Usage: progress [OPTIONS]",
            "--port <P>",
            "[default: 5000]",
            "--step-ms <MS>",
            "[default: 200]",
            "--help",
        ],
    );
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    fails_saying(
        PROGRESS,
        &["--steps", "5"],
        &["unexpected argument '--steps'", "Usage: progress"],
    );
    fails_saying(
        PROGRESS,
        &["--step-ms", "fast"],
        &["invalid value 'fast' for '--step-ms <MS>'"],
    );
}

#[test]
fn port_0_serves_on_a_free_port() {
    let line = first_line(PROGRESS, &["--port", "0", "--step-ms", "10"]);
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    assert_ne!(port.parse::<u16>().unwrap(), 0);
}
