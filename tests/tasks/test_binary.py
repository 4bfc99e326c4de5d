""""Is it a 5": threshold for a target precision, and the task on a few hundred images."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.tasks import binary

SEED = 42


def test_threshold_reaches_the_requested_precision():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.1
    s = rng.normal(size=2000) + 2.0 * y
    for target in (0.5, 0.8, 0.9, 0.95):
        t, p, r = binary.threshold_for_precision(y, s, target)
        pred = s >= t
        assert pred.sum() > 0
        assert (y & pred).sum() / pred.sum() >= target
        assert p == pytest.approx((y & pred).sum() / pred.sum())
        assert r == pytest.approx((y & pred).sum() / y.sum())
    assert binary.threshold_for_precision(y, np.zeros(2000), 0.9) is None


@pytest.fixture(scope="module")
def result(mnist_small, cfg):
    return binary.run_task(*mnist_small, cfg.binary, SEED, "mnist")


def test_models_separate_fives_and_reach_the_target_precision(result, cfg, value):
    table = result.scores
    assert set(table["model"]) == set(cfg.binary.models)
    for name in ("sgd", "random_forest", "svc"):
        assert value(table, name, "test", "roc_auc") > 0.9
        assert value(table, name, "cv", "precision_at_threshold") >= cfg.binary.target_precision
        assert 0 < value(table, name, "cv", "recall_at_threshold") <= 1
        assert value(table, name, "test", "f1") > 0.3   # a 30-tree forest on 1200 rows is timid
    assert value(table, "svc", "test", "f1") > 0.8


def test_the_dummy_never_says_five(result, value):
    assert value(result.scores, "never_5", "test", "recall") == 0.0
    assert value(result.scores, "never_5", "test", "accuracy") > 0.85
    assert "precision_at_threshold" not in result.metrics["never_5"]["cv"]


def test_the_threshold_is_run_information_and_its_precision_a_metric(result, value):
    chosen = result.info["models"]["svc"]["threshold"]
    assert value(result.scores, "svc", "cv", "threshold") == chosen["value"]
    assert result.metrics["svc"]["cv"]["precision_at_threshold"] == chosen["cv_precision"]
    assert result.metrics["svc"]["test"]["recall_at_threshold"] == chosen["test_recall"]


def test_curves_for_every_model_and_the_best_models_confusion(result, cfg, mnist_small):
    best = result.info["best_model"]
    assert best in ("sgd", "random_forest", "svc")
    curves = {name: result.tables[f"{name}.csv"] for name in ("pr", "roc")}
    assert set(curves["pr"]["series"]) == set(curves["roc"]["series"]) == set(cfg.binary.models)
    for name in cfg.binary.models:
        pr = curves["pr"][curves["pr"]["series"] == name]
        roc = curves["roc"][curves["roc"]["series"] == name]
        assert list(pr.columns) == ["threshold", "precision", "recall", "series"]
        assert pr["threshold"].is_monotonic_increasing
        assert roc["fpr"].is_monotonic_increasing and roc["tpr"].iloc[-1] == 1.0
    confusion = result.tables["confusion.csv"]
    assert list(confusion.columns) == ["actual", "predicted"]
    assert len(confusion) == len(mnist_small[3])
    digit = str(cfg.binary.positive_digit)
    assert set(confusion["actual"]) == {f"not {digit}", digit}
    recall = (confusion[confusion["actual"] == digit]["predicted"] == digit).mean()
    assert recall == pytest.approx(result.metrics[best]["test"]["recall"])
