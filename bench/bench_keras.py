"""The Keras accuracy targets, measured on the real pipeline with a given params file.

For each project, in a temporary working directory (data from the offline mirror):
``python -m dlpipe fetch|split|preprocess|tune_worker|tune|train|evaluate <project>`` (the
tune_worker jobs run at once, as the front ends run them), then the figures are read
back from the stage outputs:

- iris:  5-fold CV accuracy of the tuned model (train stage, ``reports/iris/cv.json``; the CV runs
         ``dlpipe.models.training.cross_validate`` on the 80 % training part; per-fold epochs in
         ``reports/iris/fit.json``), mean >= 0.973, std <= 0.035
- price: test accuracy of the final fit (evaluate stage, ``reports/price/metrics.json``) >= 0.98
- both:  tune + train wall time <= 300 s (2-core CPU, default params)

Usage: .venv/bin/python bench/bench_keras.py [--params FILE] [--projects iris price]
       [--workdir DIR] [--keep]
Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

TARGETS = {
    "iris": {"cv_accuracy_mean": (">=", 0.973), "cv_accuracy_std": ("<=", 0.035)},
    "price": {"test_accuracy": (">=", 0.98)},
}
WALL_LIMIT_S = 300.0


def _ok(value: float, op: str, bound: float) -> bool:
    return value >= bound if op == ">=" else value <= bound


def bench_project(root: Path, project: str) -> dict:
    times = {"data": c.prepare_data(root, project)}
    workers = c.read_raw(str(root / "params.yaml"))[project]["tune"]["workers"]
    times["tune"] = c.run_tune(root, project, workers)  # tune_worker x workers, then tune
    for stage in ("train", "evaluate"):
        times[stage] = c.run_stage(root, stage, project)
    best = c.read_json(c.artefact(root, "tune", "best_params", project))
    cv = c.read_json(c.artefact(root, "train", "cv", project))  # {"summary", "folds": {"1": ..}}
    fit = c.read_json(c.artefact(root, "train", "fit", project))  # spec, cv_epochs, final_fit
    metrics = c.read_json(c.artefact(root, "evaluate", "metrics", project))  # {"test": {...}}
    folds = [cv["folds"][k] for k in sorted(cv["folds"], key=int)]
    return {
        "times": times,
        "tuned": best["tuned"], "tune_best": best["best_value"],
        "n_complete": best["n_complete"], "n_pruned": best["n_pruned"],
        "tune_epochs": best["epochs_total"],
        "cv_accuracy_mean": cv["summary"]["accuracy"]["mean"],
        "cv_accuracy_std": cv["summary"]["accuracy"]["std"],
        "cv_folds": [round(f["accuracy"], 4) for f in folds],
        "cv_epochs": fit["cv_epochs"],
        "test_accuracy": metrics["test"]["accuracy"],
        "test_f1_macro": metrics["test"].get("f1_macro"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=c.default_params())
    parser.add_argument("--projects", nargs="+", default=["iris", "price"])
    parser.add_argument("--workdir", default=None, help="default: a fresh directory under /tmp")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()

    raw = c.read_raw(args.params)
    root = c.workdir("bench_keras", args.workdir)
    c.write_params(root, raw)
    print(f"params {args.params} | workdir {root} | mirror {c.MIRROR}", flush=True)
    all_ok = True
    started = time.perf_counter()
    for project in args.projects:
        r = bench_project(root, project)
        t = r["times"]
        wall = t["tune"] + t["train"]
        print(f"\n== {project}: tuned {r['tuned']} (CV {r['tune_best']:.4f}; "
              f"{r['n_complete']} complete, {r['n_pruned']} pruned, {r['tune_epochs']} epochs)")
        print(f"   CV accuracy folds {r['cv_folds']} epochs {r['cv_epochs']}")
        print(f"   CV accuracy {r['cv_accuracy_mean']:.4f} +- {r['cv_accuracy_std']:.4f} | "
              f"test accuracy {r['test_accuracy']:.4f} f1_macro {r['test_f1_macro']:.4f}")
        for key, (op, bound) in TARGETS.get(project, {}).items():
            ok = _ok(r[key], op, bound)
            all_ok &= ok
            print(f"   {c.verdict(ok)} {key} = {r[key]:.4f} (target {op} {bound})")
        ok = wall <= WALL_LIMIT_S
        all_ok &= ok
        print(f"   {c.verdict(ok)} tune+train wall = {wall:.0f} s (tune {t['tune']:.0f} s, train "
              f"{t['train']:.0f} s; target <= {WALL_LIMIT_S:.0f} s) | data {t['data']:.0f} s, "
              f"evaluate {t['evaluate']:.0f} s", flush=True)
    print(f"\n{'ALL TARGETS MET' if all_ok else 'SOME TARGETS MISSED'} "
          f"(total {time.perf_counter() - started:.0f} s)")
    if not args.keep and not args.workdir:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
