#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, golden-byte, end-to-end, doc tests) and the
# JavaScript interop suite with the official @microsoft/signalr client against the chat example.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace

cargo build -p chat
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: installing Debian's nodejs and npm" >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
(
    cd tests/js
    npm ci --no-audit --no-fund --loglevel=error
    CHAT_BIN="$PWD/../../target/debug/chat" npm test
)
