#!/usr/bin/env bash
# TypeScript codegen checks: the committed contracts, generated folders and chat bundle are up to
# date, then tests/ts (tsc --strict over every generated folder, the negative type test, the
# Node runtime test against interop-server on JSON and MessagePack, and two chat pages in
# headless Chromium), then a first application outside the workspace
# (scripts/test-first-app.sh).
#
# Env: CHAT_BIN and INTEROP_BIN (debug binaries; built here when unset), CHROMIUM (default
# /usr/bin/chromium, installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

if [[ -z "${CHAT_BIN:-}" || -z "${INTEROP_BIN:-}" ]]; then
    cargo build -p chat -p interop-server
    target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    export CHAT_BIN="${CHAT_BIN:-$target/debug/chat}"
    export INTEROP_BIN="${INTEROP_BIN:-$target/debug/interop-server}"
fi
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

# The chat page's contract and TypeScript, as its export test writes them
# (examples/chat/tests/typescript.rs; SIGNALR_TS_CHECK=1 compares instead of writing). A
# `cargo test` of chat run earlier without SIGNALR_TS_CHECK has rewritten them already, and
# this then finds nothing: in CI every `cargo test` should set it. The whole test target, with
# no name filter: a filter that matched no test (after a rename) would pass without checking.
SIGNALR_TS_CHECK=1 cargo test -q -p chat --test typescript

# `chat --write-contract` writes the same contract. interop-server's is checked by its test
# (examples/interop-server/tests/contract.rs, run by `cargo test --workspace`).
contract="$(mktemp)"
trap 'rm -f "$contract"' EXIT
"$CHAT_BIN" --write-contract "$contract"
if ! cmp -s "$contract" examples/chat/web/contract.json; then
    echo "examples/chat/web/contract.json differs from \`chat --write-contract\`: rebuild chat (CHAT_BIN=$CHAT_BIN), or run \`cargo test -p chat export_typescript\`" >&2
    exit 1
fi

# The folders generated with the command line.
codegen() { cargo run -q -p signalr-codegen-ts -- "$@"; }
codegen --check --contract examples/interop-server/contract.json --out tests/ts/generated/interop-json --protocol json
codegen --check --contract examples/interop-server/contract.json --out tests/ts/generated/interop-msgpack --protocol messagepack

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: installing Debian's nodejs and npm" >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [[ ! -x "$CHROMIUM" ]]; then
    echo "$CHROMIUM is missing: installing Debian's chromium" >&2
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
cd "$root/tests/ts"
npm ci --no-audit --no-fund --loglevel=error
npm test

# A first application in a temporary folder: the one documented command, tsc --strict, and
# the `schema` feature turned on elsewhere in its workspace.
bash "$root/scripts/test-first-app.sh"
