"""azmi vs azure-identity vs msrestazure, side by side, against `azmi emulate` on loopback.

Usage: python bindings-python/bench/compare.py [--quick] [--azmi-bin PATH] [--no-netns]

Theory of operation. The parent process starts its own emulator (bounded by `--duration`) and
runs every measurement in a fresh child process, so no library's import, cache or connection pool
leaks into another's numbers. Children are this same file run as `compare.py --child KIND LIB`;
that path imports nothing but what the scenario needs (RSS and import costs stay honest) and talks
to the parent over a private pipe: `sync NAME` asks the parent to reset or read the emulator's
request log at that point, `result KEY VALUE` reports a number.

Safety: every child gets an environment stripped of identity and proxy variables, then only the
emulator's; Python children also refuse any non-loopback connect(); and when `unshare -rn` works
the whole run is re-executed in a loopback-only network namespace, so 169.254.169.254 cannot be
reached even by mistake. msrestazure hard-codes the IMDS address (docs/protocol.md §1.10), so it is
measured through its MSI_ENDPOINT path (legacy VM extension of the emulator) and, separately,
through its IMDS code path with that one URL rewritten in-process to the emulator.
"""

import os
import sys

SCOPE = "https://management.azure.com/.default"
RESOURCE = "https://management.azure.com/"  # the same audience, in msrestazure's v1 spelling
IMDS_PREFIX = "http://169.254.169.254"  # only ever rewritten, never connected to
BURST_THREADS = 50
CACHED_THREADS = (1, 8)


# --- child side (kept first and import-light: it runs in every measured process) -------------


def child_main(kind, lib_key):
    """Entry of a measured child: `cold` (one first token) or `scenario` (burst, cached, RSS)."""
    # The protocol gets a private copy of stdout; anything a library prints goes to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _guard_sockets()
    make, call, chill = _child_library(lib_key)

    def report(key, value):
        proto.write(f"result {key} {value}\n")

    def sync(name):
        proto.write(f"sync {name}\n")
        if sys.stdin.readline().strip() != "ok":
            raise SystemExit(f"parent refused sync {name}")

    if kind == "cold":
        _child_cold(lib_key, make, call, report)
    else:
        _child_scenario(make, call, chill, report, sync)
    proto.close()


def _guard_sockets():
    """Refuses every non-loopback connect() in this process: a misrouted request fails loudly."""
    import socket

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if not (host.startswith("127.") or host in ("::1", "localhost")):
                raise ConnectionRefusedError(f"benchmark guard: refusing non-loopback {host}")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex


def _child_library(key):
    """(make, call, chill) for one library: new credential, one token call, empty its cache."""
    if key == "azmi":
        import azmi

        return azmi.ManagedIdentityCredential, _get_token_call, _nothing
    if key == "azure-identity":
        from azure.identity import ManagedIdentityCredential

        return ManagedIdentityCredential, _get_token_call, _nothing
    if key == "msrestazure-imds":
        _redirect_msrestazure_imds()
    from msrestazure.azure_active_directory import MSIAuthentication

    def make():
        return MSIAuthentication(resource=RESOURCE)

    def chill(cred):
        # Its constructor already fetched (and, on IMDS, cached) a token; a cold burst needs it
        # gone. The MSI_ENDPOINT path has no cache (getattr: `_vm_msi` exists only on IMDS).
        vm_msi = getattr(cred, "_vm_msi", None)
        if vm_msi is not None:
            vm_msi.cache.clear()

    return make, _set_token_call, chill


def _get_token_call(cred):
    return cred.get_token(SCOPE).token


def _set_token_call(cred):
    # What msrestazure's users call per request (signed_session = set_token + header + Session).
    cred.set_token()
    return cred.token["access_token"]


def _nothing(cred):
    pass


def _redirect_msrestazure_imds():
    """Rewrites msrestazure's hard-coded IMDS URL to the emulator; anything else is refused."""
    import msrestazure.azure_active_directory as aad

    target = os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"].rstrip("/")
    real = aad.requests

    class Redirected:
        def __getattr__(self, name):
            return getattr(real, name)

        def get(self, url, *args, **kwargs):
            if not url.startswith(IMDS_PREFIX + "/"):
                raise RuntimeError(f"benchmark guard: unexpected msrestazure URL {url}")
            return real.get(target + url[len(IMDS_PREFIX):], *args, **kwargs)

    aad.requests = Redirected()


