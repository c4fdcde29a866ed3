"""The hostile-endpoint cases of tests/hostile/cases.json through the Python binding: every
identity source and ARM against the misbehaving servers of `azmi-hostile` on 127.0.0.1. Each case
must raise the exception class of a stable code from the table, within the table's limit, and
neither the App Service secret header value nor a token may appear in ``str``, ``repr``, the
message, the traceback or any log record (DEBUG and up). The endless and oversized cases, run many
times, must not grow the process's memory past the table's bound."""

import json
import logging
import os
import subprocess
import time
import traceback
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import azmi

TABLE = json.loads(
    (Path(__file__).resolve().parents[2] / "tests" / "hostile" / "cases.json").read_text())
CASES = TABLE["cases"]
SECRET = TABLE["secret"]

def limit_s(case):
    """How long the case's call may take: its deadline plus slack for a loaded machine."""
    return TABLE["arm_limit_ms" if case["source"] == "arm" else "limit_ms"] / 1000


class Hostile:
    """One `azmi-hostile` process: its servers' URLs, its tokens, and its control API."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "--lifetime", "900"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            pytest.fail("azmi-hostile printed nothing")
        info = json.loads(line)
        self.servers = info["servers"]
        self.control = info["control"]
        self.tokens = {"token": info["token"], "opaque_token": info["opaque_token"]}
        for url in [self.control, *self.servers.values()]:
            assert url.startswith("http://127.0.0.1:"), url

    def _call(self, method, path):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(self.control + path, method=method)
        with opener.open(req, timeout=10) as resp:
            return json.loads(resp.read())

    def reset(self):
        self._call("POST", "/reset")

    def stats(self, server, text=None):
        query = urllib.parse.urlencode({"server": server, **({"text": text} if text else {})})
        return self._call("GET", "/stats?" + query)

    def forbidden(self):
        """Every text no error or log may show."""
        return [SECRET, *self.tokens.values(), *TABLE["forbidden_fragments"]]

    def stop(self):
        # Closing stdin ends the servers at once; the lifetime bounds them anyway.
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def hostile_binary():
    explicit = os.environ.get("AZMI_HOSTILE_BIN")
    if explicit:
        return explicit
    azmi_bin = os.environ.get("AZMI_BIN") or os.path.expanduser(
        "~/.cache/azmi-target/release/azmi")
    return os.path.join(os.path.dirname(azmi_bin), "azmi-hostile")


@pytest.fixture(scope="module")
def hostile():
    binary = hostile_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not an executable: cargo build --release -p azmi-emulator "
                    "(or set AZMI_HOSTILE_BIN)")
    server = Hostile(binary)
    yield server
    server.stop()


def call(hostile, case, env):
    """Runs the case's call (a token, or ARM's subscriptions) with the table's limits."""
    limits = TABLE["limits"]
    server = hostile.servers[case["server"]]
    if case["source"] == "arm":
        idp = hostile.servers[case.get("idp", "token")]
        env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", idp)
        cred = azmi.ManagedIdentityCredential(**limits)
        client = azmi.ArmClient(cred, endpoint=server, resource=TABLE["resource"],
                                timeout=TABLE["arm_deadline_ms"] / 1000)
        return cred, lambda: client.list_subscriptions()
    if case["source"] == "imds":
        env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", server)
    else:
        env.delenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", raising=False)
        env.setenv("IDENTITY_ENDPOINT", server + "/msi/token")
        env.setenv("IDENTITY_HEADER", SECRET)
    cred = azmi.ManagedIdentityCredential(**limits)
    return cred, lambda: cred.get_token(TABLE["scope"])


@pytest.mark.parametrize("case", CASES, ids=[f"{c['source']}-{c['case']}" for c in CASES])
def test_hostile_case(hostile, case, clean_env, caplog):
    caplog.set_level(logging.DEBUG)
    hostile.reset()
    cred, run = call(hostile, case, clean_env)
    started = time.monotonic()
    with pytest.raises(azmi.AzmiError) as raised:
        run()
    took = time.monotonic() - started
    err = raised.value
    assert err.code in case["codes"], f"{err.code!r} not one of {case['codes']}: {err}"
    expected_class = azmi.ArmError if case["source"] == "arm" else azmi._error_class(err.code)
    assert type(err) is expected_class, f"{type(err).__name__} for {err.code!r}"
    assert took < limit_s(case), f"took {took:.2f} s, limit {limit_s(case)} s: {err}"
    shown = {
        "str": str(err),
        "repr": repr(err),
        "message": err.message,
        "args": repr(err.args),
        "traceback": "".join(traceback.format_exception(err)),
        "attempts": repr(err.attempts),
        "credential": repr(cred),
        "logs": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
    }
    for form, text in shown.items():
        for secret in hostile.forbidden():
            assert secret not in text, f"{secret!r} in {form}: {text}"
    if "unvisited" in case:
        assert hostile.stats(case["unvisited"])["connections"] == 0, f"followed: {err}"
    for what, expected in case.get("received", {}).items():
        text = SECRET if what == "secret" else hostile.tokens[what]
        received = hostile.stats(case["server"], text)["received"]
        assert received is expected, f"{what} sent to {case['server']}: {received}"


def rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_endless_and_oversized_answers_do_not_grow_memory(hostile, clean_env):
    memory = TABLE["memory"]
    cases = [c for c in CASES if c["server"] in memory["servers"]]
    assert len(cases) >= 3, "the table names the memory cases"

    def one_round():
        for case in cases:
            _, run = call(hostile, case, clean_env)
            with pytest.raises(azmi.AzmiError) as raised:
                run()
            assert raised.value.code in case["codes"], raised.value

    one_round()  # warm-up: allocator arenas, lazily built error classes
    before = rss_mb()
    for _ in range(memory["rounds"]):
        one_round()
    growth = rss_mb() - before
    assert growth < memory["max_growth_mb"], (
        f"RSS grew {growth:.1f} MB over {memory['rounds']} rounds of {len(cases)} cases")
