"""The hostile suite's memory probe, run by test_hostile.py in a child process: the table's
memory cases (endless and oversized answers) against the servers in ``AZMI_HOSTILE_INFO``,
``warmup_rounds`` times and then ``rounds`` times; prints the resident set before and after the
measured rounds as JSON. The parent runs it with glibc's mmap threshold fixed
(``MALLOC_MMAP_THRESHOLD_``), so that freed 16 MiB ARM bodies go back to the system instead of
staying in an allocator arena, and what remains is what azmi keeps."""

import json
import os

import azmi
from hostile_support import CASES, TABLE, Environ, Hostile, call


def rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def main():
    hostile = Hostile(json.loads(os.environ["AZMI_HOSTILE_INFO"]))
    memory = TABLE["memory"]
    cases = [c for c in CASES if c["server"] in memory["servers"]]
    env = Environ()

    def one_round():
        for case in cases:
            _, run = call(hostile, case, env)
            try:
                run()
            except azmi.AzmiError as err:
                assert err.code in case["codes"], f"{case['case']}: {err.code}: {err}"
            else:
                raise AssertionError(f"{case['case']}: a hostile endpoint gave a result")

    for _ in range(memory["warmup_rounds"]):
        one_round()
    before = rss_mb()
    for _ in range(memory["rounds"]):
        one_round()
    print(json.dumps({"cases": len(cases), "before_mb": before, "after_mb": rss_mb()}))


if __name__ == "__main__":
    main()
