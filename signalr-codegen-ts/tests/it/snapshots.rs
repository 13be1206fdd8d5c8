//! Snapshots of the fixture's contract and of the TypeScript generated from it.

use std::path::{Path, PathBuf};

use signalr_codegen_ts::{BANNER, Contract, Int64, Options, Protocol, generate};
use signalr_runtime::contract::Manifest;

use crate::fixture::{FixtureClientContract, FixtureContract};

/// `tests/expected` of this crate.
pub(crate) fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected")
}

/// The fixture contract's JSON, as `Manifest::to_json` writes it.
pub(crate) fn fixture_json() -> String {
    Manifest::new()
        .with::<FixtureContract>()
        .with::<FixtureClientContract>()
        .to_json()
        .unwrap()
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1")
}

/// Compares `actual` with the file at `path`, or writes it when updating.
pub(crate) fn assert_snapshot(path: &Path, actual: &str) {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|error| {
        panic!("{}: {error} (UPDATE_SNAPSHOTS=1 writes it)", path.display())
    });
    assert!(
        expected == actual,
        "{} differs from the generated text (UPDATE_SNAPSHOTS=1 rewrites it):\n{actual}",
        path.display()
    );
}

#[test]
fn the_contract_matches_its_snapshot() {
    assert_snapshot(
        &expected_dir().join("fixture.contract.json"),
        &(fixture_json() + "\n"),
    );
}

#[test]
fn the_typescript_matches_its_snapshot() {
    let contract = Contract::from_json(&fixture_json()).unwrap();
    let output = generate(&contract, &crate::wire::options(Protocol::Json)).unwrap();
    let dir = expected_dir().join("fixture");
    if updating() {
        output.write(&dir).unwrap();
    }
    for (name, text) in output.files() {
        assert!(text.starts_with(BANNER), "{name} has no banner");
        assert_snapshot(&dir.join(name), text);
    }
    assert_eq!(output.stale(&dir).unwrap(), Vec::<String>::new());
    assert_eq!(
        output.files().keys().collect::<Vec<_>>(),
        ["Fixture.ts", "FixtureClient.ts", "index.ts", "types.ts"]
    );
}

#[test]
fn wide_integers_are_refused_without_a_mapping() {
    let contract = Contract::from_json(&fixture_json()).unwrap();
    let error = generate(&contract, &Options::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("type `Extras` > property `big`: a 64-bit"),
        "{error}"
    );
    let numbers = generate(&contract, &Options::default().int64(Int64::Number)).unwrap();
    assert!(
        numbers.files()["Fixture.ts"].contains("wide(id: number, delta: number): Promise<number>")
    );
    let bigints = generate(&contract, &Options::default().int64(Int64::BigInt)).unwrap();
    assert!(
        bigints.files()["Fixture.ts"].contains("wide(id: bigint, delta: bigint): Promise<bigint>")
    );
}

#[test]
fn bytes_and_dates_follow_the_protocol() {
    let contract = Contract::from_json(&fixture_json()).unwrap();
    let expect = |protocol: Protocol, bytes: &str, date: &str| {
        let options = Options::default().int64(Int64::Number).protocol(protocol);
        let output = generate(&contract, &options).unwrap();
        let types = &output.files()["types.ts"];
        assert!(
            types.contains(&format!("export type Bytes = {bytes};")),
            "{protocol}: {types}"
        );
        assert!(
            types.contains(&format!("createdAt: {date};")),
            "{protocol}: {types}"
        );
        let hub = &output.files()["Fixture.ts"];
        assert!(
            hub.contains(&format!("blob: Bytes, at: {date}): Promise<{date}>")),
            "{hub}"
        );
    };
    expect(Protocol::Json, "string", "string");
    expect(Protocol::MessagePack, "Uint8Array", "Date");
    expect(Protocol::Both, "string | Uint8Array", "string | Date");
}

