"""Checks one azmi wheel before it ships (scripts/release.d/python): its tags, metadata and files,
and the native module's machine and what it links (glibc symbol versions, needed libraries).

Usage: python3 python-check.py WHEEL PLATFORM VERSION
  PLATFORM: manylinux-x86_64 | manylinux-aarch64 | musllinux-x86_64 | musllinux-aarch64 | win_amd64
Prints one line about the wheel; exits non-zero naming what is wrong. Needs binutils' readelf for
the Linux wheels; the Windows module's imports are scripts/release.d/pe-check's (verify).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile

# The platform tags each kind of wheel must carry (maturin's names for the oldest glibc the zig
# build targets, manylinux2014 = glibc 2.17, and musl 1.2).
PLATFORM_TAGS = {
    "manylinux-x86_64": {"manylinux2014_x86_64", "manylinux_2_17_x86_64"},
    "manylinux-aarch64": {"manylinux2014_aarch64", "manylinux_2_17_aarch64"},
    "musllinux-x86_64": {"musllinux_1_2_x86_64"},
    "musllinux-aarch64": {"musllinux_1_2_aarch64"},
    "win_amd64": {"win_amd64"},
}
# readelf's name for each machine.
ELF_MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64"}
OLDEST_GLIBC = (2, 17)
# What a manylinux2014 extension may link: the glibc libraries every such system has, and the
# loader; never libpython (abi3 modules take Python's symbols from the running interpreter).
MANYLINUX_LIBRARIES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libgcc_s.so.1",
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
}
MUSL_LIBRARIES = {"libc.so", "libgcc_s.so.1"}
# The pure-Python half that every wheel carries beside the native module.
PYTHON_FILES = {"azmi/__init__.py", "azmi/_azmi.pyi", "azmi/py.typed", "azmi/_arm.py"}


class Rejected(Exception):
    """The wheel is not fit to ship; the message says why."""


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[2] not in PLATFORM_TAGS:
        print(__doc__, file=sys.stderr)
        return 2
    wheel, platform, version = argv[1:]
    try:
        print(check(wheel, platform, version))
    except Rejected as error:
        print(f"python-check: {os.path.basename(wheel)}: {error}", file=sys.stderr)
        return 1
    return 0


def check(wheel: str, platform: str, version: str) -> str:
    want_tags = {f"cp310-abi3-{tag}" for tag in PLATFORM_TAGS[platform]}
    name = os.path.basename(wheel)
    match = re.fullmatch(r"azmi-([^-]+)-(cp310)-(abi3)-([^-]+)\.whl", name)
    if not match:
        raise Rejected("the name is not azmi-VERSION-cp310-abi3-PLATFORM.whl")
    if match[1] != version:
        raise Rejected(f"version {match[1]} in the name, expected {version}")
    name_tags = {f"cp310-abi3-{tag}" for tag in match[4].split(".")}
    if name_tags != want_tags:
        raise Rejected(f"name tags {sorted(name_tags)}, expected {sorted(want_tags)}")
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
        info = f"azmi-{version}.dist-info"
        tags = set(header(archive.read(f"{info}/WHEEL"), "Tag"))
        if tags != want_tags:
            raise Rejected(f"WHEEL tags {sorted(tags)}, expected {sorted(want_tags)}")
        metadata = archive.read(f"{info}/METADATA")
        if header(metadata, "Version") != [version]:
            raise Rejected(f"METADATA Version {header(metadata, 'Version')}, expected {version}")
        if header(metadata, "Requires-Python") != [">=3.10"]:
            raise Rejected(f"Requires-Python {header(metadata, 'Requires-Python')}")
        missing = PYTHON_FILES - files
        if missing:
            raise Rejected(f"missing {sorted(missing)}")
        module = "azmi/_azmi.pyd" if platform == "win_amd64" else "azmi/_azmi.abi3.so"
        natives = sorted(f for f in files if f.startswith("azmi/_azmi.") and not f.endswith(".pyi"))
        if natives != [module]:
            raise Rejected(f"native modules {natives}, expected [{module}]")
        with tempfile.TemporaryDirectory() as tmp:
            path = archive.extract(module, tmp)
            size = os.path.getsize(path)
            links = check_pe(path) if platform == "win_amd64" else check_elf(path, platform)
    return (f"{name}: tags ok, {module} {size / 1024:.0f} KB, {links}, "
            f"wheel {os.path.getsize(wheel) / 1024:.0f} KB")


def header(text: bytes, field: str) -> list[str]:
    """The values of one field of a wheel's RFC 822 style metadata (headers end at a blank line)."""
    head = text.decode().split("\n\n", 1)[0]
    return [line.split(":", 1)[1].strip() for line in head.splitlines()
            if line.startswith(f"{field}:")]


def check_elf(path: str, platform: str) -> str:
    libc, arch = platform.split("-")
    machine = readelf(path, "-h")
    if ELF_MACHINES[arch] not in machine:
        raise Rejected(f"not an {arch} ELF: {machine.strip().splitlines()[-1:]}")
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf(path, "-d")))
    glibc = sorted({tuple(int(part) for part in found.split("."))
                    for found in re.findall(r"\bGLIBC_([0-9.]+)", readelf(path, "-V"))})
    if libc == "musllinux":
        if glibc:
            raise Rejected(f"a musl module that asks for glibc symbol versions {glibc}")
        allowed = MUSL_LIBRARIES
    else:
        if glibc and glibc[-1] > OLDEST_GLIBC:
            raise Rejected(f"needs glibc {'.'.join(map(str, glibc[-1]))}, above manylinux2014's 2.17")
        allowed = MANYLINUX_LIBRARIES
    if not needed <= allowed:
        raise Rejected(f"links {sorted(needed - allowed)}, outside {sorted(allowed)}")
    newest = ".".join(map(str, glibc[-1])) if glibc else "none"
    return f"{arch} ELF, needs {sorted(needed)}, newest glibc symbol version {newest}"


def readelf(path: str, option: str) -> str:
    run = subprocess.run(["readelf", "--wide", option, path], capture_output=True, text=True)
    if run.returncode != 0:
        raise Rejected(f"readelf {option}: {run.stderr.strip()}")
    return run.stdout


def check_pe(path: str) -> str:
    """The machine (PE32+ for x86-64) and the one export Python looks for; the imports are
    pe-check's."""
    with open(path, "rb") as module:
        head = module.read(4096)
    if head[:2] != b"MZ":
        raise Rejected("not a PE file")
    offset = int.from_bytes(head[0x3C:0x40], "little")
    if head[offset:offset + 4] != b"PE\0\0" or head[offset + 4:offset + 6] != b"\x64\x86":
        raise Rejected("not an x86-64 PE image")
    objdump = "objdump"
    if "pei-x86-64" not in subprocess.run([objdump, "-i"], capture_output=True, text=True).stdout:
        objdump = "x86_64-w64-mingw32-objdump"
    table = subprocess.run([objdump, "-p", path], capture_output=True, text=True).stdout
    # Python imports azmi._azmi by calling PyInit__azmi (the last part of the dotted name).
    if not re.search(r"\]\s+PyInit__azmi$", table, re.MULTILINE):
        raise Rejected("the module exports no PyInit__azmi; Python could not import it")
    return "x86-64 PE, exports PyInit__azmi"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
