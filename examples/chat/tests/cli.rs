//! The `chat` binary's command line: `--help` names every option, mistakes fail with status 2,
//! and `--write-contract` does what it says.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn chat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_names_every_option() {
    let output = chat(&["--help"]);
    let help = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{help}");
    for option in [
        "Usage: chat [OPTIONS]",
        "--port <P>",
        "[default: 5000]",
        "--detailed-errors",
        "--write-contract <FILE>",
        "--redis <URL>",
        "--help",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    let output = chat(&["--bogus"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unexpected argument '--bogus'"), "{stderr}");
    assert!(stderr.contains("Usage: chat"), "{stderr}");

    let output = chat(&["--port", "http"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'http' for '--port <P>'"),
        "{stderr}"
    );

    let output = chat(&["--redis"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'--redis <URL>'"), "{stderr}");
}

#[test]
fn write_contract_writes_the_hub_contract_and_exits() {
    let path = std::env::temp_dir().join(format!("chat-cli-contract-{}.json", std::process::id()));
    // The last of a repeated option counts, as it always has.
    let output = chat(&[
        "--port",
        "1",
        "--port",
        "0",
        "--write-contract",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "it never listened");
    let contract = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(contract.contains("\"hubs\""), "{contract}");
    assert!(contract.contains("\"SendMessage\""), "{contract}");
}
