#!/usr/bin/env bash
# A first application outside the repository, as a new user writes it (issue #18, "What it must
# show" item 3): a temporary cargo workspace of two crates,
#
# - `app`: signalr-runtime by path with `schema`, a `#[hub]` and a `#[hub_client]` over a type
#   deriving `JsonSchema`, and the documented export test (signalr-codegen-ts by path, a
#   dev-dependency);
# - `other`: signalr-runtime by path without `schema`, a hub whose parameter and result type
#   has no `JsonSchema`.
#
# Checked: the one documented command (`cargo test export_typescript`, run in `app`) writes the
# contract and the TypeScript; `tsc --strict` accepts them with a page that uses them;
# `cargo build --workspace` compiles `other` with `schema` turned on by `app` (the feature is
# additive); `SIGNALR_TS_CHECK=1` passes while the files are up to date, and after a change to
# the hub fails (non-zero exit, the stale files named) without writing anything.
#
# The builds share the repository's target directory (CARGO_TARGET_DIR) and start from a copy
# of its Cargo.lock, so crates.io dependencies already built with the same versions, features
# and profile are reused. signalr-runtime and the other path crates are compiled once more:
# cargo tells path crates apart by their path relative to the workspace root, so this
# workspace's builds of them sit beside the repository's (and are reused by the next run).
#
# Env: TSC (default tests/ts/node_modules/.bin/tsc, installed by `npm ci` in tests/ts when
# missing), whose `@microsoft/signalr` is tests/ts/node_modules'.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
export CARGO_TARGET_DIR="$target"
unset SIGNALR_TS_CHECK

modules="$root/tests/ts/node_modules"
tsc="${TSC:-$modules/.bin/tsc}"
if [[ ! -x "$tsc" || ! -d "$modules/@microsoft/signalr" ]]; then
    echo "tests/ts/node_modules is missing: npm ci in tests/ts" >&2
    (cd "$root/tests/ts" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/first-app"
mkdir -p "$ws/app/src" "$ws/app/tests" "$ws/app/web" "$ws/other/src"
cp "$root/Cargo.lock" "$ws/Cargo.lock"

# The repository's dev profile, so that dependencies built for it are reused.
cat >"$ws/Cargo.toml" <<'EOF'
[workspace]
resolver = "3"
members = ["app", "other"]

[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
EOF

cat >"$ws/app/Cargo.toml" <<EOF
[package]
name = "app"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
signalr-runtime = { path = "$root/signalr-runtime", features = ["schema"] }
schemars = { version = "1", features = ["derive"] }
serde = { version = "1", features = ["derive"] }

[dev-dependencies]
signalr-codegen-ts = { path = "$root/signalr-codegen-ts" }
EOF

cat >"$ws/app/src/lib.rs" <<'EOF'
//! A shop: clients place orders, and every client hears of each one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use signalr_runtime::{HubCx, HubResult, SignalR, hub, hub_client};

/// An order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// What.
    pub item_name: String,
    /// How many.
    pub quantity: u32,
    /// Anything else.
    pub note: Option<String>,
}

/// What shop clients may call.
#[hub]
pub trait Shop {
    /// Places `order`; everyone hears of it. Returns the number of items.
    async fn place(&self, cx: &HubCx, order: Order) -> HubResult<u32>;
}

/// What the server calls on shop clients.
#[hub_client]
pub trait ShopClient {
    /// Someone placed an order.
    async fn order_placed(&self, order: Order);
}

/// The shop's hub.
#[derive(Debug, Default)]
pub struct Counter;

impl Shop for Counter {
    async fn place(&self, cx: &HubCx, order: Order) -> HubResult<u32> {
        let quantity = order.quantity;
        cx.clients().all().order_placed(order).await?;
        Ok(quantity)
    }
}

/// The application's SignalR endpoints.
pub fn signalr() -> SignalR {
    SignalR::new().hub("/shop", Counter.into_hub())
}
EOF

# The one documented command's test, as the README shows it.
cat >"$ws/app/tests/typescript.rs" <<'EOF'
use app::{ShopClientContract, ShopContract};
use signalr_codegen_ts::{Export, ExportError, Options};

#[test]
fn export_typescript() -> Result<(), ExportError> {
    Export::new("web/generated")
        .with::<ShopContract>()
        .with::<ShopClientContract>()
        .options(Options::default())
        .run()
}
EOF

# A page that uses the generated client.
cat >"$ws/app/web/main.ts" <<'EOF'
import { HubConnectionBuilder } from "@microsoft/signalr";
import { ShopProxy, registerShopClient, type Order } from "./generated/index.js";

const connection = new HubConnectionBuilder().withUrl("/shop").withAutomaticReconnect().build();
const shop = new ShopProxy(connection);
const unregister = registerShopClient(connection, {
  orderPlaced: (order: Order) => console.log(`${order.quantity} × ${order.itemName}`),
});

export async function buyTea(): Promise<number> {
  await connection.start();
  const items: number = await shop.place({ itemName: "tea", quantity: 2, note: null });
  unregister();
  return items;
}
EOF

cat >"$ws/other/Cargo.toml" <<EOF
[package]
name = "other"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
signalr-runtime = { path = "$root/signalr-runtime" }
serde = { version = "1", features = ["derive"] }
EOF

cat >"$ws/other/src/lib.rs" <<'EOF'
//! A crate that never asked for contracts: its hub's types have no JSON Schema.

use serde::{Deserialize, Serialize};
use signalr_runtime::hub;

/// No `JsonSchema` here.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ticket {
    /// Its number.
    pub id: u32,
}

