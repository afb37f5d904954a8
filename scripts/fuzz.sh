#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 20) from its committed regression inputs
# (fuzz/regressions/<target>/) plus a scratch corpus. A crash fails the run; its input lands in
# fuzz/artifacts/<target>/ and belongs in fuzz/regressions/<target>/ once fixed.
# cargo-fuzz passes -Z flags, so the stable toolchain needs RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-20}"
export RUSTC_BOOTSTRAP=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target" "regressions/$target"
    if cargo fuzz run "$target" "corpus/$target" "regressions/$target" -- \
        -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz: $target ok, $runs runs in ${seconds}s"
    else
        echo "fuzz: $target FAILED; the end of its output:" >&2
        tail -60 "$log" >&2
        exit 1
    fi
done
