//! With the `schema` feature on, a hub whose types lack `JsonSchema` still compiles: its
//! contract names those types without a schema (a generator refuses them), and describes the
//! others fully.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use signalr_runtime::contract::Manifest;
use signalr_runtime::hub;

/// Has a schema.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Described {
    name: String,
}

/// Has none.
#[derive(Serialize, Deserialize)]
struct Opaque(u32);

#[hub]
trait Vault {
    async fn store(&self, item: Opaque, label: Described) -> u32;
    async fn fetch(&self, id: u32) -> Opaque;
}

fn main() {
    let manifest = Manifest::new().with::<VaultContract>();
    let methods = &manifest.hubs()[0].methods;
    let store = &methods[0];
    assert!(store.params[0].ty.schema.is_none(), "Opaque has no schema");
    assert!(store.params[1].ty.schema.is_some(), "Described has one");
    assert!(store.result.as_ref().unwrap().schema.is_some(), "u32 has one");
    assert!(methods[1].result.as_ref().unwrap().schema.is_none(), "Opaque has no schema");
}
