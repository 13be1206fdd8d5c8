//! What the per-binary command-line tests share (`examples/*/tests/cli.rs`,
//! `signalr-bench/tests/cli.rs`, each including this file with `#[path]`): running the binary,
//! checking its `--help` and its refusals, and reading the first line a server prints.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Output, Stdio};

/// Runs `bin` with `args` to its end.
pub(crate) fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().unwrap()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks that `bin args` (a `--help`) exits with 0 and prints every one of `expected`.
pub(crate) fn help_contains(bin: &str, args: &[&str], expected: &[&str]) {
    let output = run(bin, args);
    let help = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {help}");
    for option in expected {
        assert!(
            help.contains(option),
            "{args:?}: {option} missing from:\n{help}"
        );
    }
}

/// Checks that `bin args` fails with status 2 and that its error says every one of `expected`.
pub(crate) fn fails_saying(bin: &str, args: &[&str], expected: &[&str]) {
    let output = run(bin, args);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    for part in expected {
        assert!(
            stderr.contains(part),
            "{args:?}: {part} missing from:\n{stderr}"
        );
    }
}

/// Starts `bin args`, reads the first line it prints, and ends it.
pub(crate) fn first_line(bin: &str, args: &[&str]) -> String {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    child.kill().unwrap();
    child.wait().unwrap();
    read.unwrap();
    line
}
