//! The `signalr-codegen-ts` binary: writing, `--check`, `--help`, and its exit statuses.

use std::path::Path;
use std::process::Command;

use signalr_codegen_ts::{Contract, Protocol, generate};

use crate::snapshots::{expected_dir, fixture_json};

fn codegen(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_signalr-codegen-ts"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("signalr-codegen-ts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn check_passes_on_the_committed_snapshot_and_fails_once_it_changes() {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        return; // Another test is rewriting the snapshot this one reads.
    }
    let dir = scratch("check");
    let contract = dir.join("contract.json");
    std::fs::write(&contract, fixture_json()).unwrap();
    let expected = expected_dir().join("fixture");
    let common = ["--contract", s(&contract), "--int64", "number"];

    let (code, stderr) = codegen(&[&common[..], &["--out", s(&expected), "--check"]].concat());
    assert_eq!(code, 0, "{stderr}");

    let out = dir.join("out");
    let (code, stderr) = codegen(&[&common[..], &["--out", s(&out), "--check"]].concat());
    assert_eq!(code, 1, "a missing folder is stale: {stderr}");
    assert!(stderr.contains("Fixture.ts"), "{stderr}");

    let (code, stderr) = codegen(&[&common[..], &["--out", s(&out)]].concat());
    assert_eq!(code, 0, "{stderr}");
    for name in ["Fixture.ts", "FixtureClient.ts", "index.ts", "types.ts"] {
        assert_eq!(
            std::fs::read_to_string(out.join(name)).unwrap(),
            std::fs::read_to_string(expected.join(name)).unwrap()
        );
    }

    // An edited file and a leftover generated file are stale; a hand-written file is not.
    let edited = std::fs::read_to_string(out.join("types.ts")).unwrap() + "// edited\n";
    std::fs::write(out.join("types.ts"), edited).unwrap();
    let leftover = format!("{}\nexport {{}};\n", signalr_codegen_ts::BANNER);
    std::fs::write(out.join("Old.ts"), leftover).unwrap();
    std::fs::write(out.join("mine.ts"), "export {};\n").unwrap();
    let (code, stderr) = codegen(&[&common[..], &["--out", s(&out), "--check"]].concat());
    assert_eq!(code, 1);
    assert!(stderr.contains("(types.ts, Old.ts)"), "{stderr}");

    let (code, stderr) = codegen(&[&common[..], &["--out", s(&out)]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(!out.join("Old.ts").exists() && out.join("mine.ts").exists());
    let (code, _) = codegen(&[&common[..], &["--out", s(&out), "--check"]].concat());
    assert_eq!(code, 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn errors_exit_with_two() {
    let dir = scratch("errors");
    let contract = dir.join("contract.json");
    std::fs::write(&contract, fixture_json()).unwrap();
    let (code, stderr) = codegen(&["--contract", s(&contract), "--out", s(&dir.join("out"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--int64 number"), "{stderr}");
    let (code, stderr) = codegen(&["--contract", s(&contract)]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("required arguments were not provided:\n  --out <DIR>"),
        "{stderr}"
    );
    let (code, stderr) = codegen(&["--contract", s(&dir.join("none.json")), "--out", "x"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_names_every_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_signalr-codegen-ts"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{help}");
    for option in [
        "Usage: signalr-codegen-ts [OPTIONS] --contract <FILE> --out <DIR>",
        "--contract <FILE>",
        "--out <DIR>",
        "--check",
        "--int64 <TYPE>",
        "[possible values: number, bigint]",
        "--protocol <PROTOCOL>",
        "[possible values: json, messagepack, both]",
        "Exit status: 0",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn usage_mistakes_exit_with_two() {
    let dir = scratch("usage");
    let contract = dir.join("contract.json");
    std::fs::write(&contract, fixture_json()).unwrap();
    let out = dir.join("out");
    let common = ["--contract", s(&contract), "--out", s(&out)];
    for (extra, expected) in [
        (&["--chek"][..], "unexpected argument '--chek'"),
        (
            &["--int64", "i64"],
            "invalid value 'i64' for '--int64 <TYPE>'",
        ),
        (
            &["--protocol", "xml"],
            "invalid value 'xml' for '--protocol <PROTOCOL>'",
        ),
    ] {
        let (code, stderr) = codegen(&[&common[..], extra].concat());
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(stderr.contains("try '--help'"), "{stderr}");
    }
    // `msgpack` is still another name for `messagepack`: the same files.
    let (code, stderr) =
        codegen(&[&common[..], &["--int64", "number", "--protocol", "msgpack"]].concat());
    assert_eq!(code, 0, "{stderr}");
    let contract = Contract::from_json(&fixture_json()).unwrap();
    let messagepack = generate(&contract, &crate::wire::options(Protocol::MessagePack)).unwrap();
    for (name, text) in messagepack.files() {
        assert_eq!(
            &std::fs::read_to_string(out.join(name)).unwrap(),
            text,
            "{name}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