def _child_cold(lib_key, make, call, report):
    from time import perf_counter

    start = perf_counter()
    cred = make()
    if lib_key.startswith("msrestazure"):  # its constructor already fetched the token
        _check_token(cred.token["access_token"])
    else:
        _check_token(call(cred))
    report("cold_s", perf_counter() - start)


def _child_scenario(make, call, chill, report, sync):
    import resource

    seconds = float(os.environ["AZMI_BENCH_SECONDS"])
    repeats = int(os.environ["AZMI_BENCH_REPEATS"])
    cred = make()
    chill(cred)
    sync("reset")
    _burst(cred, call)
    sync("burst")
    _check_token(call(cred))  # the burst filled the cache; this one must be served from it
    sync("reset")
    for threads in CACHED_THREADS:
        for _ in range(repeats):
            report(f"rate{threads}", _rate(cred, call, threads, seconds))
    sync("cached")
    report("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _burst(cred, call):
    """BURST_THREADS threads released together by a Barrier, each asking for one token."""
    import threading

    barrier = threading.Barrier(BURST_THREADS)
    errors = []

    def one():
        barrier.wait()
        try:
            _check_token(call(cred))
        except Exception as e:  # reported by the parent as a failure
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(BURST_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} burst calls failed; first: {errors[0]!r}")


def _rate(cred, call, threads, seconds):
    """Calls per second summed over `threads` threads calling for `seconds` after a Barrier."""
    import threading
    from time import perf_counter, sleep

    barrier = threading.Barrier(threads + 1)
    counts = [0] * threads
    stop = []
    errors = []

    def work(i):
        barrier.wait()
        n = 0
        try:
            while not stop:
                call(cred)
                n += 1
        except Exception as e:
            errors.append(e)
        counts[i] = n

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = perf_counter()
    sleep(seconds)
    stop.append(True)
    for t in pool:
        t.join()
    elapsed = perf_counter() - start
    if errors:
        raise RuntimeError(f"cached calls failed: {errors[0]!r}")
    return sum(counts) / elapsed


def _check_token(token):
    if not token or len(token) < 20:
        raise RuntimeError("empty token")


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    child_main(sys.argv[2], sys.argv[3])
    sys.exit(0)


# --- parent side ------------------------------------------------------------------------------

import argparse  # noqa: E402  (children must not pay for these)
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]

sys.path.insert(0, str(HERE.parents[1] / "tests"))
from identity_vars import IDENTITY_VARS  # noqa: E402  (the tests' list; that module needs no pytest)

PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


class Lib:
    """One column: how to import it, which emulator endpoint it uses, what it is called."""

    def __init__(self, key, title, import_stmt, source, endpoint):
        self.key = key
        self.title = title
        self.import_stmt = import_stmt
        self.source = source  # the emulator's env block (info["env"][source])
        self.endpoint = endpoint  # where its requests must show up in the request log


LIBS = [
    Lib("azmi", "azmi", "import azmi", "imds", "imds"),
    Lib("azure-identity", "azure-identity", "from azure.identity import ManagedIdentityCredential",
        "imds", "imds"),
    Lib("msrestazure", "msrestazure [a]",
        "from msrestazure.azure_active_directory import MSIAuthentication",
        "legacy_vm_extension", "legacy_vm_extension"),
    Lib("msrestazure-imds", "msrestazure IMDS [b]",
        "from msrestazure.azure_active_directory import MSIAuthentication", "imds", "imds"),
]


class Settings:
    def __init__(self, quick):
        self.quick = quick
        self.import_runs = 5 if quick else 15
        self.cold_runs = 3 if quick else 11
        self.seconds = 0.4 if quick else 2.0
        self.repeats = 1 if quick else 3
        self.emulator_duration = 300 if quick else 1200
        self.child_timeout = 60 if quick else 180


