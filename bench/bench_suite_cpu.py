"""Where a command's CPU goes (the test suite, by default its DAG phase): every process's CPU
seconds, sampled from /proc each second while the command runs, added up by the directory it
runs in (a test's temporary repo: the fixture's or test's name) and by what it is (a pytest
worker, a stage job, the job server and its forked jobs, Snakemake, DVC, podman, ...).

    python bench/bench_suite_cpu.py [--top 30] [--json FILE] [-- COMMAND ...]

The default command is the DAG phase as `make test` runs it. Linux only; the sampling itself
costs about 1 % of a core. A process that starts and ends between two samples is missed (its
parent's time is not), so the total is a lower bound of the machine's CPU.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
# a pytest temporary directory: .../popen-gw<N>/<name><number>/...
TEST_DIR = re.compile(r"/popen-gw\d+/(.+?)\d*(?:/|$)")


def ticks(pid: str) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError):
        return None


def kind(pid: str) -> tuple[str, str] | None:
    """Where the process runs (its test directory, or its working directory) and what it is."""
    try:
        argv = [a.decode(errors="replace")
                for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None
    if not argv:
        return None  # a kernel thread
    found = TEST_DIR.search(cwd)
    where = found.group(1) if found else cwd
    line = " ".join(argv)
    program = os.path.basename(argv[0])
    if "pytest" in line or "sys.stdin.readline" in line:  # pytest-xdist's workers: execnet's
        what = "pytest"
    elif "dlpipe preload" in line or (len(argv) > 3 and argv[3] == "preload"):
        what = "job server and its forked jobs"
    elif argv[1:3] == ["-m", "dlpipe"] or program == "dlpipe":
        after = argv[3:] if argv[1:3] == ["-m", "dlpipe"] else argv[1:]
        what = f"dlpipe {after[0] if after else ''}".strip()
    elif "snakemake" in line:
        what = "snakemake"
    elif program == "dvc" or "/dvc " in line:
        what = "dvc"
    else:
        what = program
    return where, what


def sample(command: list[str]) -> tuple[collections.Counter, float, int]:
    """Run ``command``, sampling every second; CPU seconds by (where, what), the wall seconds,
    and the command's exit code."""
    seen: dict[str, tuple[int, tuple[str, str]]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):  # what ran before: its past not counted
        used, key = ticks(pid), kind(pid)
        if used is not None and key is not None:
            seen[pid] = (used, key)
    total: collections.Counter = collections.Counter()
    started = time.monotonic()
    proc = subprocess.Popen(command)
    while proc.poll() is None:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            used = ticks(pid)
            if used is None:
                continue
            before = seen.get(pid)
            if before is None or used < before[0]:  # new, or its pid taken again
                key = kind(pid)
                if key is None:
                    continue
                before = (0, key)
            total[before[1]] += used - before[0]
            seen[pid] = (used, before[1])
        time.sleep(1.0)
    return total, time.monotonic() - started, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--json", help="write every (where, what) and its CPU seconds here")
    parser.add_argument("command", nargs="*", help="default: the DAG phase of `make test`")
    args = parser.parse_args()
    command = args.command
    if not command:
        # imported only here: a given command (`.ci/run` before the venv exists, say) needs
        # nothing beyond the standard library
        from bench_dag_workers import dag_phase
        command = dag_phase()
    total, wall, code = sample(command)
    seconds = {key: value / HZ for key, value in total.items()}
    by_where: collections.Counter = collections.Counter()
    by_what: collections.Counter = collections.Counter()
    for (where, what), value in seconds.items():
        by_where[where] += value
        by_what[what] += value
    print(f"\nexit {code}; wall {wall:.0f} s; CPU seen {sum(seconds.values()):.0f} s "
          f"({sum(seconds.values()) / wall:.2f} cores on average)")
    for title, counter in (("by directory", by_where), ("by process", by_what)):
        print(f"\n{title}:")
        for name, value in counter.most_common(args.top):
            print(f"  {value:7.1f} s  {name}")
    print("\nby directory and process:")
    for (where, what), value in collections.Counter(seconds).most_common(args.top):
        print(f"  {value:7.1f} s  {where} | {what}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"where": w, "what": k, "cpu_seconds": round(v, 2)}
             for (w, k), v in collections.Counter(seconds).most_common()], indent=1))
    sys.exit(code)


if __name__ == "__main__":
    main()
