"""The ten digits: every model scores, the KNN is tuned, augmentation multiplies its rows."""

from __future__ import annotations

import pytest

from dlpipe.params.tasks import MulticlassParams
from dlpipe.tasks import multiclass

SEED = 42
pytestmark = pytest.mark.filterwarnings(  # the SGDs stop at max_iter by design (params.yaml)
    "ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def models(tasks_raw) -> dict:
    defaults = {name: {**tasks_raw["model_defaults"], **spec}
                for name, spec in tasks_raw["multiclass"]["models"].items()}
    return {
        "svc": dict(defaults["svc"], pca_components=30),
        "svc_ovr": dict(defaults["svc_ovr"], pca_components=30, train_rows=600, n_jobs=1),
        "sgd_scaled": dict(defaults["sgd_scaled"], n_jobs=1),
        "knn": dict(defaults["knn"], n_jobs=1,
                    tune=dict(defaults["knn"]["tune"], n_trials=4, rows=600)),
        "knn_shifted": {"kind": "knn", "n_neighbors": 3, "weights": "distance", "tune": None,
                        "train_rows": 600, "n_jobs": 1, "augment": True, "deskew": False,
                        "scaler": "pixel"}}


@pytest.fixture(scope="module")
def result(mnist_small, models):
    cfg = MulticlassParams.model_validate({"models": models})
    return multiclass.run_task(*mnist_small, cfg, SEED, "mnist")


def test_every_model_recognises_digits(result, models, value):
    for name in models:
        assert value(result.scores, name, "test", "accuracy") > 0.7
        assert 0 < value(result.scores, name, "test", "f1_macro") <= 1
        assert result.metrics[name]["test"]["accuracy"] == value(result.scores, name, "test",
                                                                 "accuracy")
    assert value(result.scores, "svc", "test", "accuracy") > 0.85


def test_the_knn_is_trained_with_its_tuned_settings(result, value):
    tuned = result.info["models"]["knn"]
    assert tuned["tuning"]["trials"] == 4 and tuned["tuning"]["rows"] == 600
    assert tuned["params"]["n_neighbors"] == tuned["tuning"]["best"]["n_neighbors"]
    assert tuned["params"]["weights"] == tuned["tuning"]["best"]["weights"]
    assert value(result.scores, "knn", "train", "tune_seconds") > 0
    assert len(result.tables["tuning_knn.csv"]) == 4


def test_augmentation_trains_on_five_copies_of_each_row(result):
    shifted = result.info["models"]["knn_shifted"]
    assert shifted["fit_rows"] == 5 * shifted["train_rows"]


def test_the_best_models_confusion_and_per_class_scores(result, mnist_small):
    best = result.info["best_model"]
    assert result.metrics[best]["test"]["accuracy"] == max(
        m["test"]["accuracy"] for m in result.metrics.values())
    confusion = result.tables["confusion.csv"]
    assert len(confusion) == len(mnist_small[3])
    assert (confusion["actual"] == confusion["predicted"]).mean() == pytest.approx(
        result.metrics[best]["test"]["accuracy"])
    digits = [str(k) for k in range(10)]
    assert result.tables["per_class.csv"]["class"].tolist() == digits
    assert set(confusion["actual"]) == set(digits)
    assert [row["class"] for row in result.info["models"]["svc"]["per_class"]] == digits
