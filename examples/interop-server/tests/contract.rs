//! The test hub's contract, committed as `contract.json` for `signalr-codegen-ts` (the
//! TypeScript suite in `tests/ts` generates its typed proxies from it).
//!
//! The test compares the committed file with the contract of the compiled hub; run it with
//! `UPDATE_SNAPSHOTS=1` to rewrite the file after changing the hub.

// The binary's modules, compiled again here for their contract types; nothing runs them.
#[allow(dead_code)]
#[path = "../src/hub.rs"]
mod hub;
#[allow(dead_code)]
#[path = "../src/types.rs"]
mod types;

use signalr_runtime::contract::Manifest;

#[test]
fn the_committed_contract_is_up_to_date() {
    let json = Manifest::new()
        .with::<hub::TestContract>()
        .with::<hub::TestClientContract>()
        .to_json()
        .unwrap()
        + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/contract.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1") {
        std::fs::write(path, &json).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == json,
        "{path} is stale: rerun this test with UPDATE_SNAPSHOTS=1 (and regenerate tests/ts)"
    );
    assert!(json.contains("\"name\": \"StreamingConcat\""));
}
