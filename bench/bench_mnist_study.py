"""Full-data bench of the scikit-learn MNIST study (issue #4): every task on all 60000/10000 rows.

    .venv/bin/python bench/bench_mnist_study.py [--params params.yaml] [--tasks binary multiclass]
                                                [--out /tmp/mnist_study] [--seed 42]

The config is ``mnist.study`` of ``--params`` (default params.yaml)
(the defaults proposed for params.yaml). Prints every headline figure next to its target, the
seconds of each task, total wall time and peak memory (ru_maxrss of this process and of its
waited-for children). Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import logging
import resource
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlpipe.tasks import TASKS, binary, denoise, multiclass, multilabel  # noqa: E402
from dlpipe.tasks.common import Images  # noqa: E402
from dlpipe.params.tasks import parse_study  # noqa: E402

DATA = Path(os.environ.get("DLPIPE_DATA_MIRROR", ROOT.parent / "shared" / "data")) / "mnist_784.npz"
N_TRAIN = 60000
BUDGET_S = 11 * 60        # the sklearn share of the 20 min MNIST study budget
MEMORY_MB = 3 * 1024


def load_config(params: Path):
    study = yaml.safe_load(params.read_text())["mnist"]["study"]
    return parse_study(study, source=str(params)), f"{params}: mnist.study"


def peak_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024, children_kb / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--out", type=Path, default=Path("/tmp/mnist_study_bench"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    cfg, origin = load_config(args.params)
    print(f"config: {origin}", flush=True)
    start = time.perf_counter()
    with np.load(DATA) as data:
        X, y = data["X"], data["y"]
    # one Images wrapper per part: tasks share its deskewed copy (computed once, on first use)
    parts = (Images(X[:N_TRAIN]), y[:N_TRAIN], Images(X[N_TRAIN:]), y[N_TRAIN:])
    runners = {"binary": (binary, cfg.binary), "multiclass": (multiclass, cfg.multiclass),
               "multilabel": (multilabel, cfg.multilabel), "denoise": (denoise, cfg.denoise)}
    checks: list[tuple[str, float, str, bool]] = []
    seconds: dict[str, float] = {}
    for task in args.tasks:
        module, task_cfg = runners[task]
        t0 = time.perf_counter()
        result = module.run_task(*parts, task_cfg, args.seed)
        result.write(args.out / task)
        seconds[task] = time.perf_counter() - t0
        m = result.metrics
        print(f"\n== {task}: {seconds[task]:.1f} s (task {result.seconds:.1f} s + writing)",
              flush=True)
        timing = result.rows[result.rows["metric"].str.endswith("_seconds")]
        for (model, metric), value in timing.set_index(["model", "metric"])["value"].items():
            print(f"   {model:>16} {metric:<16} {value:8.1f} s")
        if task == "binary":
            for name, info in m["models"].items():
                t = info["threshold"]
                extra = "" if t is None else (
                    f" | t={t['value']:.3g}: CV P {t['cv_precision']:.4f} R {t['cv_recall']:.4f}"
                    f", test P {t['test_precision']:.4f} R {t['test_recall']:.4f}")
                print(f"   {name:>16} test F1 {info['test']['f1']:.4f} AUC "
                      f"{info['test']['roc_auc']:.4f} (CV F1 {info['cv']['f1']:.4f} AUC "
                      f"{info['cv']['roc_auc']:.4f}){extra}")
            best = m["best_model"]
            checks += [(f"binary best ({best}) test F1", m["best"]["f1"], ">= 0.95",
                        m["best"]["f1"] >= 0.95),
                       (f"binary best ({best}) test ROC AUC", m["best"]["roc_auc"], ">= 0.998",
                        m["best"]["roc_auc"] >= 0.998)]
        elif task == "multiclass":
            for name, info in m["models"].items():
                tuned = f" tuned {info['tuning']['best']}" if "tuning" in info else ""
                print(f"   {name:>16} test accuracy {info['test']['accuracy']:.4f} f1_macro "
                      f"{info['test']['f1_macro']:.4f}{tuned}")
            checks.append((f"multiclass best ({m['best_model']}) test accuracy",
                           m["best"]["accuracy"], ">= 0.985", m["best"]["accuracy"] >= 0.985))
        elif task == "multilabel":
            print(f"   test {m['test']}")
            checks.append(("multilabel test f1_macro", m["test"]["f1_macro"], ">= 0.98",
                           m["test"]["f1_macro"] >= 0.98))
        else:
            noisy, cleaned = m["noisy"], m["denoised"]
            print(f"   noisy RMSE {noisy['root_mean_squared_error']:.2f} "
                  f"PSNR {noisy['psnr']:.2f} dB"
                  f" -> denoised RMSE {cleaned['root_mean_squared_error']:.2f} PSNR "
                  f"{cleaned['psnr']:.2f} dB")
            checks.append(("denoise test RMSE (denoised < noisy)",
                           cleaned["root_mean_squared_error"],
                           f"< {noisy['root_mean_squared_error']:.2f}",
                           cleaned["root_mean_squared_error"]
                           < noisy["root_mean_squared_error"]))
    total = time.perf_counter() - start
    self_mb, children_mb = peak_mb()
    checks.append(("total wall seconds", total, f"<= {BUDGET_S}", total <= BUDGET_S))
    checks.append(("peak RSS MB (self + children)", self_mb + children_mb, f"<= {MEMORY_MB}",
                   self_mb + children_mb <= MEMORY_MB))
    print("\n== summary (outputs in", args.out, ")")
    for task, s in seconds.items():
        print(f"   {task:<12} {s:8.1f} s")
    print(f"   peak RSS: self {self_mb:.0f} MB, children {children_mb:.0f} MB")
    for label, value, target, ok in checks:
        print(f"   {'ok  ' if ok else 'MISS'} {label:<44} {value:10.4f}  target {target}")
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
