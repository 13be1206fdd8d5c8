#!/usr/bin/env bash
# Builds signalr-bench and signalr-service (which the rows through the service start, from the
# same target directory) and runs the bench's short smoke run: every scenario once against the
# raw baseline and the hub, at small sizes. It checks that every message and every fan-out
# delivery arrived (the run exits 1 otherwise), not how fast: CI machines are too noisy for that.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p signalr-service
exec cargo run -q -p signalr-bench -- all --quick "$@"
