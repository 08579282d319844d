#!/usr/bin/env bash
# Run every fuzz target for FUZZ_SECONDS seconds each (default 5). Needs cargo-fuzz
# (`cargo install cargo-fuzz --locked`); works on the stable toolchain via RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-5}"
for target in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do
    # Inputs that once failed (kept in regressions/TARGET/) must keep passing.
    for input in regressions/"$target"/*; do
        [[ -f "$input" ]] || continue
        if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$input" > /dev/null 2>&1; then
            echo "regression input $input fails" >&2
            exit 1
        fi
    done
    echo "== fuzzing $target for ${seconds}s"
    log=$(mktemp)
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" > "$log" 2>&1; then
        cat "$log"
        echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E "^Done [0-9]+ runs" "$log" || tail -n 1 "$log"
    rm -f "$log"
done
