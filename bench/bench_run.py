"""The whole study's wall time and peak memory: run a command (default `make run`) and sample the
resident memory of its whole process tree every half second.

    python bench/bench_run.py [-- COMMAND ...]

Prints wall seconds and the peak of the summed RSS of every process under the command (the jobs
Snakemake runs side by side included) next to the targets (<= 10 min wall, <= 3 GB); then the
per-stage seconds come from `python bench/stage_timings.py`.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

WALL_TARGET_S = 600
RSS_TARGET_GB = 3.0


def tree_rss(root: psutil.Process) -> int:
    """Summed resident bytes of ``root`` and every descendant still alive."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass  # ended between the listing and the reading
    return total


def main(command: list[str]) -> int:
    started = time.perf_counter()
    child = subprocess.Popen(command)
    root, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_rss(root))
        time.sleep(0.5)
    wall = time.perf_counter() - started
    print(f"command: {' '.join(command)} (exit {child.returncode})")
    print(f"wall: {wall:.0f} s ({wall / 60:.1f} min)   target <= {WALL_TARGET_S} s")
    print(f"peak RSS of the process tree: {peak / 1e9:.2f} GB   target <= {RSS_TARGET_GB} GB")
    return child.returncode


if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(main(args[args.index("--") + 1:] if "--" in args else ["make", "run"]))
