//! The `progress` binary's command line: `--help` names every option, mistakes fail with status
//! 2, and the options it is given are the ones it serves with.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Output, Stdio};

fn progress(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_progress"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_names_every_option() {
    let output = progress(&["--help"]);
    let help = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{help}");
    for option in [
        "Usage: progress [OPTIONS]",
        "--port <P>",
        "[default: 5000]",
        "--step-ms <MS>",
        "[default: 200]",
        "--help",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    let output = progress(&["--steps", "5"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unexpected argument '--steps'"), "{stderr}");
    assert!(stderr.contains("Usage: progress"), "{stderr}");

    let output = progress(&["--step-ms", "fast"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'fast' for '--step-ms <MS>'"),
        "{stderr}"
    );
}

#[test]
fn port_0_serves_on_a_free_port() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_progress"))
        .args(["--port", "0", "--step-ms", "10"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    assert_ne!(port.parse::<u16>().unwrap(), 0);
}
