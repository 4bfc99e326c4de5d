"""*Finished run.* What ``dlpipe preload`` saves per job: whole stage jobs of one project, each
run as a fresh process and as a job forked by the job server, taking turns, on a copy of the
project's files from a finished run (ROOT is left as it is).

    python bench/bench_preload.py [ROOT] [--project iris] [--repeats 3]

Prints each stage's median wall seconds (min-max) both ways, their sum, and what the server's
own imports take once per command (its start, paid before its first job).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from _common import run_stage

STAGES = ("split", "preprocess", "baseline", "select", "evaluate", "export", "reference",
          "audit", "explain")
SERVER_START = "import time; t = time.perf_counter(); from dlpipe.cli.job_server import preload; " \
               "preload(1); print(time.perf_counter() - t)"


def copy_project(root: Path, project: str, projects: list[str], where: Path) -> None:
    """params.yaml and the project's files under data/, models/ and reports/."""
    others = [p for p in projects if p != project]
    ignore = lambda _, names: [n for n in names if any(n.startswith(o) for o in others)]  # noqa: E731
    shutil.copy2(root / "params.yaml", where / "params.yaml")
    for folder in ("data", "models", "reports"):
        shutil.copytree(root / folder, where / folder, ignore=ignore)


def time_jobs(project: str) -> dict[str, float]:
    """Run each stage once (after one untimed job: a server's start is not a job's); wall s."""
    here = Path.cwd()
    run_stage(here, "select", project)
    return {stage: run_stage(here, stage, project) for stage in STAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default=".")
    parser.add_argument("--project", default="iris")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-jobs", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_jobs:
        print(json.dumps(time_jobs(args.project)))
        return
    import yaml

    root = Path(args.root).resolve()
    projects = yaml.safe_load((root / "params.yaml").read_text())["projects"]
    me = [sys.executable, str(Path(__file__).resolve()), "--project", args.project, "--time-jobs"]
    env = {k: v for k, v in os.environ.items() if k != "DLPIPE_JOB_SERVER"}
    runs: dict[str, list[dict[str, float]]] = {"fresh": [], "forked": []}
    starts = []
    with tempfile.TemporaryDirectory(prefix="bench-preload-") as where:
        copy_project(root, args.project, projects, Path(where))
        for _ in range(args.repeats):
            for way, command in (("fresh", me), ("forked", [sys.executable, "-m", "dlpipe",
                                                             "preload", "--", *me])):
                done = subprocess.run(command, cwd=where, env=env, check=True,
                                      capture_output=True, text=True)
                runs[way].append(json.loads(done.stdout.strip().splitlines()[-1]))
            starts.append(float(subprocess.run([sys.executable, "-c", SERVER_START], cwd=where,
                                               env=env, check=True, capture_output=True,
                                               text=True).stdout.split()[-1]))
    print(f"{args.project}: {args.repeats} runs each way, taking turns; median wall s (min-max)")
    print(f"{'stage':11s} {'fresh':>18s} {'forked':>18s}")
    for stage in (*STAGES, "sum"):
        cells = []
        for way in ("fresh", "forked"):
            values = [sum(r.values()) if stage == "sum" else r[stage] for r in runs[way]]
            cells.append(f"{np.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})")
        print(f"{stage:11s} {cells[0]:>18s} {cells[1]:>18s}")
    print(f"the server's imports, once per command: {np.median(starts):.2f} s "
          f"({min(starts):.2f}-{max(starts):.2f})")


if __name__ == "__main__":
    main()
