"""gbdt: gradient-boosted trees through the project's preprocessing, tuned on the network's
folds."""

from __future__ import annotations

import pandas as pd
import pytest

from dlpipe.metrics import SCORE_COLUMNS
from dlpipe.params import CVParams, DecisionParams, EvaluateParams
from dlpipe.params.families import GbdtParams
from dlpipe.stages import gbdt as stage

from support import TINY_TREES, feature_params, networks_folds

def trees(n_trials: int = 3) -> GbdtParams:
    return GbdtParams(mode="tpe", n_trials=n_trials, timeout=None, sampler_startup_trials=2,
                      search_space=TINY_TREES)


def run(frame: pd.DataFrame, gbdt: GbdtParams | None, metrics=("accuracy",), split: int = 45,
        evaluated=("accuracy", "f1_macro")) -> dict:
    return stage.gbdt(train=frame.iloc[:split], test=frame.iloc[split:], seed=0,
                      features=feature_params(),
                      cv=CVParams(folds=3, method="shuffled",
                                  max_rows=None, metrics=list(metrics)),
                      evaluate=EvaluateParams(metrics=list(evaluated), binary_metrics=["f1"],
                                              value_groups=5),
                      decision=DecisionParams(positive_class=None, threshold=0.5),
                      gbdt=gbdt, metric=metrics[0], project="iris")


def test_tuned_trees_are_scored_by_cv_and_test_as_tidy_rows(labelled):
    out = run(labelled, trees())
    assert set(out) == {"model", "metrics", "info", "trials", "scores"}
    assert out["metrics"]["cv"]["accuracy"]["mean"] > 0.8  # three separable blobs
    assert len(out["trials"]) == 3 and out["info"]["trials"] == 3
    assert set(out["info"]["settings"]) == set(TINY_TREES)
    scores = out["scores"]
    assert list(scores.columns) == SCORE_COLUMNS
    assert set(scores["model"]) == {"hist_gradient_boosting"}
    assert set(scores["split"]) == {"cv", "train", "test"}
    test = labelled.iloc[45:]
    predicted = out["model"]["model.skops"].predict(test.drop(columns="target"))
    assert (predicted == test["target"].cat.codes).mean() == pytest.approx(
        out["metrics"]["test"]["accuracy"])  # the fitted pipeline is the one scored


def test_two_runs_give_the_same_numbers(labelled):
    first, second = run(labelled, trees()), run(labelled, trees())
    assert first["metrics"] == second["metrics"]
    assert first["info"]["settings"] == second["info"]["settings"]


def test_the_folds_are_the_networks_folds(labelled, seen_folds):
    run(labelled, trees(1))
    assert seen_folds == networks_folds(labelled.iloc[:45], folds=3, seed=0)


def test_two_classes_get_the_two_class_scores(labelled):
    two = labelled[labelled["target"] != "virginica"].reset_index(drop=True)
    two["target"] = two["target"].cat.remove_unused_categories()
    out = run(two, trees(2), split=30)
    assert "f1" in out["metrics"]["test"]
    assert "hist_gradient_boosting:versicolor" in set(out["scores"]["model"])  # its decision


def test_a_numeric_target_gets_a_regressor_minimising_its_error():
    from sklearn.datasets import load_diabetes

    from dlpipe.frames import with_target

    frame = with_target(load_diabetes(as_frame=True).frame.iloc[:240], "target", "d.csv",
                        values=True)
    out = run(frame, trees(3), metrics=("rmse", "r2"), split=200, evaluated=("rmse", "r2"))
    per_trial = out["trials"]["rmse"]
    assert out["metrics"]["cv"]["rmse"]["mean"] == pytest.approx(per_trial.min())  # minimised
    assert out["metrics"]["test"]["r2"] > 0.2
    assert set(out["scores"]["task"]) == {"regression"}


def test_a_project_without_trees_gets_empty_outputs(labelled):
    out = run(labelled, None)
    assert out["model"] == {"absent.json": {"trained": False, "why": "gbdt: null in params"}}
    assert out["metrics"] == {} and out["info"] == {"trained": False}
    assert list(out["scores"].columns) == SCORE_COLUMNS and out["scores"].empty
