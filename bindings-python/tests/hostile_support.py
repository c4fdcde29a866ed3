"""What the hostile-endpoint suite's test and its memory probe share: the case table
(tests/hostile/cases.json), the `azmi-hostile` process, and each case's call."""

import json
import os
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

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

    def __init__(self, info, proc=None):
        self.info = info
        self.proc = proc
        self.servers = info["servers"]
        self.control = info["control"]
        self.tokens = {"token": info["token"], "opaque_token": info["opaque_token"]}
        for url in [self.control, *self.servers.values()]:
            assert url.startswith("http://127.0.0.1:"), url

    @classmethod
    def start(cls, binary):
        """Runs the binary; it serves until its stdin closes (``stop``) or for 15 minutes."""
        proc = subprocess.Popen([binary, "--lifetime", "900"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise RuntimeError("azmi-hostile printed nothing")
        return cls(json.loads(line), proc)

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


def binary():
    """``AZMI_HOSTILE_BIN``, else ``azmi-hostile`` beside ``AZMI_BIN``."""
    explicit = os.environ.get("AZMI_HOSTILE_BIN")
    if explicit:
        return explicit
    azmi_bin = os.environ.get("AZMI_BIN") or os.path.expanduser(
        "~/.cache/azmi-target/release/azmi")
    return os.path.join(os.path.dirname(azmi_bin), "azmi-hostile")


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


class Environ:
    """The part of pytest's ``monkeypatch`` that ``call`` uses, on ``os.environ`` (the probe)."""

    def setenv(self, name, value):
        os.environ[name] = value

    def delenv(self, name, raising=True):
        os.environ.pop(name, None)
