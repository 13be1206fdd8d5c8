//! The `signalr-bench` binary's command line: `--help` of every command names its options,
//! mistakes fail with status 2, and `serve` (what `all` and `soak` start) still serves.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Output, Stdio};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_signalr-bench"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `--help` of `args`, checked to exit with 0 and to contain every one of `expected`.
fn help_contains(args: &[&str], expected: &[&str]) {
    let output = bench(args);
    let help = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {help}");
    for option in expected {
        assert!(
            help.contains(option),
            "{args:?}: {option} missing from:\n{help}"
        );
    }
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
        &["--threads <N>", "--redis <URL>"],
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
    let output = bench(args);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
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
        let mut child = Command::new(env!("CARGO_BIN_EXE_signalr-bench"))
            .args(["serve", kind, "--threads", "1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            line.starts_with("listening on 127.0.0.1:"),
            "{kind}: {line:?}"
        );
    }
}
