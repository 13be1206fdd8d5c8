#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, golden-byte, end-to-end, trybuild, doc tests), the
# JavaScript interop suite with the official @microsoft/signalr client, and the Python clients
# signalrcore and pysignalr, against the examples; browser scenarios in headless Chromium; the
# TypeScript that signalr-codegen-ts generates (scripts/test-ts.sh); a short run of every fuzz
# target (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server for the Redis backplane tests (tests/js/test/redis.test.mjs, the bench smoke run's
# cross-server row): Debian's package. Every test starts its own redis-server on a free loopback
# port and never uses a shared one.
if [ -z "${REDIS_SERVER:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server is missing: installing Debian's redis-server" >&2
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi
export REDIS_SERVER="${REDIS_SERVER:-$(command -v redis-server)}"

# SIGNALR_TS_CHECK=1: the TypeScript export tests (the chat example's `export_typescript`) check
# that the committed TypeScript is up to date instead of rewriting it.
SIGNALR_TS_CHECK=1 cargo test --workspace

# The benchmark suite's smoke run: every scenario once at small sizes, failing if any message or
# fan-out delivery is lost (correctness only; speed is measured by `signalr-bench all`).
bash scripts/bench-smoke.sh

cargo build -p chat -p interop-server -p progress -p signalr-service
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: installing Debian's nodejs and npm" >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
# Headless Chromium for the browser tests: Debian's package, driven by playwright-core.
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    echo "chromium is missing: installing Debian's chromium" >&2
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
(
    cd tests/js
    npm ci --no-audit --no-fund --loglevel=error
    CHAT_BIN="$PWD/../../target/debug/chat" INTEROP_BIN="$PWD/../../target/debug/interop-server" \
        SERVICE_BIN="$PWD/../../target/debug/signalr-service" \
        PROGRESS_BIN="$PWD/../../target/debug/progress" npm test
)

# TypeScript codegen: committed contracts and generated folders up to date, tsc --strict, the
# negative type test, generated proxies against interop-server, two chat pages in Chromium.
CHAT_BIN="$PWD/target/debug/chat" INTEROP_BIN="$PWD/target/debug/interop-server" bash scripts/test-ts.sh

# Python interop suite: the signalrcore and pysignalr clients (pinned in
# tests/python/requirements.txt) against the chat example, in a venv of its own.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "python3 or its venv module is missing: installing Debian's python3 and python3-venv" >&2
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
fi
if ! tests/python/.venv/bin/python -c '' >/dev/null 2>&1; then
    python3 -m venv --clear tests/python/.venv
fi
tests/python/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
CHAT_BIN="$PWD/target/debug/chat" tests/python/.venv/bin/python -m pytest -q tests/python

# Fuzzing: every cargo-fuzz target in fuzz/ for a few seconds, failing on any crash (FUZZING.md
# has the long runs). Installs cargo-fuzz when missing; runs on the stable toolchain.
bash scripts/fuzz.sh 5
