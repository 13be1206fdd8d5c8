//! The `signalr-bench` binary's command line: `--help` of every command names its options,
//! mistakes fail with status 2, and `serve` (what `all` and `soak` start) still serves.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tests/cli_support.rs"]
mod cli_support;

use cli_support::first_line;

const BENCH: &str = env!("CARGO_BIN_EXE_signalr-bench");

/// The `--help` of `args`, checked to exit with 0 and to contain every one of `expected`.
fn help_contains(args: &[&str], expected: &[&str]) {
    cli_support::help_contains(BENCH, args, expected);
}

#[test]
fn help_names_every_command_and_option() {
    help_contains(
        &["--help"],
        &["Usage: signalr-bench <COMMAND>", "all", "serve", "soak"],
    );
    help_contains(
        &["all", "--help"],
        &[
            "Usage: signalr-bench all [OPTIONS]",
            "--quick",
            "--pairs <N>",
            "--duration-ms <MS>",
            "--only <TEXT>",
            "--no-pin",
        ],
    );
    help_contains(&["serve", "--help"], &["raw", "hub"]);
    help_contains(&["serve", "raw", "--help"], &["--threads <N>"]);
    help_contains(
        &["serve", "hub", "--help"],
        &[
            "--threads <N>",
            "--redis <URL>",
            "--service <CONNECTION_STRING>",
        ],
    );
    help_contains(
        &["soak", "--help"],
        &[
            "--minutes <N>",
            "[default: 10]",
            "--out <DIR>",
            "[default: target/soak]",
            "--without <KIND>",
            "bursts, storms, slow, bad",
        ],
    );
}

/// Runs `args`, checks that it fails with status 2 and that its error says `expected`.
fn fails_saying(args: &[&str], expected: &str) {
    cli_support::fails_saying(BENCH, args, &[expected]);
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    // No command: the help, on stderr.
    fails_saying(&[], "Usage: signalr-bench <COMMAND>");
    fails_saying(&["bench"], "unrecognized subcommand 'bench'");
    fails_saying(&["all", "--quik"], "unexpected argument '--quik'");
    fails_saying(
        &["all", "--pairs", "many"],
        "invalid value 'many' for '--pairs <N>'",
    );
    fails_saying(&["serve", "tcp"], "unrecognized subcommand 'tcp'");
    // The raw server has no backplane.
    fails_saying(
        &["serve", "raw", "--redis", "redis://x"],
        "unexpected argument '--redis'",
    );
    fails_saying(
        &[
            "serve",
            "raw",
            "--service",
            "Endpoint=http://x;AccessKey=k;",
        ],
        "unexpected argument '--service'",
    );
    // One way out of the process at a time.
    fails_saying(
        &[
            "serve",
            "hub",
            "--redis",
            "redis://x",
            "--service",
            "Endpoint=http://x;AccessKey=k;",
        ],
        "cannot be used with",
    );
    fails_saying(
        &["soak", "--minutes=0"],
        "invalid value '0' for '--minutes <N>'",
    );
    fails_saying(
        &["soak", "--without", "calm"],
        "invalid value 'calm' for '--without <KIND>'",
    );
}

#[test]
fn serve_prints_where_it_listens() {
    for kind in ["raw", "hub"] {
        let line = first_line(BENCH, &["serve", kind, "--threads", "1"]);
        assert!(
            line.starts_with("listening on 127.0.0.1:"),
            "{kind}: {line:?}"
        );
    }
}
