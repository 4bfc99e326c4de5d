"""Distributed tuning: 1 worker vs N workers sharing one Optuna journal, same trial budget.

Runs the real stages (`python -m dlpipe tune_worker PROJECT --worker K`, then `tune`) in two
temporary directories and prints both wall times, the speed-up and both best CV scores.
The machine's cores are shared out through `resources.tune_worker.threads`: the single
worker gets them all, so the speed-up is over the best one process can do, not over one core.

    python bench/bench_tune_workers.py [--params FILE] [--project price] [--trials 12]
                                       [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402


def prepare(raw: dict, project: str, trials: int, workers: int) -> Path:
    def edit(params: dict) -> None:
        params["projects"] = [project]
        params[project]["tune"].update(n_trials=trials, workers=workers, timeout=None)
        # the machine's cores shared out: one worker may use them all, N workers get 1/N each
        params["resources"]["tune_worker"]["threads"] = max(1, (os.cpu_count() or 1) // workers)

    where = c.workdir(f"bench_workers_{workers}")
    c.write_params(where, raw, edit)
    c.prepare_data(where, project, ("fetch", "split"))
    return where


def tune(where: Path, project: str, workers: int) -> tuple[float, dict]:
    """Every worker at once (timed), then the collecting stage; the best_params it wrote."""
    started = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=where, env=c.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
             for cmd in c.tune_commands(project, workers)]
    if any(p.wait() for p in procs):
        raise SystemExit(f"a worker failed; see {where}/logs/{project}/")
    wall = time.perf_counter() - started
    c.run_stage(where, "tune", project)
    return wall, c.read_json(c.artefact(where, "tune", "best_params", project))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=c.default_params())
    parser.add_argument("--project", default="price")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    raw = c.read_raw(args.params)
    results = {}
    for workers in (1, args.workers):
        where = prepare(raw, args.project, args.trials, workers)
        try:
            results[workers] = tune(where, args.project, workers)
        finally:
            shutil.rmtree(where, ignore_errors=True)
        best = results[workers][1]
        print(f"{workers} worker(s): {results[workers][0]:.1f} s wall, "
              f"{best['n_complete']} complete + {best['n_pruned']} pruned trials, "
              f"{best['epochs_total']} epochs ({best['epochs_total'] / results[workers][0]:.2f}"
              f"/s), best CV {best['metric']} {best['best_value']:.4f}", flush=True)
    speedup = results[1][0] / results[args.workers][0]
    print(f"speed-up {args.workers} vs 1 worker: {speedup:.2f}x (target >= 1.6x on 2 cores)")
    # pruning decisions depend on which trials finished first, so the work differs a little
    rate = {w: r[1]["epochs_total"] / r[0] for w, r in results.items()}
    print(f"epochs per second {args.workers} vs 1 worker: {rate[args.workers] / rate[1]:.2f}x")


if __name__ == "__main__":
    main()
