#!/usr/bin/env bash
# Per language over the uniffi library: the cost of one cached token call (goal: within 2 µs of
# the native credential's), the cold first token against `azmi emulate`, and the library's load
# time, as one table. Each language is a part printing one tab-separated line
# (name, cached µs, cold ms, load ms); add a language by adding a part below.
# Usage (inside the loopback-only namespace, after scripts/uniffi build):
#   unshare -rn sh -c 'ip link set lo up && exec bindings-uniffi/bench/compare.sh [ITERATIONS]'
# AZMI_BIN: the azmi binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/azmi-target}"
AZMI_BIN="${AZMI_BIN:-$CARGO_TARGET_DIR/release/azmi}"
N="${1:-100000}"

# A fresh emulator per part, so that each cold first token is really cold.
with_emulator() {
    (
        eval "$("$AZMI_BIN" emulate --print-env imds --background --duration 300)"
        trap 'kill "$AZMI_EMULATOR_PID" 2>/dev/null || true' EXIT
        "$@"
    )
}

part_native() {
    cargo build --locked -q --profile bindings -p azmi-uniffi --features cli --example bench_native
    "$CARGO_TARGET_DIR/bindings/examples/bench_native" "$((N * 2))"
}

part_ruby() {
    AZMI_UNIFFI_LIB="$(scripts/uniffi lib)" ruby -Ibindings-uniffi/ruby/lib \
        bindings-uniffi/bench/ruby.rb "$N"
}

part_kotlin() {
    bindings-uniffi/kotlin/scripts/test-kotlin bench "$N"
}

rows=$(mktemp); trap 'rm -f "$rows"' EXIT
for part in part_native part_ruby part_kotlin; do
    with_emulator "$part" >>"$rows"
done

native=$(awk -F'\t' 'NR == 1 { print $2 }' "$rows")
printf '%-16s %14s %14s %16s %14s\n' language "cached (µs)" "vs native (µs)" "cold token (ms)" "load (ms)"
while IFS=$'\t' read -r name cached cold load; do
    printf '%-16s %14s %14s %16s %14s\n' "$name" "$cached" \
        "$(awk -v a="$cached" -v b="$native" 'BEGIN { printf "%+.3f", a - b }')" "$cold" "$load"
done <"$rows"
