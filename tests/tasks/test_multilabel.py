"""Two labels per image, [digit >= 7, digit is odd], predicted by one KNN."""

from __future__ import annotations

import numpy as np

from dlpipe.tasks import multilabel

SEED = 42


def test_labels_are_large_and_odd():
    assert multilabel.labels(np.array([7, 2, 9, 3]), 7).tolist() == [
        [True, True], [False, False], [True, True], [False, True]]


def test_both_labels_are_predicted_well(mnist_small, cfg, value):
    result = multilabel.run_task(*mnist_small, cfg.multilabel, SEED, "mnist")
    assert value(result.scores, "knn", "test", "f1_macro") > 0.85
    assert value(result.scores, "knn", "test", "f1_weighted") > 0.85
    for label in ("large_ge_7", "odd"):
        assert value(result.scores, f"knn:{label}", "test", "f1") > 0.8
        confusion = result.tables[f"confusion_{label}.csv"]
        assert len(confusion) == len(mnist_small[3])
        assert result.info["support"][label] == confusion["actual"].sum()
