//! The `interop-server` binary's command line: `--help` names every option and mistakes fail
//! with status 2 (the JavaScript, Python and client tests start it with `--port`, `--wwwroot`,
//! `--redis`, `--service`, `--jwt-secret` and `--jwks`); a JWKS or a service connection string it
//! cannot use stops it with status 1.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/cli_support.rs"]
mod cli_support;

use cli_support::{fails_saying, help_contains, run, text};

const INTEROP_SERVER: &str = env!("CARGO_BIN_EXE_interop-server");

#[test]
fn help_names_every_option() {
    help_contains(
        INTEROP_SERVER,
        &["--help"],
        &[
            "Usage: interop-server [OPTIONS]",
            "--port <PORT>",
            "[default: 5000]",
            "--wwwroot <DIR>",
            "--redis <URL>",
            "--service <CONNECTION_STRING>",
            "--jwt-secret <TEXT>",
            "[default: \"interop-server signing key, for tests only\"]",
            "--jwks <FILE>",
            "--help",
        ],
    );
}

#[test]
fn mistakes_fail_with_status_2_and_say_what_was_wrong() {
    fails_saying(
        INTEROP_SERVER,
        &["--www-root", "."],
        &["unexpected argument '--www-root'", "Usage: interop-server"],
    );
    fails_saying(
        INTEROP_SERVER,
        &["--port", "65536"],
        &["invalid value '65536' for '--port <PORT>'"],
    );
    fails_saying(
        INTEROP_SERVER,
        &["--port", "0", "--wwwroot"],
        &["'--wwwroot <DIR>'"],
    );
    fails_saying(
        INTEROP_SERVER,
        &[
            "--redis",
            "redis://127.0.0.1:1",
            "--service",
            "Endpoint=http://a;AccessKey=k;",
        ],
        &["'--redis <URL>' cannot be used with '--service <CONNECTION_STRING>'"],
    );
}

#[test]
fn a_connection_string_it_cannot_use_stops_the_server_with_status_1() {
    let output = run(
        INTEROP_SERVER,
        &["--port", "0", "--service", "Endpoint=ftp://a;AccessKey=k;"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("invalid service connection string"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_jwks_it_cannot_use_stops_the_server_with_status_1() {
    let folder = std::env::temp_dir().join(format!("interop-server-cli-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let cases = [
        ("missing.json", None, "cannot read"),
        ("not-json.json", Some("not json"), "is not a JWKS"),
        (
            "no-kid.json",
            Some(r#"{"keys":[{"kty":"RSA","n":"sXch","e":"AQAB"}]}"#),
            "a key has no \"kid\"",
        ),
        (
            "secret.json",
            Some(r#"{"keys":[{"kty":"oct","kid":"k1","k":"c2VjcmV0"}]}"#),
            "key \"k1\": not an RSA key",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = folder.join(name);
        if let Some(contents) = contents {
            std::fs::write(&path, contents).unwrap();
        }
        let output = run(
            INTEROP_SERVER,
            &["--port", "0", "--jwks", path.to_str().unwrap()],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.starts_with("interop-server: "), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            text(&output.stdout).is_empty(),
            "{name}: it must not listen"
        );
    }
    std::fs::remove_dir_all(&folder).unwrap();
}
