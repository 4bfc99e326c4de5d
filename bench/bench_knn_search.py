"""The MNIST KNN search two ways on the same rows, taking turns: each trial scored by
``cross_val_score`` with its own classifier (every trial searches the neighbours again), and
the pipeline's ``search_knn`` (each fold finds its neighbours once, a trial votes). Prints each
way's seconds (median and range over the repeats) and whether every trial's CV accuracy is the
same.

    python bench/bench_knn_search.py [--params params.yaml] [--repeats 3]

The spec is ``mnist.tasks.multiclass.models.knn`` of ``--params`` and the rows its search's
(``tune.rows`` of the mirror's ``mnist_784.npz`` training part, deskewed if the spec says so),
on one thread, as the multiclass stage runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from dlpipe import cpu  # noqa: E402

cpu.limit_threads(1)  # before NumPy loads: OpenBLAS keeps the thread count it starts with

import numpy as np  # noqa: E402
import optuna  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402

from bench_mnist_study import ROOT, load_config, load_images  # noqa: E402
from dlpipe.features import subsample_rows  # noqa: E402
from dlpipe.tasks.common import Images, build_estimator  # noqa: E402
from dlpipe.tasks.knn_search import search_knn  # noqa: E402


def search_by_refitting(images: Images, y: np.ndarray, spec, seed: int) -> list[float]:
    """Every trial's CV accuracy, each trial fitted and searched in full (the reference)."""
    space = spec.tune
    index = subsample_rows(y, min(space.rows, spec.train_rows or space.rows), seed)
    X, y_sub = images.get(spec.deskew)[index], y[index]
    folds = StratifiedKFold(n_splits=space.folds, shuffle=True, random_state=seed)

    def objective(trial: optuna.Trial) -> float:
        k = trial.suggest_int("n_neighbors", space.n_neighbors_low, space.n_neighbors_high)
        weights = trial.suggest_categorical("weights", list(space.weights))
        candidate = spec.model_copy(update={"n_neighbors": k, "weights": weights, "tune": None,
                                            "augment": False})
        return float(np.mean(cross_val_score(build_estimator(candidate, seed), X, y_sub,
                                             cv=folds, scoring="accuracy")))

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=space.n_trials)
    return [trial.value for trial in study.trials]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tasks, seed, _ = load_config(args.params)
    spec = tasks.multiclass.models["knn"]
    X_train, y_train, _, _ = load_images(seed, None, 10)
    images = Images(X_train)
    images.get(spec.deskew)  # deskewed once, outside the timings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seconds = {"refit per trial": [], "neighbours once": []}
    values = {}
    for _ in range(args.repeats):
        started = time.perf_counter()
        values["refit per trial"] = search_by_refitting(images, y_train, spec, seed)
        seconds["refit per trial"].append(time.perf_counter() - started)
        started = time.perf_counter()
        found = search_knn(images, y_train, spec, seed)
        seconds["neighbours once"].append(time.perf_counter() - started)
        values["neighbours once"] = list(found.trials["value"])
    print(f"{spec.tune.n_trials} trials, {spec.tune.folds}-fold CV on {spec.tune.rows} rows, "
          f"{args.repeats} repeats in turns")
    for name, times in seconds.items():
        print(f"{name:18s} {np.median(times):7.2f} s ({min(times):.2f}-{max(times):.2f})")
    ratio = np.divide(seconds["neighbours once"], seconds["refit per trial"])
    print(f"ratio {np.median(ratio):.3f} ({ratio.min():.3f}-{ratio.max():.3f}); "
          f"same trial values: {values['refit per trial'] == values['neighbours once']}")
    return 0 if values["refit per trial"] == values["neighbours once"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