/// A help desk.
#[hub]
pub trait Desk {
    /// Opens `ticket` and returns it.
    async fn open(&self, ticket: Ticket) -> Ticket;
}

/// The help desk's hub.
#[derive(Debug, Default)]
pub struct Clerk;

impl Desk for Clerk {
    async fn open(&self, ticket: Ticket) -> Ticket {
        ticket
    }
}
EOF

cat >"$ws/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "es2022",
    "module": "esnext",
    "moduleResolution": "bundler",
    "lib": ["es2022", "dom"],
    "types": [],
    "skipLibCheck": true,
    "verbatimModuleSyntax": true,
    "noUnusedLocals": true,
    "exactOptionalPropertyTypes": true,
    "paths": { "@microsoft/signalr": ["$modules/@microsoft/signalr"] }
  },
  "include": ["app/web/**/*.ts"]
}
EOF

step() { printf '\n== first app: %s\n' "$*" >&2; }
fail() { echo "first app: $*" >&2; exit 1; }

step "cargo test export_typescript (in app/)"
(cd "$ws/app" && cargo test export_typescript)
for file in contract.json types.ts Shop.ts ShopClient.ts index.ts; do
    [[ -s "$ws/app/web/generated/$file" ]] || fail "app/web/generated/$file was not written"
done
grep -q '"Place"' "$ws/app/web/generated/contract.json" || fail "contract.json lacks Place"
grep -q 'itemName' "$ws/app/web/generated/types.ts" || fail "types.ts lacks Order's itemName"

step "tsc --strict --noEmit"
"$tsc" -p "$ws/tsconfig.json" --strict --noEmit

step "cargo build --workspace (app turns schema on for other too)"
(cd "$ws" && cargo build --workspace)
tree="$(cd "$ws" && cargo tree --workspace -e features -i signalr-runtime)"
grep -qF 'signalr-runtime feature "schema"' <<<"$tree" || fail "schema was not on in the workspace build"

step "SIGNALR_TS_CHECK=1: up to date"
(cd "$ws/app" && SIGNALR_TS_CHECK=1 cargo test export_typescript)

step "SIGNALR_TS_CHECK=1: stale after a change to the hub"
sed -i -e '/^    async fn place(&self, cx: &HubCx, order: Order) -> HubResult<u32>;$/a\
\
    /// Cancels order `id`.\
    async fn cancel(\&self, id: u32) -> bool;' \
    -e '/^impl Shop for Counter {$/a\
    async fn cancel(\&self, _id: u32) -> bool {\
        false\
    }\
' "$ws/app/src/lib.rs"
grep -q 'async fn cancel(&self, id: u32) -> bool;' "$ws/app/src/lib.rs" || fail "the hub was not changed"
before="$(cd "$ws/app/web/generated" && sha256sum -- *)"
status=0
output="$(cd "$ws/app" && SIGNALR_TS_CHECK=1 cargo test export_typescript 2>&1)" || status=$?
echo "$output" >&2
[[ "$status" -ne 0 ]] || fail "the check passed after the hub changed"
for name in Shop.ts contract.json 'SIGNALR_TS_CHECK' 'cargo test export_typescript'; do
    grep -qF -- "$name" <<<"$output" || fail "the check's failure does not mention $name"
done
[[ "$(cd "$ws/app/web/generated" && sha256sum -- *)" == "$before" ]] || fail "the check wrote files"

step "the one command again brings them up to date"
(cd "$ws/app" && cargo test export_typescript)
grep -q 'cancel(id: number): Promise<boolean>' "$ws/app/web/generated/Shop.ts" ||
    fail "Shop.ts lacks cancel"
(cd "$ws/app" && SIGNALR_TS_CHECK=1 cargo test export_typescript)
"$tsc" -p "$ws/tsconfig.json" --strict --noEmit

echo "first app: ok" >&2
