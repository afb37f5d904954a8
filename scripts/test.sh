#!/usr/bin/env bash
# Runs every test: formatting and lint gates, the workspace's unit, integration and interop
# tests (real Kamailio, sipp and baresip on loopback), and a short fuzz run of every parser.
# Installs what it needs first (idempotent; apt needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
echo "test.sh: all tests passed"
