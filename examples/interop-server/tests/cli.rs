//! The `interop-server` binary's command line: `--help` names every option and mistakes fail
//! with status 2 (the JavaScript, Python and client tests start it with `--port`, `--wwwroot`
//! and `--redis`).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn interop_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interop-server"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_names_every_option() {
    let output = interop_server(&["--help"]);
    let help = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{help}");
    for option in [
        "Usage: interop-server [OPTIONS]",
        "--port <PORT>",
        "[default: 5000]",
        "--wwwroot <DIR>",
        "--redis <URL>",
        "--help",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    let output = interop_server(&["--www-root", "."]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unexpected argument '--www-root'"),
        "{stderr}"
    );
    assert!(stderr.contains("Usage: interop-server"), "{stderr}");

    let output = interop_server(&["--port", "65536"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value '65536' for '--port <PORT>'"),
        "{stderr}"
    );

    let output = interop_server(&["--port", "0", "--wwwroot"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'--wwwroot <DIR>'"), "{stderr}");
}
