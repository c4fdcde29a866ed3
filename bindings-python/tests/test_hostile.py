"""The hostile-endpoint cases of tests/hostile/cases.json through the Python binding: every
identity source and ARM against the misbehaving servers of `azmi-hostile` on 127.0.0.1. Each case
must raise the exception class of a stable code from the table, within the table's limit, and
neither the App Service secret header value nor a token may appear in ``str``, ``repr``, the
message, the traceback or any log record (DEBUG and up). The endless and oversized cases, run many
times in a child process (hostile_memory.py), must not grow its memory past the table's bound."""

import json
import logging
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

import azmi
from hostile_support import CASES, SECRET, TABLE, Hostile, binary, call, limit_s


@pytest.fixture(scope="module")
def hostile():
    path = binary()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not an executable: cargo build --release -p azmi-emulator "
                    "(or set AZMI_HOSTILE_BIN)")
    server = Hostile.start(path)
    yield server
    server.stop()


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
    arm = case["source"] == "arm"
    expected_class = azmi._error_class(f"arm:{err.code}" if arm else err.code)
    assert isinstance(err, azmi.ArmError) == arm, f"{type(err).__name__} for {case['source']}"
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


def test_endless_and_oversized_answers_do_not_grow_memory(hostile, clean_env):
    memory = TABLE["memory"]
    assert len([c for c in CASES if c["server"] in memory["servers"]]) >= 3, "memory cases"
    env = {**os.environ, "AZMI_HOSTILE_INFO": json.dumps(hostile.info),
           "MALLOC_MMAP_THRESHOLD_": str(1024 * 1024)}
    probe = Path(__file__).with_name("hostile_memory.py")
    done = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=probe.parent)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    growth = seen["after_mb"] - seen["before_mb"]
    assert growth < memory["max_growth_mb"], (
        f"RSS grew {growth:.1f} MB over {memory['rounds']} rounds of {seen['cases']} cases")
