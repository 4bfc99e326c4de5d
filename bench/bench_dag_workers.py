"""The DAG phase of `make test` on each number of pytest-xdist workers, taking turns: its wall
time, CPU, the cores it kept busy, each test file's span and worker, and how long its last file
ran alone.

    python bench/bench_dag_workers.py [--workers 4 9] [--repeats 1] [--files FILE ...]

`make test` runs the DAG files (`tests/dag/`) one per worker on 4 workers (two per core on 2
cores). pytest-xdist hands the files out those with the most tests first, and gives a worker its
next file as soon as two of its tests are left (the file then waits there until they end), so
the short files queue behind the long ones; with as many workers as files every file starts at
once. Each run of the whole phase takes about a quarter of an hour on 2 cores: run it on a quiet
machine, with the dataset mirror (`DLPIPE_DATA_MIRROR`) and, for the image's tests, podman.
``--files`` runs only those DAG files (a quick check of the bench itself).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import MIRROR, PYTHON, REPO, children_cpu

WORKERS = 4  # `make test` on 2 cores: two per core
DAG = "tests/dag"


def dag_phase(workers: int = WORKERS, files: tuple[str, ...] = (DAG,)) -> list[str]:
    """The DAG phase as `make test` runs it, on ``workers`` workers."""
    return [PYTHON, "-m", "pytest", "-n", str(workers), "--dist", "loadfile", "-m", "slow", "-q",
            "-p", "no:cacheprovider", *files]


def run(workers: int, files: tuple[str, ...]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        timeline = Path(tmp) / "timeline.json"
        env = {**os.environ, "CI": os.environ.get("CI", "true"), "DLPIPE_DATA_MIRROR": MIRROR,
               "DLPIPE_BENCH_TIMELINE": str(timeline),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "bench"),
                                                           os.environ.get("PYTHONPATH")])),
               "PATH": f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}"}
        cpu, started = children_cpu(), time.monotonic()
        done = subprocess.run([*dag_phase(workers, files), "-p", "_dag_timeline"], cwd=REPO,
                              env=env, capture_output=True, text=True)
        wall, cpu = time.monotonic() - started, children_cpu() - cpu
        if done.returncode:
            sys.exit(f"the DAG phase failed on {workers} workers:\n{done.stdout[-3000:]}")
        spans = json.loads(timeline.read_text())
    first = min(span["start"] for span in spans.values())
    spans = {name: {**span, "start": span["start"] - first, "end": span["end"] - first}
             for name, span in spans.items()}
    ends = sorted(span["end"] for span in spans.values())
    return {"workers": workers, "wall": wall, "cpu": cpu, "spans": spans,
            "alone": ends[-1] - ends[-2] if len(ends) > 1 else ends[-1]}


def report(result: dict) -> None:
    print(f"\n{result['workers']} workers: wall {result['wall']:.0f} s, CPU {result['cpu']:.0f} s "
          f"({result['cpu'] / result['wall']:.2f} cores on average), the last file alone for "
          f"{result['alone']:.0f} s", flush=True)
    for name, span in sorted(result["spans"].items(), key=lambda item: item[1]["start"]):
        print(f"  {span['start']:6.0f} -> {span['end']:6.0f} s  {span['worker']:>4}  {name}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[WORKERS, 9],
                        help="worker counts; the first is the anchor of the ratios")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--files", nargs="+", default=[DAG], help=f"default: {DAG}")
    args = parser.parse_args()
    results: dict[int, list[dict]] = {n: [] for n in args.workers}
    for _ in range(args.repeats):
        for workers in args.workers:  # taking turns, so a drift of the machine hits each alike
            results[workers].append(run(workers, tuple(args.files)))
            report(results[workers][-1])
    anchor = args.workers[0]
    print("\nwall and CPU seconds (median, range), the wall's ratio to the first count's:")
    for workers, runs in results.items():
        walls, cpus = [r["wall"] for r in runs], [r["cpu"] for r in runs]
        ratios = [r["wall"] / a["wall"] for r, a in zip(runs, results[anchor])]
        print(f"  {workers:2d} workers: wall {statistics.median(walls):.0f} s ({min(walls):.0f}-"
              f"{max(walls):.0f}), CPU {statistics.median(cpus):.0f} s ({min(cpus):.0f}-"
              f"{max(cpus):.0f}), ratio {statistics.median(ratios):.3f} ({min(ratios):.3f}-"
              f"{max(ratios):.3f}), {len(walls)} runs")


if __name__ == "__main__":
    main()
