"""Fitting: fold isolation in CV, the learning-rate schedule, batch norm warm-up and
determinism (tiny data, a few epochs)."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.params import FeatureParams

training = pytest.importorskip("dlpipe.models.training")
from test_network import spec  # noqa: E402


def test_fold_isolation_scaler_never_sees_the_validation_fold(three_class_frame, monkeypatch):
    from dlpipe import features

    seen: list[set[int]] = []
    real = features.make_scaler

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def fit(self, X, y=None):
            seen.append(set(X.index))
            self.inner.fit(X)
            return self

        def transform(self, X):
            return self.inner.transform(X)

    monkeypatch.setattr(training, "make_scaler", lambda cfg: Spy(real(cfg)))
    X, y = three_class_frame[["a", "b"]], three_class_frame["target"].to_numpy()
    results = training.cross_validate(spec(epochs=1), FeatureParams(
        scaler="standard", label_encoding="onehot"), X, y, folds=3, seed=0, metrics=["accuracy"])
    assert len(seen) == 3
    for fitted_on, result in zip(seen, results):
        assert fitted_on.isdisjoint(result.val_rows)
        assert len(fitted_on) + len(result.val_rows) == 60


def test_lr_decay_lowers_the_rate_every_epoch(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    fitted = training.fit(spec(lr_decay=0.5, epochs=3, patience=5), X, y, 3, True, seed=7)
    assert fitted.history["learning_rate"].to_numpy() == pytest.approx([0.01, 0.005, 0.0025])
    constant = training.fit(spec(epochs=3, patience=5), X, y, 3, True, seed=7)
    assert constant.history["learning_rate"].to_numpy() == pytest.approx([0.01] * 3)


def test_batch_norm_statistics_warm_up_within_a_small_fold():
    # 300 rows at batch 32 is ~50 steps: the moving statistics used in inference must be
    # warm by then, or a CV fold of a small subsample validates far below its fit
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    X = (np.column_stack([y * 3.0, -y * 3.0]) + rng.normal(0, 0.5, (300, 2)) + 50).astype(
        np.float32)  # far from the zero mean the moving statistics start at
    fitted = training.fit(spec(batch_norm=True, epochs=5, patience=10, batch_size=32,
                               learning_rate=0.01), X, y, 3, True, seed=1)
    accuracy = (training.predict_proba(fitted.model, X, 32).argmax(axis=1) == y).mean()
    assert accuracy > 0.9


def test_same_seed_same_numbers(three_class_frame):
    X = three_class_frame[["a", "b"]].to_numpy(dtype=np.float32)
    y = three_class_frame["target"].to_numpy()
    first = training.fit(spec(dropout=0.2), X, y, 3, True, seed=7)
    second = training.fit(spec(dropout=0.2), X, y, 3, True, seed=7)
    other = training.fit(spec(dropout=0.2), X, y, 3, True, seed=8)
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        assert np.array_equal(a, b)
    assert first.history.equals(second.history)
    assert not np.array_equal(first.model.get_weights()[0], other.model.get_weights()[0])
