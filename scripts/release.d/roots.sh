# Shared by scripts/release.d/root and scripts/release.d/in-root (sourced): where the clean
# Debian roots live, and the namespaces they run in.
# shellcheck shell=bash

roots_dir="${AZMI_ROOTS:-$HOME/.cache/azmi-roots}"
# Debian 13: its nodejs is 20 (the Node package's floor; bookworm's is 18), python3 3.13, ruby 3.3,
# OpenJDK 21.
root_suite=trixie
# The file that says a root is complete; a root without it is half-built and is built again.
root_marker=.azmi-root-complete

# The directory of the root for an architecture (named for the suite: a change of suite builds
# new roots).
root_dir() { echo "$roots_dir/$root_suite-$1"; }

root_arch_ok() {
    case "$1" in
    amd64 | arm64) ;;
    *) echo "release: unknown root architecture '${1:-}' (use amd64 or arm64)" >&2; exit 2 ;;
    esac
}

# Runs "$@" in new user, mount and pid namespaces (network: the caller's), mapping as many ids as
# the caller's own user namespace has: the machine's full range when we are its root, just 0
# inside `unshare -r`. A user namespace is what lets each run mount its own binfmt_misc (Linux
# 6.7 and later), so arm64 programs run through qemu without registering anything machine-wide.
# util-linux 2.38's --map-users needs newuidmap, so the maps are written from here.
userns_run() {
    local count gate pid rc=0 stop
    count=$(awk 'NR==1 {print $3}' /proc/self/uid_map)
    gate=$(mktemp -u "${TMPDIR:-/tmp}/azmi-userns.XXXXXX")
    mkfifo -m 600 "$gate"
    unshare --user --mount --pid --fork --kill-child -- \
        sh -c 'read -r _ <"$0" && rm -f "$0" && exec "$@"' "$gate" "$@" &
    pid=$!
    # unshare --fork blocks TERM and INT while it waits, and its --kill-child does not reach an init
    # that exec'd in a new user namespace: stopping means KILL to that init (unshare's one child),
    # which takes every process inside with it, and to unshare.
    stop='kill -KILL $(cat "/proc/$pid/task/$pid/children" 2>/dev/null) "$pid" 2>/dev/null'
    # The maps can be written once unshare(2) has run in the child, i.e. once it is in another
    # user namespace than ours.
    local tries=0
    while [ "$(readlink "/proc/$pid/ns/user" 2>/dev/null)" = "$(readlink /proc/self/ns/user)" ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 500 ] || { eval "$stop"; rm -f "$gate"; die "unshare did not start"; }
        sleep 0.01
    done
    if echo "0 0 $count" >"/proc/$pid/uid_map" && echo "0 0 $count" >"/proc/$pid/gid_map"; then
        echo go >"$gate"
    else
        eval "$stop"
        rm -f "$gate"
        echo "release: cannot map the ids of a user namespace: run as root (sudo), or inside an" \
            "'unshare -r' that root started" >&2
    fi
    # Killed or interrupted: take the namespace down with us.
    trap "$stop" TERM INT HUP
    wait "$pid" || rc=$?
    if [ "$rc" -gt 128 ] && kill -0 "$pid" 2>/dev/null; then
        wait "$pid" || true
    fi
    trap - TERM INT HUP
    return "$rc"
}

# The registration line for qemu-aarch64 (Debian's qemu-user-static, magic and mask as in its
# /usr/share/binfmts/qemu-aarch64). F opens the interpreter now, so it works inside a chroot
# without copying qemu into the root; P passes argv[0] through. Written with printf %s: the kernel
# decodes the \x escapes itself (bash's %b would put raw bytes, NULs and colons, in the line).
binfmt_aarch64=':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:FP'
export binfmt_aarch64