def main():
    args = parse_args()
    maybe_reexec_in_netns(args)
    settings = Settings(args.quick)
    emu = Emulator.start(args.azmi_bin, settings.emulator_duration)
    try:
        results = measure_all(emu, settings)
    except BenchError as e:
        print(f"compare.py: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        emu.stop()
    print_report(results, settings)
    return 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (CI, < 60 s)")
    parser.add_argument("--azmi-bin", default=default_azmi_bin(), help="the azmi binary")
    parser.add_argument("--no-netns", action="store_true",
                        help="do not re-run inside a loopback-only network namespace")
    args = parser.parse_args()
    if not os.access(args.azmi_bin, os.X_OK):
        parser.error(f"--azmi-bin {args.azmi_bin} is not executable "
                     "(cargo build --release -p azmi-cli)")
    args.azmi_bin = os.path.abspath(args.azmi_bin)
    return args


def default_azmi_bin():
    if os.environ.get("AZMI_BIN"):
        return os.environ["AZMI_BIN"]
    cached = Path.home() / ".cache/azmi-target/release/azmi"
    return str(cached if cached.exists() else REPO / "target/release/azmi")


def maybe_reexec_in_netns(args):
    """Re-runs this script under `unshare -rn` (loopback only) when the kernel allows it."""
    if args.no_netns or os.environ.get("AZMI_BENCH_NETNS"):
        return
    if not shutil.which("unshare") or subprocess.run(
            ["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        os.environ["AZMI_BENCH_NETNS"] = "unavailable"
        return
    os.environ["AZMI_BENCH_NETNS"] = "loopback-only network namespace (unshare -rn)"
    argv = [sys.executable, str(HERE), *sys.argv[1:], "--azmi-bin", args.azmi_bin]
    sys.stdout.flush()
    # A new namespace starts with `lo` down; the emulator binds 127.0.0.1, so bring it up.
    os.execvp("unshare", ["unshare", "-rn", "sh", "-c",
                          'ip link set lo up 2>/dev/null || true; exec "$@"', "sh", *argv])


class BenchError(Exception):
    pass


# --- the emulator -----------------------------------------------------------------------------


class Emulator:
    """`azmi emulate` as a child process, and its control API (loopback, no proxy)."""

    def __init__(self, proc, url, log_path):
        self.proc = proc
        self.url = url
        self.log_path = log_path
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.info = self.call("GET", "/_emulator/info")

    @classmethod
    def start(cls, binary, duration):
        log = tempfile.NamedTemporaryFile(prefix="azmi-bench-emulator-", suffix=".log",
                                          delete=False)
        proc = subprocess.Popen(
            [binary, "emulate", "--legacy-port", "0", "--duration", str(duration)],
            stdout=subprocess.PIPE, stderr=log, text=True, env=clean_env())
        url = None
        for line in proc.stdout:
            if "identity endpoints and ARM:" in line:
                url = line.split(":", 1)[1].strip()
                break
        if url is None or not url.startswith("http://127.0.0.1:"):
            proc.kill()
            raise SystemExit(f"azmi emulate did not print a loopback URL (log: {log.name})")
        # Keep draining stdout so the emulator never blocks on a full pipe.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        return cls(proc, url, log.name)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def call(self, method, path):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=b"" if method == "POST" else None)
        with self._opener.open(req, timeout=10) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def reset(self):
        self.call("POST", "/_emulator/reset")

    def requests_to(self, endpoint):
        """Requests in the log since the last reset; any to another endpoint is a routing bug."""
        log = self.call("GET", "/_emulator/requests")
        stray = [r for r in log if r.get("endpoint") != endpoint]
        if stray:
            raise BenchError(f"requests reached {stray[0].get('endpoint')!r}, expected only "
                             f"{endpoint!r}: the environment override did not take")
        return len(log)


def clean_env(extra=None):
    """os.environ without identity or proxy variables, NO_PROXY everywhere, then `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in IDENTITY_VARS and k.lower() not in PROXY_VARS}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env.update(extra or {})
    return env


def lib_env(emu, lib, settings):
    env = {
        # Anything that still fell through to IMDS lands on the emulator, never 169.254.
        "AZURE_POD_IDENTITY_AUTHORITY_HOST": emu.info["env"]["imds"][
            "AZURE_POD_IDENTITY_AUTHORITY_HOST"],
        "AZMI_BENCH_SECONDS": str(settings.seconds),
        "AZMI_BENCH_REPEATS": str(settings.repeats),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(emu.info["env"][lib.source])
    return clean_env(env)


# --- measurements -----------------------------------------------------------------------------


def measure_all(emu, settings):
    results = {"baseline_rss_kib": baseline_rss(emu, settings)}
    import_times = {}
    for lib in LIBS:
        stmt = lib.import_stmt
        if stmt not in import_times:  # both msrestazure columns import the same thing
            import_times[stmt] = measure_import(emu, lib, settings)
        row = {"import_s": import_times[stmt]}
        row["cold_s"] = measure_cold(emu, lib, settings)
        row.update(measure_scenario(emu, lib, settings))
        results[lib.key] = row
    return results


def measure_import(emu, lib, settings):
    """Median wall time of the import statement alone, each in a fresh interpreter."""
    code = ("from time import perf_counter as p\nt = p()\n" + lib.import_stmt +
            "\nprint(p() - t)\n")
    env = lib_env(emu, lib, settings)
    samples = []
    for i in range(settings.import_runs + 1):
        out = run_checked([sys.executable, "-c", code], env, settings, f"import {lib.key}")
        if i:  # the first run only warms the OS page cache and .pyc files
            samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure_cold(emu, lib, settings):
    """Median construct-to-first-token time in fresh processes, emulator reset before each."""
    samples = []
    for _ in range(settings.cold_runs):
        emu.reset()
        child = Child(emu, lib, "cold", settings)
        samples.append(child.run()["cold_s"][0])
        if emu.requests_to(lib.endpoint) < 1:
            raise BenchError(f"{lib.key}: first token made no request to the emulator")
    return statistics.median(samples)


def measure_scenario(emu, lib, settings):
    """The burst, the cached loops and peak RSS, all in one fresh process."""
    counts = {}

    def on_sync(name):
        if name == "reset":
            emu.reset()
        else:
            counts[name] = emu.requests_to(lib.endpoint)

    got = Child(emu, lib, "scenario", settings, on_sync).run()
    if counts.get("burst", 0) < 1:
        raise BenchError(f"{lib.key}: the cold burst made no request to the emulator")
    return {
        "rate1": statistics.median(got["rate1"]),
        "rate8": statistics.median(got["rate8"]),
        "burst_requests": counts["burst"],
        "cached_requests": counts["cached"],
        "maxrss_kib": got["maxrss_kib"][0],
    }


def baseline_rss(emu, settings):
    """Peak RSS of a bare interpreter, to read the libraries' RSS against."""
    code = "import resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    out = run_checked([sys.executable, "-c", code], clean_env(), settings, "baseline")
    return int(out.strip())


class Child:
    """A measured child process speaking the `sync` / `result` line protocol."""

    def __init__(self, emu, lib, kind, settings, on_sync=None):
        self.lib = lib
        self.kind = kind
        self.on_sync = on_sync
        self.timeout = settings.child_timeout
        self.env = lib_env(emu, lib, settings)

    def run(self):
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(
                [sys.executable, str(HERE), "--child", self.kind, self.lib.key],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                env=self.env, bufsize=1)
            watchdog = threading.Timer(self.timeout, proc.kill)
            watchdog.start()
            try:
                results = self._converse(proc)
                code = proc.wait()
            finally:
                watchdog.cancel()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if code != 0:
                err.seek(0)
                tail = err.read()[-3000:]
                raise BenchError(f"{self.lib.key} {self.kind} child exited {code}:\n{tail}")
        return results

    def _converse(self, proc):
        results = {}
        for line in proc.stdout:
            word, name, *rest = line.split()
            if word == "sync":
                if self.on_sync:
                    self.on_sync(name)
                proc.stdin.write("ok\n")
                proc.stdin.flush()
            elif word == "result":
                results.setdefault(name, []).append(float(rest[0]))
        return results


def run_checked(argv, env, settings, what):
    proc = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=settings.child_timeout)
    if proc.returncode != 0:
        raise BenchError(f"{what} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc.stdout


# --- the report -------------------------------------------------------------------------------


def print_report(results, settings):
    rows = report_rows(results, settings)
    headers = ["", *(lib.title for lib in LIBS), "azmi vs azure-identity"]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    print(header_line(settings))
    print()
    for n, row in enumerate([headers, *rows]):
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(row[1:], widths[1:])]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print_goals(results)
    print()
    print_footnotes(results, settings)


def header_line(settings):
    from importlib.metadata import version

    versions = ", ".join(f"{name} {version(name)}"
                         for name in ("azmi", "azure-identity", "msrestazure"))
    mode = "quick" if settings.quick else "full"
    return (f"azmi bench ({mode}): {versions}; Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs; network: {os.environ.get('AZMI_BENCH_NETNS', 'host')}")


def report_rows(results, settings):
    azmi, ai = results["azmi"], results["azure-identity"]

    def row(label, key, fmt, ratio):
        return [label, *(fmt(results[lib.key][key]) for lib in LIBS), ratio]

    ms = "{:.1f}".format
    return [
        row(f"import, ms (median of {settings.import_runs}) [1]", "import_s",
            lambda v: ms(v * 1000), times(ai["import_s"] / azmi["import_s"], "faster")),
        row(f"cold first token, ms (median of {settings.cold_runs}) [2]", "cold_s",
            lambda v: ms(v * 1000), times(ai["cold_s"] / azmi["cold_s"], "faster")),
        row("cached calls/s, 1 thread [3]", "rate1", "{:,.0f}".format,
            times(azmi["rate1"] / ai["rate1"], "more")),
        row(f"cached calls/s, {CACHED_THREADS[1]} threads [3]", "rate8", "{:,.0f}".format,
            times(azmi["rate8"] / ai["rate8"], "more")),
        row("endpoint requests in cached loops [3]", "cached_requests", "{:,}".format,
            f"{azmi['cached_requests']:,} vs {ai['cached_requests']:,}"),
        row(f"endpoint requests, {BURST_THREADS}-thread cold burst [4]", "burst_requests",
            "{}".format, f"{azmi['burst_requests']} vs {ai['burst_requests']}"),
        row("peak RSS, MiB [5]", "maxrss_kib", lambda v: ms(v / 1024),
            times(ai["maxrss_kib"] / azmi["maxrss_kib"], "less")),
    ]


def times(ratio, word):
    return f"{ratio:.1f}x {word}"


def print_goals(results):
    azmi, ai = results["azmi"], results["azure-identity"]
    goals = [
        ("azmi cached calls/s (1 thread) >= 20x azure-identity's",
         azmi["rate1"] / ai["rate1"] >= 20, times(azmi["rate1"] / ai["rate1"], "")),
        (f"azmi cached calls/s ({CACHED_THREADS[1]} threads) >= 20x azure-identity's",
         azmi["rate8"] / ai["rate8"] >= 20, times(azmi["rate8"] / ai["rate8"], "")),
        ("azmi import >= 10x faster than azure-identity",
         ai["import_s"] / azmi["import_s"] >= 10, times(ai["import_s"] / azmi["import_s"], "")),
        (f"azmi {BURST_THREADS}-thread cold burst -> 1 endpoint request",
         azmi["burst_requests"] == 1, f"{azmi['burst_requests']} request(s)"),
    ]
    print("goals:")
    for text, met, got in goals:
        print(f"  [{'met' if met else 'NOT MET'}] {text}: {got.strip()}")


def print_footnotes(results, settings):
    base = results["baseline_rss_kib"] / 1024
    loop = f"{settings.repeats} x {settings.seconds:g} s"
    notes = [
        "[a] msrestazure hard-codes http://169.254.169.254 for IMDS, so this column uses its "
        "MSI_ENDPOINT path (POST form, msrestazure's legacy VM extension mode) against the "
        "emulator's legacy extension; that path has no cache: every call is a request.",
        "[b] msrestazure's IMDS code path (with its in-process token cache), its hard-coded IMDS "
        "URL rewritten in the child to the emulator's IMDS endpoint (any other URL is refused).",
        "[1] `python -c` with perf_counter around the import statement only (interpreter start "
        "excluded); each run a fresh process; one discarded warm-up run. azmi: `import azmi`; "
        "azure-identity: `from azure.identity import ManagedIdentityCredential`; msrestazure: "
        "`from msrestazure.azure_active_directory import MSIAuthentication`.",
        "[2] fresh process per run, emulator reset before it; perf_counter from constructing the "
        "credential to holding the first token (get_token; msrestazure's constructor fetches it).",
        f"[3] one credential, warmed, then 1 and {CACHED_THREADS[1]} threads released by a "
        f"Barrier call it in a loop for {loop} (median). azmi / azure-identity: "
        f"get_token('{SCOPE}'); msrestazure: MSIAuthentication.set_token() (what "
        "signed_session() calls before adding the header; signed_session() would add a "
        "requests.Session per call). 'requests in cached loops' counts the emulator's log.",
        f"[4] one fresh credential (msrestazure: its constructor's token, then its cache emptied), "
        f"emulator log reset, {BURST_THREADS} threads released together by a threading.Barrier "
        "each ask for one token; the emulator's request log is counted after they join.",
        f"[5] ru_maxrss at the end of each library's full scenario ([4] then [3]) in its own "
        f"process; a bare interpreter peaks at {base:.1f} MiB.",
        "Safety: children get no identity or proxy variable but the emulator's, NO_PROXY=*, "
        "Python sockets refuse non-loopback addresses; every request is checked to have reached "
        "the expected emulator endpoint.",
    ]
    for note in notes:
        print(wrap(note))


def wrap(text, width=100):
    import textwrap

    return textwrap.fill(text, width=width, subsequent_indent="    ")


if __name__ == "__main__":
    sys.exit(main())
