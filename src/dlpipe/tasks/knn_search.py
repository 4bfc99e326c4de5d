"""Optuna search over a KNN's ``n_neighbors`` and ``weights``: seeded TPE, stratified k-fold CV
accuracy on a seeded subsample of the training part. In memory (the search is seconds long)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score

from dlpipe.features import subsample_rows
from dlpipe.models.tuning import trials_table
from dlpipe.params.tasks import KnnModel
from dlpipe.tasks.common import Images, build_estimator

log = logging.getLogger(__name__)


@dataclass
class KnnSearch:
    best: dict[str, object]   # {"n_neighbors": int, "weights": str}
    best_value: float         # mean CV accuracy of the best trial
    trials: pd.DataFrame      # number, state, value, seconds, n_neighbors, weights
    rows: int                 # training rows the trials were scored on


def search_knn(images: Images, y: np.ndarray, spec: KnnModel, seed: int) -> KnnSearch:
    """Search ``spec.tune``'s space on the rows ``spec`` would be trained on.

    The data preparation of ``spec`` (deskew, scaler) is kept; augmentation is not used while
    searching (shifted copies of a validation image would sit in the training folds).
    """
    if spec.tune is None:
        raise ValueError("search_knn: the spec has no 'tune' section")
    space = spec.tune
    y = np.asarray(y)
    index = subsample_rows(y, min(space.rows, spec.train_rows or space.rows), seed)
    X = images.get(spec.deskew)[index]
    y_sub = y[index]
    folds = StratifiedKFold(n_splits=space.folds, shuffle=True, random_state=seed)

    def objective(trial: optuna.Trial) -> float:
        k = trial.suggest_int("n_neighbors", space.n_neighbors_low, space.n_neighbors_high)
        weights = trial.suggest_categorical("weights", list(space.weights))
        candidate = spec.model_copy(update={"n_neighbors": k, "weights": weights, "tune": None,
                                            "augment": False})
        return float(np.mean(cross_val_score(build_estimator(candidate, seed), X, y_sub,
                                             cv=folds, scoring="accuracy")))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=space.n_trials)
    trials = trials_table(study)
    best = {"n_neighbors": int(study.best_params["n_neighbors"]),
            "weights": str(study.best_params["weights"])}
    log.info("knn search: best %s (CV accuracy %.4f) over %d trials on %d rows", best,
             study.best_value, len(trials), len(index))
    return KnnSearch(best, float(study.best_value), trials, int(len(index)))
