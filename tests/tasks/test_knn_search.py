"""The Optuna search over a KNN's n_neighbors and weights."""

from __future__ import annotations

import pytest

from dlpipe.params.tasks import KnnModel
from dlpipe.tasks.common import Images
from dlpipe.tasks.knn_search import search_knn

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
