# Shared by scripts/release and its parts (sourced): build settings and small helpers.
# shellcheck shell=bash
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/azmi-target}"
export CARGO_TERM_COLOR=never
AZMI_VERSION=$(scripts/version)
export AZMI_VERSION

step() { printf '\n== %s\n' "$*"; }
die() { echo "release: $*" >&2; exit 1; }
