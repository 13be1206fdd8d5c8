//! The `interop-server` binary's command line: `--help` names every option and mistakes fail
//! with status 2 (the JavaScript, Python and client tests start it with `--port`, `--wwwroot`,
//! `--redis`, `--jwt-secret` and `--jwks`); a JWKS it cannot use stops it with status 1.

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
        "--jwt-secret <TEXT>",
        "[default: \"interop-server signing key, for tests only\"]",
        "--jwks <FILE>",
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
        let output = interop_server(&["--port", "0", "--jwks", path.to_str().unwrap()]);
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
