# Shared by scripts/release and its parts (sourced): build settings and small helpers.
# shellcheck shell=bash
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/azmi-target}"
export CARGO_TERM_COLOR=never
AZMI_VERSION=$(scripts/version)
export AZMI_VERSION

step() { printf '\n== %s\n' "$*"; }
die() { echo "release: $*" >&2; exit 1; }

# The pinned release tools, in one venv of their own (AZMI_RELEASE_VENV, default
# ~/.cache/azmi-release-venv), put first on PATH: maturin (the Python wheels and sdist), zig from
# PyPI's `ziglang` (C compiler and linker for the cross targets; maturin --zig and cargo-zigbuild
# run it as `python3 -m ziglang`, hence the venv's python3 first on PATH) and cargo-zigbuild.
# Installs on the first call or when the pins change (network: PyPI); later calls are offline.
RELEASE_PINS="maturin==1.16.0 ziglang==0.17.0 cargo-zigbuild==0.24.0"
release_tools() {
    local venv="${AZMI_RELEASE_VENV:-$HOME/.cache/azmi-release-venv}"
    if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$RELEASE_PINS" ]; then
        [ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
        # shellcheck disable=SC2086 # the pins are separate words
        "$venv/bin/pip" install -q --disable-pip-version-check $RELEASE_PINS
        echo "$RELEASE_PINS" >"$venv/.pins"
    fi
    export PATH="$venv/bin:$PATH"
}

# Debian's mingw-w64 toolchain (linker, C compiler, ar, dlltool, strip) for every
# x86_64-pc-windows-gnu build: the parts' Windows artefacts (zig cannot link the Python one: its
# maturin path exports a dotted module's init under the wrong name) and the test command's Windows
# clippy (ring's build script compiles C for the target). Installed when missing.
release_mingw() {
    command -v x86_64-w64-mingw32-gcc >/dev/null && command -v x86_64-w64-mingw32-dlltool >/dev/null && return
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-mingw-w64-x86-64; } >/dev/null ||
        die "cannot install Debian's gcc-mingw-w64-x86-64 (as root, with the network)"
}
