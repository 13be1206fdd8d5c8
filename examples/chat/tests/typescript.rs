//! The chat page's TypeScript, exported from the hub's traits in one step:
//! `cargo test -p chat export_typescript` writes `web/contract.json` and `web/generated/`
//! (commit both); with `SIGNALR_TS_CHECK=1` it writes nothing and fails when they are stale,
//! which `scripts/test-ts.sh` (CI) checks.

// The binary's hub module, compiled into this test: a binary crate has no library to import
// it from. Only its traits' contracts are used here.
#[allow(dead_code)]
#[path = "../src/hub.rs"]
mod hub;

use signalr_codegen_ts::{Export, ExportError, Int64, Options};

#[test]
fn export_typescript() -> Result<(), ExportError> {
    Export::new("web/generated")
        // Where it has always been, and where `chat --write-contract` writes it.
        .contract_path("web/contract.json")
        .with::<hub::ChatContract>()
        .with::<hub::ChatClientContract>()
        // `Roll` returns a `u64` that stays far below 2^53 (at most the number of sides, a `u32`).
        .options(Options::default().int64(Int64::Number))
        .run()
}
