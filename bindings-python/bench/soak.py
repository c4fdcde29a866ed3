"""Soak: many threads calling `ManagedIdentityCredential().get_token` for a fixed time against
`azmi emulate` (started by `scripts/soak`, which exports its variables and queues faults).

Prints one table row: calls, endpoint requests, expired tokens served, errors by code, RSS.
Exits 1 when an expired token was served. Environment: AZMI_SOAK_SECONDS, AZMI_SOAK_THREADS,
AZMI_SOAK_CONTROL (the emulator's URL, for its request log).
"""

import collections
import json
import os
import threading
import time
import urllib.request

import azmi

SCOPE = "https://management.azure.com/.default"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def imds_requests(control: str) -> str:
    """IMDS requests the emulator logged, and how many of them got an injected fault."""
    # The control API is on loopback; never go through a proxy for it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(control.rstrip("/") + "/_emulator/requests", timeout=10) as reply:
        log = [r for r in json.load(reply) if r["endpoint"] == "imds"]
    faulted = sum(1 for r in log if r.get("fault") not in (None, "pass"))
    return f"{len(log)} ({faulted} faulted)"


def worker(credential, stop: float, tally: dict, lock: threading.Lock) -> None:
    calls = expired = 0
    errors: collections.Counter = collections.Counter()
    while time.monotonic() < stop:
        calls += 1
        try:
            token = credential.get_token(SCOPE)
            if token.expires_on <= time.time():
                expired += 1
        except Exception as e:  # every failure is counted by its code, none ends the soak
            errors[getattr(e, "code", type(e).__name__)] += 1
    with lock:
        tally["calls"] += calls
        tally["expired"] += expired
        tally["errors"].update(errors)


def run(credential, threads: int, seconds: float) -> dict:
    tally = {"calls": 0, "expired": 0, "errors": collections.Counter()}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    pool = [
        threading.Thread(target=worker, args=(credential, stop, tally, lock))
        for _ in range(threads)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return tally


def main() -> int:
    seconds = float(os.environ.get("AZMI_SOAK_SECONDS", "10"))
    threads = int(os.environ.get("AZMI_SOAK_THREADS", "32"))
    control = os.environ["AZMI_SOAK_CONTROL"]
    credential = azmi.ManagedIdentityCredential()
    # A warm-up with the same threads first, so allocator arenas and caches are in place and the
    # growth figure measures what the calls keep, not what starting up costs.
    run(credential, threads, min(1.0, seconds / 5))
    before = rss_mb()
    tally = run(credential, threads, seconds)
    after = rss_mb()
    errors = " ".join(f"{c}:{n}" for c, n in sorted(tally["errors"].items())) or "0"
    growth = (after - before) / max(tally["calls"], 1) * 1e6
    print(
        f"| python ({threads} threads) | {tally['calls']} | {imds_requests(control)} "
        f"| {tally['expired']} | {errors} | {before:.1f} | {after:.1f} | {growth:.2f} |"
    )
    return 1 if tally["expired"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
