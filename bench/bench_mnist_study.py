"""Full-data bench of the scikit-learn MNIST tasks: every task on all 60000/10000 rows.

    .venv/bin/python bench/bench_mnist_study.py [--params params.yaml] [--tasks binary multiclass]
                                                [--out /tmp/mnist_study_bench] [--seed SEED]
                                                [--train-rows N] [--test-rows N]

The config is ``mnist.tasks`` of ``--params`` (default params.yaml), validated as the pipeline
validates it; ``--seed`` defaults to the file's ``seed``. Each task runs the pipeline's own task
code (``dlpipe.tasks.<task>.run_task``, what the ``dlpipe.stages.tasks`` nodes call) on the
canonical ordered split of the mirror's ``mnist_784.npz``, and its outputs are written under
``--out`` at the paths the stage table declares (``reports/mnist/<task>/metrics.json``,
``info.json``, ``scores.csv``, ``plots/``, ``figures/``). ``--train-rows`` / ``--test-rows`` take a
seeded stratified subsample (a quick check of the bench; the targets are for the full data).

Prints every headline figure next to its target, the seconds of each task, total wall time and
peak memory (ru_maxrss of this process and of its waited-for children). Exit code 1 if a target
is missed.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import time
from pathlib import Path

import numpy as np

from _common import REPO as ROOT  # noqa: E402  (it puts src/ on the path)

from dlpipe.features import subsample_rows  # noqa: E402
from dlpipe.params import load_params  # noqa: E402
from dlpipe.params.tasks import TasksParams  # noqa: E402
from dlpipe.pipeline import catalog, jobs  # noqa: E402
from dlpipe.pipeline.table import BY_NAME  # noqa: E402
from dlpipe.tasks import TaskResult, binary, denoise, multiclass, multilabel  # noqa: E402

DATA = Path(os.environ.get("DLPIPE_DATA_MIRROR", ROOT.parent / "shared" / "data")) / "mnist_784.npz"
PROJECT = "mnist"
TASKS = ("binary", "multiclass", "multilabel", "denoise")  # the scikit-learn tasks (not the MLP)
N_TRAIN = 60000
BUDGET_S = 11 * 60        # the sklearn share of the 20 min MNIST budget
MEMORY_MB = 3 * 1024


def load_config(params: Path) -> tuple[TasksParams, int, str]:
    """The validated ``mnist.tasks`` section and the file's seed."""
    loaded = load_params(params)
    section = loaded.project_params.get(PROJECT)
    if section is None or section.tasks is None:
        raise SystemExit(f"{params}: no {PROJECT}.tasks section")
    return section.tasks, loaded.seed, f"{params}: {PROJECT}.tasks"


def load_images(seed: int, train_rows: int | None, test_rows: int | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ordered split (first 60000 rows train, the rest test), optionally subsampled."""
    with np.load(DATA) as data:
        X, y = data["X"], data["y"].astype(int)
    X_train, y_train, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    keep = subsample_rows(y_train, train_rows, seed)
    keep_test = subsample_rows(y_test, test_rows, seed)
    return X_train[keep], y_train[keep], X_test[keep_test], y_test[keep_test]


def write_outputs(out: Path, task: str, result: TaskResult) -> None:
    """Every output of the task's stage, at the path the stage table declares, under ``out``."""
    paths = jobs.output_paths(BY_NAME[task], {"project": PROJECT})
    for name, value in result.outputs().items():
        catalog.write(out / paths[name], value)


def peak_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024, children_kb / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--out", type=Path, default=Path("/tmp/mnist_study_bench"))
    parser.add_argument("--seed", type=int, default=None, help="default: the params file's seed")
    parser.add_argument("--train-rows", type=int, default=None,
                        help="stratified subsample of the 60000 training rows (default: all)")
    parser.add_argument("--test-rows", type=int, default=None,
                        help="stratified subsample of the 10000 test rows (default: all)")
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    cfg, file_seed, origin = load_config(args.params)
    seed = file_seed if args.seed is None else args.seed
    print(f"config: {origin} (seed {seed})", flush=True)
    start = time.perf_counter()
    parts = load_images(seed, args.train_rows, args.test_rows)
    print(f"rows: {len(parts[1])} train, {len(parts[3])} test", flush=True)
    runners = {"binary": (binary, cfg.binary), "multiclass": (multiclass, cfg.multiclass),
               "multilabel": (multilabel, cfg.multilabel), "denoise": (denoise, cfg.denoise)}
    checks: list[tuple[str, float, str, bool]] = []
    seconds: dict[str, float] = {}
    for task in args.tasks:
        module, task_cfg = runners[task]
        t0 = time.perf_counter()
        result = module.run_task(*parts, task_cfg, seed, PROJECT)
        task_s = time.perf_counter() - t0
        write_outputs(args.out, task, result)
        seconds[task] = time.perf_counter() - t0
        m, info = result.metrics, result.info
        print(f"\n== {task}: {seconds[task]:.1f} s (task {task_s:.1f} s + writing)", flush=True)
        timing = result.scores[result.scores["metric"].str.endswith("_seconds")]
        for (model, metric), value in timing.set_index(["model", "metric"])["value"].items():
            print(f"   {model:>16} {metric:<16} {value:8.1f} s")
        if task == "binary":
            for name, scores in m.items():
                t = info["models"][name]["threshold"]
                extra = "" if t is None else (
                    f" | t={t['value']:.3g}: CV P {t['cv_precision']:.4f} R {t['cv_recall']:.4f}"
                    f", test P {t['test_precision']:.4f} R {t['test_recall']:.4f}")
                print(f"   {name:>16} test F1 {scores['test']['f1']:.4f} AUC "
                      f"{scores['test']['roc_auc']:.4f} (CV F1 {scores['cv']['f1']:.4f} AUC "
                      f"{scores['cv']['roc_auc']:.4f}){extra}")
            best = info["best_model"]
            f1, auc = m[best]["test"]["f1"], m[best]["test"]["roc_auc"]
            checks += [(f"binary best ({best}) test F1", f1, ">= 0.95", f1 >= 0.95),
                       (f"binary best ({best}) test ROC AUC", auc, ">= 0.998", auc >= 0.998)]
        elif task == "multiclass":
            for name, scores in m.items():
                model_info = info["models"][name]
                tuned = f" tuned {model_info['tuning']['best']}" if "tuning" in model_info else ""
                print(f"   {name:>16} test accuracy {scores['test']['accuracy']:.4f} f1_macro "
                      f"{scores['test']['f1_macro']:.4f}{tuned}")
            best = info["best_model"]
            accuracy = m[best]["test"]["accuracy"]
            checks.append((f"multiclass best ({best}) test accuracy", accuracy, ">= 0.985",
                           accuracy >= 0.985))
        elif task == "multilabel":
            test = m[info["model"]]["test"]
            print(f"   test {test}")
            checks.append(("multilabel test f1_macro", test["f1_macro"], ">= 0.98",
                           test["f1_macro"] >= 0.98))
        else:
            noisy, cleaned = m["noisy_input"]["test"], m[info["model"]]["test"]
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
