#!/usr/bin/env bash
# Packages the publishable library crates as `cargo publish` would, and verifies the packages:
# each .crate file is unpacked under target/package/ and built from its own files alone, with
# every feature on (as docs.rs builds it). The three are packaged together, so signalr-runtime's
# dependency on signalr-macros (and signalr-codegen-ts's on signalr-runtime, for its `export`)
# resolves to the .crate just made, through the temporary local registry that cargo (1.90 and
# later) sets up for a multi-package `cargo package`; all other dependencies come from crates.io.
#
# Verified: the file list (sources, tests, README, both licence texts), that each manifest can
# be published (every path dependency carries a version), and that each library and binary
# builds from the package. Not verified here: the packages' tests, benches and doc tests (the
# workspace's own runs cover the same files), and what only crates.io checks at upload (category
# slugs, names not taken). Run it from a clean checkout or not: --allow-dirty packages the
# working tree as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo package --allow-dirty --all-features \
    -p signalr-macros -p signalr-runtime -p signalr-codegen-ts
