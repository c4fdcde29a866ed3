"""Fixtures: one `azmi emulate` on loopback per session; each test starts from a clean
environment (no identity variable, so nothing can reach the real IMDS) and a reset emulator."""

import json
import os
import subprocess
import threading
import urllib.request

import pytest
from identity_vars import IDENTITY_VARS

ARM = "https://management.azure.com/.default"


class Emulator:
    def __init__(self, url, info):
        self.url = url
        self.info = info

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def requests(self, endpoint=None):
        log = self._call("GET", "/_emulator/requests")
        return [r for r in log if endpoint is None or r.get("endpoint") == endpoint]

    def fault(self, endpoint, *faults):
        self._call("POST", "/_emulator/faults", {"endpoint": endpoint, "faults": list(faults)})

    def reset(self):
        self._call("POST", "/_emulator/reset")

    def env(self, source):
        return self.info["env"][source]

    def identity(self, kind="user_assigned"):
        for ident in self.info["identities"]:
            if str(ident.get("kind", "")).lower().replace("_", "").startswith(kind.replace("_", "")):
                return ident
        raise LookupError(kind)


def start_emulator(*args):
    """`azmi emulate` on loopback with `args` (a session's or a module's own), and its process."""
    binary = os.environ.get("AZMI_BIN") or os.path.expanduser(
        "~/.cache/azmi-target/release/azmi")
    if not os.access(binary, os.X_OK):
        pytest.fail("AZMI_BIN must point at the azmi binary (cargo build --release -p azmi-cli)")
    env = {k: v for k, v in os.environ.items() if k not in IDENTITY_VARS}
    proc = subprocess.Popen([binary, "emulate", "--legacy-port", "0", "--duration", "900", *args],
                            stdout=subprocess.PIPE, text=True, env=env)
    url = None
    for line in proc.stdout:
        if "identity endpoints and ARM:" in line:
            url = line.split(":", 1)[1].strip()
            break
    if url is None:
        proc.kill()
        pytest.fail("azmi emulate did not print its URL")
    assert url.startswith("http://127.0.0.1:"), url
    emu = Emulator(url, None)
    emu.info = emu._call("GET", "/_emulator/info")
    return emu, proc


def burst(call, count):
    """Runs `call` on `count` threads released at once; returns their results."""
    barrier = threading.Barrier(count)
    results = []

    def worker():
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def stop_emulator(proc):
    # SIGTERM: the emulator removes its temp dirs (CA files, Arc keys) as it stops.
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def emulator_proc():
    emu, proc = start_emulator()
    yield emu
    stop_emulator(proc)


@pytest.fixture
def clean_env(monkeypatch):
    for name in IDENTITY_VARS:
        monkeypatch.delenv(name, raising=False)
    # Anything that still fell through to IMDS goes to a closed loopback port, never 169.254.
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "*")
    return monkeypatch


@pytest.fixture
def emulator(emulator_proc, clean_env):
    emulator_proc.reset()
    return emulator_proc


@pytest.fixture
def use_arm_env(use_source, clean_env):
    """use_arm_env("imds"): that source's variables and the ARM ones `azmi emulate --print-env`
    prints (AZMI_ARM_ENDPOINT, HTTPS_PROXY to the emulator, NO_PROXY, the CA bundle variables)."""
    def use(source):
        emulator = use_source(source)
        for name, value in emulator.info["arm_env"].items():
            clean_env.setenv(name, value)
        return emulator
    return use


@pytest.fixture
def use_source(emulator, clean_env):
    """use_source("app_service") points the process environment at that emulator endpoint."""
    def use(source):
        for name in IDENTITY_VARS:
            clean_env.delenv(name, raising=False)
        for name, value in emulator.env(source).items():
            clean_env.setenv(name, value)
        return emulator
    return use
