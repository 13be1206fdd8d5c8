#!/usr/bin/env bash
# Builds signalr-bench and runs its short smoke run: every scenario once against the raw
# baseline and the hub, at small sizes. It checks that every message and every fan-out
# delivery arrived (the run exits 1 otherwise), not how fast: CI machines are too noisy for that.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run -q -p signalr-bench -- all --quick "$@"
