"""The Optuna search over a KNN's n_neighbors and weights."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from dlpipe.params.tasks import KnnModel
from dlpipe.tasks.common import Images, build_estimator
from dlpipe.tasks.knn_search import Neighbours, search_knn

SEED = 42

SPEC = {"kind": "knn", "n_neighbors": 4, "weights": "distance", "train_rows": None,
        "n_jobs": 1, "augment": False, "deskew": False, "scaler": "pixel",
        "tune": {"n_trials": 3, "folds": 2, "rows": 300, "n_neighbors_low": 2,
                 "n_neighbors_high": 6, "weights": ["uniform"]}}


def test_the_search_stays_in_its_space_and_is_seeded(mnist_small):
    X, y = mnist_small[0], mnist_small[1]
    spec = KnnModel.model_validate(SPEC)
    found = search_knn(Images(X), y, spec, SEED)
    assert 2 <= found.best["n_neighbors"] <= 6 and found.best["weights"] == "uniform"
    assert found.rows == 300
    assert len(found.trials) == 3
    assert {"number", "value", "n_neighbors", "weights", "seconds"} <= set(found.trials.columns)
    assert found.best_value == found.trials["value"].max()
    again = search_knn(Images(X), y, spec, SEED)
    assert again.best == found.best and again.best_value == found.best_value


def test_a_spec_without_a_search_space_is_refused(mnist_small):
    spec = KnnModel.model_validate(dict(SPEC, tune=None))
    with pytest.raises(ValueError, match="no 'tune' section"):
        search_knn(Images(mnist_small[0]), mnist_small[1], spec, SEED)


def tied_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of 0, 128 or 255 in 4 columns: many duplicate rows and equally far neighbours."""
    rng = np.random.default_rng(seed)
    X = rng.choice(np.array([0, 128, 255], dtype=np.uint8), size=(n, 4))
    y = (X[:, 0] // 128 + rng.integers(0, 2, n)) % 3
    return X, y


@pytest.mark.parametrize("rows", ["tied", "mnist"])
def test_a_trial_votes_as_its_own_classifier_predicts(rows, mnist_small):
    X, y = tied_rows(240, seed=3) if rows == "tied" else mnist_small[:2]
    spec = KnnModel.model_validate(dict(SPEC, n_neighbors=6, tune=None))
    for train, valid in StratifiedKFold(3, shuffle=True, random_state=SEED).split(X, y):
        fold = Neighbours.find(build_estimator(spec, SEED), X[train], y[train], X[valid],
                               y[valid])
        for k in range(1, 7):
            for weights in ("uniform", "distance"):
                own = build_estimator(spec.model_copy(update={"n_neighbors": k,
                                                              "weights": weights}), SEED)
                expected = own.fit(X[train], y[train]).predict(X[valid])
                np.testing.assert_array_equal(fold.predict(k, weights), expected)
                assert fold.accuracy(k, weights) == np.mean(expected == y[valid])


def test_more_neighbours_than_a_fold_has_rows_cannot_be_scored():
    X, y = tied_rows(12, seed=4)
    spec = KnnModel.model_validate(dict(SPEC, n_neighbors=9, tune=None))
    fold = Neighbours.find(build_estimator(spec, SEED), X[:6], y[:6], X[6:], y[6:])
    assert fold.distances.shape == (6, 6)
    assert np.isnan(fold.accuracy(7, "uniform")) and not np.isnan(fold.accuracy(6, "uniform"))
