#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 20) from its committed regression inputs
# (fuzz/regressions/<target>/) plus a scratch corpus. A crash fails the run; its input lands in
# fuzz/artifacts/<target>/ and belongs in fuzz/regressions/<target>/ once fixed.
# cargo-fuzz passes -Z flags, so the stable toolchain needs RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-20}"
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target" "regressions/$target"
    echo "fuzz: $target for ${seconds}s"
    cargo fuzz run "$target" "corpus/$target" "regressions/$target" -- \
        -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 2>&1 | tail -3
    test "${PIPESTATUS[0]}" -eq 0
done