#[test]
fn names_that_would_clash_are_refused() {
    let hub = |name: &str, role: &str| serde_json::json!({ "name": name, "role": role, "docs": "", "methods": [] });
    let refused = |hubs: Vec<serde_json::Value>, definitions: serde_json::Value| {
        let json = serde_json::json!({ "hubs": hubs, "definitions": definitions });
        let contract = Contract::from_json(&json.to_string()).unwrap();
        generate(&contract, &Options::default())
            .unwrap_err()
            .to_string()
    };
    let error = refused(
        vec![hub("Chat", "hub")],
        serde_json::json!({ "ChatProxy": { "type": "string" } }),
    );
    assert!(
        error.contains("`ChatProxy` would be exported for both `types.ts` and `Chat`"),
        "{error}"
    );
    let error = refused(
        vec![hub("Chat", "hub"), hub("Chat", "client")],
        serde_json::json!({}),
    );
    assert!(
        error.contains("two files would be named `Chat.ts`"),
        "{error}"
    );
    for name in ["Types", "INDEX", "chat"] {
        let error = refused(
            vec![hub("Chat", "hub"), hub(name, "client")],
            serde_json::json!({}),
        );
        assert!(
            error.contains(&format!("two files would be named `{name}.ts`")),
            "{error}"
        );
    }
    let method = serde_json::json!({ "name": "Send", "kind": "unary", "params": [] });
    let mut chat = hub("Chat", "hub");
    chat["methods"] = serde_json::json!([method]);
    let error = refused(vec![chat], serde_json::json!({}));
    assert!(
        error.contains("`send` in TypeScript, which the proxy already has"),
        "{error}"
    );

    let string = serde_json::json!({ "rust": "String", "schema": { "type": "string" } });
    let mut chat = hub("Chat", "hub");
    chat["methods"] = serde_json::json!([{ "name": "Post", "kind": "unary", "params": [
        { "name": "user_name", "type": string }, { "name": "userName", "type": string }
    ] }]);
    let error = refused(vec![chat], serde_json::json!({}));
    assert!(
        error.contains("method `Post`: two parameters would be `userName`"),
        "{error}"
    );
    let mut client = hub("ChatClient", "client");
    client["methods"] = serde_json::json!([{ "name": "Feed", "kind": "stream", "result": string }]);
    let error = refused(vec![client], serde_json::json!({}));
    assert!(
        error.contains("method `Feed`: a client method cannot stream"),
        "{error}"
    );
}

/// A reserved word names a method as the hub does (`proxy.delete()`, `handlers.import()`): a
/// member name may be one. Only a parameter, which is a variable, gets a `_`.
#[test]
fn reserved_words_stay_method_names() {
    let string = serde_json::json!({ "rust": "String", "schema": { "type": "string" } });
    let json = serde_json::json!({
        "hubs": [
            { "name": "Files", "role": "hub", "docs": "", "methods": [
                { "name": "Delete", "kind": "unary", "params": [{ "name": "new", "type": string }] },
            ] },
            { "name": "FilesClient", "role": "client", "docs": "", "methods": [
                { "name": "import", "kind": "unary", "params": [{ "name": "default", "type": string }] },
            ] },
        ],
        "definitions": {},
    });
    let contract = Contract::from_json(&json.to_string()).unwrap();
    let output = generate(&contract, &Options::default()).unwrap();
    let hub = &output.files()["Files.ts"];
    for line in [
        "      delete: (new_: string): Promise<void> => this.connection.send(\"Delete\", new_),\n",
        "  delete(new_: string): Promise<void> {\n    return this.connection.invoke<void>(\"Delete\", new_);\n",
    ] {
        assert!(hub.contains(line), "{line:?} missing from:\n{hub}");
    }
    let client = &output.files()["FilesClient.ts"];
    for line in [
        "  import(default_: string): void | Promise<void>;\n",
        "    [\"import\", (default_: string) => handlers.import(default_)],\n",
    ] {
        assert!(client.contains(line), "{line:?} missing from:\n{client}");
    }
}
