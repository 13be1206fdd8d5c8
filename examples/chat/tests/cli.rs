//! The `chat` binary's command line: `--help` names every option, mistakes fail with status 2,
//! and `--write-contract` does what it says.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/cli_support.rs"]
mod cli_support;

use cli_support::{fails_saying, help_contains, run, text};

const CHAT: &str = env!("CARGO_BIN_EXE_chat");

fn chat(args: &[&str]) -> std::process::Output {
    run(CHAT, args)
}

#[test]
fn help_names_every_option() {
    help_contains(
        CHAT,
        &["--help"],
        &[
            "Usage: chat [OPTIONS]",
            "--port <P>",
            "[default: 5000]",
            "--detailed-errors",
            "--write-contract <FILE>",
            "--redis <URL>",
            "--help",
        ],
    );
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    fails_saying(
        CHAT,
        &["--bogus"],
        &["unexpected argument '--bogus'", "Usage: chat"],
    );
    fails_saying(
        CHAT,
        &["--port", "http"],
        &["invalid value 'http' for '--port <P>'"],
    );
    fails_saying(CHAT, &["--redis"], &["'--redis <URL>'"]);
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
