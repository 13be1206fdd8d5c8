#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (see FUZZING.md) for SECONDS each, one after another:
#
#     scripts/fuzz.sh [SECONDS] [TARGET...]      # default: 10 seconds, every target
#
# Installs cargo-fuzz if it is missing and builds every target once. Runs on the stable toolchain
# (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags). The committed seeds in
# fuzz/corpus/TARGET are read but never written: what a run discovers goes to a scratch corpus
# (FUZZ_WORK, default a temporary folder). FUZZ_ARGS adds libFuzzer options, such as
# FUZZ_ARGS=-runs=10000000 to stop after that many executions (or SECONDS, whichever comes first).
# Exits 1 if any target crashed; the input that did is in fuzz/artifacts/TARGET/, and FUZZING.md
# says how to turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
if [ "$#" -gt 0 ]; then shift; fi
case "$seconds" in
'' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: installing it" >&2
    cargo install cargo-fuzz --locked
fi

cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# One build of every target; each run below then finds it up to date.
cargo fuzz build

work="${FUZZ_WORK:-$(mktemp -d)}"
failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    log="$work/$target.log"
    echo "== $target: $seconds s"
    status=0
    # New inputs go to the first folder (scratch); the seeds are only read.
    cargo fuzz run "$target" "$work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1 ||
        status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    # libFuzzer's last status line: "#N DONE cov: C ft: F corp: UNITS/SIZE ...".
    corpus=$(sed -n 's/.*DONE.*corp: \([^ ]*\).*/\1/p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        grep -E "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written to" "$log" >&2 || tail -n 30 "$log" >&2
        summary+=("$target: CRASHED (exit $status), log $log")
    else
        summary+=("$target: ${runs:-?} executions, ${speed:-?} exec/s, corpus ${corpus:-?}")
    fi
done

echo
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
