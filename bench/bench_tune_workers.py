"""Distributed tuning: 1 worker vs N workers sharing one Optuna journal, same trial budget.

Runs the real stages (`python -m dlpipe tune_worker PROJECT --worker K`, then `tune`) in two
temporary directories and prints both wall times, the speed-up and both best CV scores.
The machine's cores are shared out through `resources.tune_worker.threads`: the single
worker gets them all, so the speed-up is over the best one process can do, not over one core.

    python bench/bench_tune_workers.py [--project price] [--trials 12] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def prepare(where: Path, project: str, trials: int, workers: int) -> None:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["projects"] = [project]
    raw[project]["tune"].update(n_trials=trials, workers=workers, timeout=None)
    # the machine's cores shared out: one worker may use them all, N workers get 1/N each
    raw["resources"]["tune_worker"]["threads"] = max(1, (os.cpu_count() or 1) // workers)
    (where / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    for stage in ("fetch", "split"):
        subprocess.run([sys.executable, "-m", "dlpipe", stage, project], cwd=where, check=True,
                       capture_output=True)


def tune(where: Path, project: str, workers: int) -> tuple[float, dict]:
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "dlpipe", "tune_worker", project,
                               "--worker", str(k)], cwd=where, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for k in range(workers)]
    if any(p.wait() for p in procs):
        raise SystemExit(f"a worker failed; see {where}/logs/{project}/")
    wall = time.perf_counter() - started
    subprocess.run([sys.executable, "-m", "dlpipe", "tune", project], cwd=where, check=True,
                   capture_output=True)
    return wall, json.loads((where / f"models/{project}/best_params.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="price")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DLPIPE_DATA_MIRROR", str(ROOT.parent / "shared" / "data"))
    results = {}
    for workers in (1, args.workers):
        with tempfile.TemporaryDirectory() as tmp:
            prepare(Path(tmp), args.project, args.trials, workers)
            results[workers] = tune(Path(tmp), args.project, workers)
            best = results[workers][1]
            print(f"{workers} worker(s): {results[workers][0]:.1f} s wall, "
                  f"{best['n_complete']} complete + {best['n_pruned']} pruned trials, "
                  f"{best['epochs_total']} epochs ({best['epochs_total'] / results[workers][0]:.2f}"
                  f"/s), best CV {best['metric']} {best['best_value']:.4f}")
    speedup = results[1][0] / results[args.workers][0]
    print(f"speed-up {args.workers} vs 1 worker: {speedup:.2f}x (target >= 1.6x on 2 cores)")
    # pruning decisions depend on which trials finished first, so the work differs a little
    rate = {w: r[1]["epochs_total"] / r[0] for w, r in results.items()}
    print(f"epochs per second {args.workers} vs 1 worker: {rate[args.workers] / rate[1]:.2f}x")


if __name__ == "__main__":
    main()
