"""Tuning efficiency: pruned TPE vs the exhaustive grid on the same search space.

Runs the real tune stage twice on the project's training part, in two working directories:

- grid: ``tune.mode: grid``, ``tune.pruner: none`` (every grid point, every fold: the reference)
- tpe:  ``tune.mode: tpe`` with the params file's pruner settings and ``n_trials``

and reads every trial back from the Optuna journal (value, state, and the user attr ``epochs``:
the epochs actually trained over the folds the trial ran). Target: the TPE study's best CV score
is within 0.005 of the grid's best, and the TPE study trained at most 30 % of the grid's epochs.
Also printed: the epochs TPE had spent when it first reached that score.

Usage: .venv/bin/python bench/bench_tuning_efficiency.py [--params FILE] [--project price]
       [--workdir DIR]   (re-using a workdir re-uses finished studies: the journal resumes)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

TOLERANCE = 0.005
MAX_RATIO = 0.30


def run_mode(base: Path, raw: dict, project: str, mode: str) -> tuple[list, float]:
    root = base / mode
    root.mkdir(parents=True, exist_ok=True)

    def edit(params: dict) -> None:
        tune = params[project]["tune"]
        tune["mode"] = mode
        if mode == "grid":
            tune["pruner"] = "none"
            tune["timeout"] = None

    c.write_params(root, raw, edit)
    c.prepare_data(root, project, ("fetch", "split"))
    elapsed = c.run_tune(root, project, params_workers(root, project))
    return c.journal_trials(root, project), elapsed


def params_workers(root: Path, project: str) -> int:
    return c.read_raw(str(root / "params.yaml"))[project]["tune"]["workers"]


def summary(trials: list) -> dict:
    done = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    complete = [t for t in done if t.state.name == "COMPLETE"]
    return {"trials": len(done), "complete": len(complete), "pruned": len(done) - len(complete),
            "best": max(t.value for t in complete),
            "best_params": max(complete, key=lambda t: t.value).params,
            "epochs": sum(int(t.user_attrs.get("epochs", 0)) for t in trials)}


def epochs_to_reach(trials: list, score: float) -> int | None:
    spent = 0
    for t in trials:
        spent += int(t.user_attrs.get("epochs", 0))
        if t.state.name == "COMPLETE" and t.value >= score:
            return spent
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=c.default_params())
    parser.add_argument("--project", default="price")
    parser.add_argument("--workdir", default=None, help="default: a fresh directory under /tmp")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    raw = c.read_raw(args.params)
    base = c.workdir("bench_eff", args.workdir)
    from dlpipe.models import tuning
    from dlpipe.params import load_params

    cfg = load_params(c.write_params(base, raw)).project(args.project)
    print(f"params {args.params} | workdir {base}\nsearch space "
          f"{ {k: v for k, v in tuning.grid(cfg.tune).items()} } "
          f"-> grid of {tuning.grid_size(cfg.tune)} points; TPE n_trials {cfg.tune.n_trials}, "
          f"pruner {cfg.tune.pruner} (startup {cfg.tune.pruner_startup_trials}, warmup "
          f"{cfg.tune.pruner_warmup_steps}), {cfg.cv.folds}-fold CV", flush=True)

    started = time.perf_counter()
    grid_trials, grid_s = run_mode(base, raw, args.project, "grid")
    grid = summary(grid_trials)
    print(f"grid: best {grid['best']:.4f} {grid['best_params']} | {grid['trials']} trials, "
          f"{grid['epochs']} epochs, {grid_s:.0f} s", flush=True)
    tpe_trials, tpe_s = run_mode(base, raw, args.project, "tpe")
    tpe = summary(tpe_trials)
    print(f"tpe:  best {tpe['best']:.4f} {tpe['best_params']} | {tpe['trials']} trials "
          f"({tpe['complete']} complete, {tpe['pruned']} pruned), {tpe['epochs']} epochs, "
          f"{tpe_s:.0f} s", flush=True)

    reach = epochs_to_reach(tpe_trials, grid["best"] - TOLERANCE)
    ratio = tpe["epochs"] / grid["epochs"]
    score_ok = tpe["best"] >= grid["best"] - TOLERANCE
    ratio_ok = ratio <= MAX_RATIO
    print(f"\ngrid best {grid['best']:.4f} with {grid['epochs']} epochs; "
          f"TPE best {tpe['best']:.4f} with {tpe['epochs']} epochs")
    print(f"{c.verdict(score_ok)} TPE best - grid best = {tpe['best'] - grid['best']:+.4f} "
          f"(target >= -{TOLERANCE})")
    print(f"{c.verdict(ratio_ok)} epochs ratio TPE/grid = {ratio:.3f} (target <= {MAX_RATIO})")
    if reach is None:
        print("TPE never reached the grid's best - tolerance")
    else:
        print(f"     TPE first reached {grid['best'] - TOLERANCE:.4f} after {reach} epochs "
              f"(ratio {reach / grid['epochs']:.3f})")
    print(f"wall: grid {grid_s:.0f} s, tpe {tpe_s:.0f} s, total {time.perf_counter() - started:.0f} s")
    if not args.keep and not args.workdir:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if score_ok and ratio_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
