"""The whole study's wall time and peak memory: run a command (default `make run`) and sample the
resident memory of its whole process tree every half second.

    python bench/bench_run.py [-- COMMAND ...]

Prints wall seconds and the peak of the summed RSS of every process under the command (the jobs
Snakemake runs side by side included) next to the targets (<= 10 min wall, <= 3 GB), the peak of
their summed PSS (shared library pages counted once: the memory the tree holds, on a machine
running nothing else) and the processes that held the most at the RSS peak; then the per-stage
seconds come from `python bench/stage_timings.py`.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from _common import smaps_rollup

WALL_TARGET_S = 600
RSS_TARGET_GB = 3.0


def tree_memory(root: psutil.Process) -> list[tuple[int, int, str]]:
    """(resident bytes, proportional bytes, command line) of ``root`` and every descendant still
    alive. RSS counts a shared library's pages in every process that maps them (TensorFlow's
    ~450 MB in each job that imports it); PSS splits them among those processes, so the PSS
    of a tree sums to the memory it holds."""
    found = []
    for process in [root, *root.children(recursive=True)]:
        try:
            found.append((process.memory_info().rss, pss(process.pid), " ".join(process.cmdline())))
        except (psutil.Error, OSError):
            pass  # ended between the listing and the reading
    return found


def pss(pid: int) -> int:
    """The process's proportional set size in bytes."""
    kib = smaps_rollup(pid).get("Pss")
    if kib is None:
        raise OSError(f"no Pss line for process {pid}")
    return kib * 1024


def main(command: list[str]) -> int:
    started = time.perf_counter()
    child = subprocess.Popen(command)
    root, peak, at_peak, peak_time, peak_pss = psutil.Process(child.pid), 0, [], 0.0, 0
    while child.poll() is None:
        processes = tree_memory(root)
        total = sum(rss for rss, _, _ in processes)
        peak_pss = max(peak_pss, sum(proportional for _, proportional, _ in processes))
        if total > peak:
            peak, at_peak, peak_time = total, processes, time.perf_counter() - started
        time.sleep(0.5)
    wall = time.perf_counter() - started
    print(f"command: {' '.join(command)} (exit {child.returncode})")
    print(f"wall: {wall:.0f} s ({wall / 60:.1f} min)   target <= {WALL_TARGET_S} s")
    print(f"peak RSS of the process tree: {peak / 1e9:.2f} GB   target <= {RSS_TARGET_GB} GB")
    print(f"peak PSS of the process tree: {peak_pss / 1e9:.2f} GB   (shared pages counted once)")
    print(f"at the RSS peak ({peak_time:.0f} s in), the processes holding the most (RSS, PSS):")
    for rss, proportional, cmdline in sorted(at_peak, reverse=True)[:4]:
        print(f"  {rss / 1e9:5.2f} GB  {proportional / 1e9:5.2f} GB  {cmdline[:100]}")
    return child.returncode


if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(main(args[args.index("--") + 1:] if "--" in args else ["make", "run"]))
