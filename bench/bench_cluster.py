"""Cluster overhead: the tiny iris pipeline through SLURM vs locally (same params, same results).

Starts the project's one-node SLURM cluster (ci/cluster/start-slurm.sh, root on Debian), runs
the tiny pipeline both ways in temporary repos, prints both wall times and the overhead, and
whether both runs give identical metrics (every metrics file, reports/iris/cv.json and the
summary table, wall-clock seconds left out: tests/frontends.py's ``results`` and
``cv_scores``).

    python bench/bench_cluster.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO as ROOT  # noqa: E402  (it puts src/ on the path)
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "dag")]

from frontends import cv_scores, results  # noqa: E402
from test_slurm import iris_repo, snakemake  # noqa: E402


def timed(repo: Path, *args: str) -> float:
    started = time.perf_counter()
    result = snakemake(repo, *args)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    return time.perf_counter() - started


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    os.environ.setdefault("DLPIPE_DATA_MIRROR", str(ROOT.parent / "shared" / "data"))
    start = subprocess.run(["bash", str(ROOT / "ci/cluster/start-slurm.sh")], capture_output=True,
                           text=True)
    if start.returncode != 0:
        raise SystemExit(f"SLURM did not start: {start.stderr.strip()[-500:]}")
    with tempfile.TemporaryDirectory() as local, tempfile.TemporaryDirectory() as cluster:
        local_repo, cluster_repo = iris_repo(Path(local)), iris_repo(Path(cluster))
        local_s = timed(local_repo, "--cores", "2")
        cluster_s = timed(cluster_repo, "--workflow-profile", "profiles/slurm",
                          "--jobs", "2")
        # every metric and the CV scores; wall-clock seconds left out (they differ run to run)
        same = (results(local_repo, ("iris",)) == results(cluster_repo, ("iris",))
                and cv_scores(local_repo, "iris") == cv_scores(cluster_repo, "iris"))
    print(f"tiny iris pipeline, local (--cores 2): {local_s:.1f} s")
    print(f"tiny iris pipeline, SLURM (--jobs 2):  {cluster_s:.1f} s")
    print(f"cluster overhead: {cluster_s - local_s:+.1f} s ({cluster_s / local_s:.2f}x); "
          f"identical metrics: {same}")


if __name__ == "__main__":
    main()
