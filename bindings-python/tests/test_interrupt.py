"""Calls to endpoints that never answer: Ctrl-C during a fetch or an ARM wait raises
KeyboardInterrupt promptly, never a bare error; an ARM client's timeout bounds its calls."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import azmi
from conftest import ARM


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers; closes them all after `lifetime`."""

    def __init__(self, lifetime=15.0):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.deadline = time.monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        held = []
        while time.monotonic() < self.deadline:
            try:
                held.append(self.sock.accept()[0])
            except socket.timeout:
                pass
        for conn in held:
            conn.close()
        self.sock.close()

    def stop(self):
        self.deadline = 0
        self.thread.join(timeout=5)


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.stop()


CALLS = {
    # A token fetch from an endpoint that never answers (the IMDS override).
    "fetch": "azmi.ManagedIdentityCredential(timeout=30).get_token(ARM)",
    # An ARM call whose server never answers (the token comes from the emulator).
    "arm": "azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=SILENT,"
           " resource='https://management.azure.com/').list_subscriptions()",
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_ctrl_c_interrupts_a_blocked_call(use_source, silent, call):
    env = dict(os.environ)
    if call == "fetch":
        env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = silent.url
        for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET"):
            env.pop(name, None)
    else:
        use_source("imds")
        env = dict(os.environ)
    code = textwrap.dedent(f"""
        import sys, azmi
        ARM, SILENT = {ARM!r}, {silent.url!r}
        print("ready", flush=True)
        try:
            {CALLS[call]}
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
        except BaseException as e:
            print("other", type(e).__name__, e, flush=True)
        else:
            print("returned", flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env=env)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, _ = child.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        child.kill()
        child.wait(timeout=10)
    assert out.strip() == "KeyboardInterrupt", out
    assert took < 2.0, f"KeyboardInterrupt came {took:.1f} s after SIGINT"


def test_ctrl_c_as_a_fetch_fails_is_not_lost(clean_env):
    """Ctrl-C just before a fetch ends in an error: KeyboardInterrupt, never the error (or a bare
    RuntimeError from building it). The server answers 500 10 ms after the interrupt, so most
    rounds end the fetch before the waiting thread looks for signals again."""
    code = textwrap.dedent("""
        import _thread, os, socket, threading, time, azmi
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(5)
        os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:%d" % server.getsockname()[1]

        def answer(interrupted):
            conn = server.accept()[0]
            interrupted.wait(5)  # the answer always comes after the interrupt
            time.sleep(0.01)
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\\r\\nContent-Length: 0\\r\\n\\r\\n")
            conn.close()

        def interrupt(interrupted):
            time.sleep(0.03)
            _thread.interrupt_main()
            interrupted.set()

        for _ in range(5):
            interrupted = threading.Event()
            threading.Thread(target=answer, args=(interrupted,), daemon=True).start()
            threading.Thread(target=interrupt, args=(interrupted,), daemon=True).start()
            try:
                azmi.ManagedIdentityCredential(max_retries=0, timeout=5).get_token(
                    "https://management.azure.com/.default")
            except KeyboardInterrupt:
                pass
            except BaseException as e:
                raise SystemExit(f"{type(e).__name__}: {e}")
            else:
                raise SystemExit("no error")
            time.sleep(0.1)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30)
    assert out.stdout.strip() == "ok", out.stdout + out.stderr


def test_arm_timeout_bounds_a_call(use_source, silent):
    use_source("imds")
    arm = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=silent.url,
                         resource="https://management.azure.com/", timeout=1.5)
    started = time.monotonic()
    with pytest.raises(azmi.ArmError) as caught:
        arm.list_subscriptions()
    took = time.monotonic() - started
    assert caught.value.code == "deadline_exceeded", caught.value
    assert took < 8, f"took {took:.1f} s"


def test_arm_timeout_is_range_checked(use_source):
    emu = use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    for bad in (True, -1, 0, float("nan"), "5", 1e30):
        with pytest.raises(azmi.ConfigurationError, match='"timeout"'):
            azmi.ArmClient(cred, timeout=bad)
    assert emu.requests() == []
