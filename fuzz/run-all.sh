#!/usr/bin/env bash
# Run every fuzz target for FUZZ_SECONDS seconds each (default 5). Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`); works on the stable toolchain via RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-5}"
for target in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do
    echo "== fuzzing $target for ${seconds}s"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=0 2>&1 | tail -n 3
done
