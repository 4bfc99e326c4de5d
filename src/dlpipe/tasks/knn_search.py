"""Optuna search over a KNN's ``n_neighbors`` and ``weights``: seeded TPE, stratified k-fold CV
accuracy on a seeded subsample of the training part. In memory (the search is seconds long).

Each fold's validation rows find their ``n_neighbors_high`` nearest training rows once; a trial
votes with the first ``n_neighbors`` of them as scikit-learn's classifier does (the same
neighbours, weights and ties), so it costs a vote, not a search. A row whose ``n_neighbors``-th
and next neighbours are equally far, where the two searches may keep different rows, is
predicted by the trial's own classifier."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.extmath import weighted_mode

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
    base = spec.model_copy(update={"n_neighbors": space.n_neighbors_high, "tune": None,
                                   "augment": False})
    neighbours = [Neighbours.find(build_estimator(base, seed), X[train], y_sub[train],
                                  X[valid], y_sub[valid])
                  for train, valid in folds.split(X, y_sub)]

    def objective(trial: optuna.Trial) -> float:
        k = trial.suggest_int("n_neighbors", space.n_neighbors_low, space.n_neighbors_high)
        weights = trial.suggest_categorical("weights", list(space.weights))
        return float(np.mean([fold.accuracy(k, weights) for fold in neighbours]))

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


@dataclass
class Neighbours:
    """One CV fold's validation rows and their nearest training rows, nearest first."""

    pipeline: Pipeline        # fitted on the fold's training rows (n_neighbors: the most asked)
    valid: np.ndarray         # the validation rows as the pipeline's KNN sees them
    y_valid: np.ndarray
    distances: np.ndarray     # [rows, most]
    labels: np.ndarray        # [rows, most] class indices of the neighbours

    @classmethod
    def find(cls, pipeline: Pipeline, X_train: np.ndarray, y_train: np.ndarray,
             X_valid: np.ndarray, y_valid: np.ndarray) -> "Neighbours":
        pipeline.fit(X_train, y_train)
        knn = pipeline[-1]
        valid = pipeline[:-1].transform(X_valid)
        distances, index = knn.kneighbors(valid, min(knn.n_neighbors, len(X_train)))
        labels = np.searchsorted(knn.classes_, np.asarray(y_train)[index])
        return cls(pipeline, valid, np.asarray(y_valid), distances, labels)

    def accuracy(self, k: int, weights: str) -> float:
        """The validation accuracy of ``k`` neighbours voting with ``weights``; NaN when the
        fold has fewer than ``k`` training rows (a trial that cannot be scored)."""
        if k > self.distances.shape[1]:
            return float("nan")
        return float(np.mean(self.predict(k, weights) == self.y_valid))

    def predict(self, k: int, weights: str) -> np.ndarray:
        knn = self.pipeline[-1]
        labels = self.labels[:, :k]
        if weights == "uniform":  # the most votes; a tie goes to the first class
            votes = np.zeros((len(labels), len(knn.classes_)))
            np.add.at(votes, (np.arange(len(labels))[:, None], labels), 1.0)
            chosen = votes.argmax(axis=1)
        else:  # 1 / distance; an exact match outvotes every other neighbour
            with np.errstate(divide="ignore"):
                strength = 1.0 / self.distances[:, :k]
            exact = np.isinf(strength)
            matched = exact.any(axis=1)
            strength[matched] = exact[matched]
            chosen = weighted_mode(labels, strength, axis=1)[0].ravel().astype(int)
        predicted = knn.classes_[chosen]
        if k < self.distances.shape[1]:
            tied = np.flatnonzero(self.distances[:, k - 1] == self.distances[:, k])
            if len(tied):
                settings = knn.get_params()
                knn.set_params(n_neighbors=k, weights=weights)
                predicted[tied] = knn.predict(self.valid[tied])
                knn.set_params(**settings)
        return predicted
