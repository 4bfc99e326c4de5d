"""A bundle of a numeric target, made by the real preprocess and train nodes from
scikit-learn's diabetes table (442 rows): CV scored by value metrics, the network predicting
in the target's units, written and loaded like any bundle, and ``predict``'s ``value``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from dlpipe.bundle.inference import Bundle, load_bundle
from dlpipe.errors import InputError
from dlpipe.frames import with_target
from dlpipe.metrics import value_score
from support import decision_params, feature_params, repo_params

pytest.importorskip("dlpipe.models.network")
PROJECT = "diabetes"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from dlpipe.params import CVParams, KerasModel
    from dlpipe.pipeline import catalog
    from dlpipe.stages.preprocess import preprocess
    from dlpipe.stages.train import train

    frame = load_diabetes(as_frame=True).frame.rename(columns={"target": "progression"})
    table = with_target(frame, "progression", "diabetes.csv", values=True)
    train_part, test_part = table.iloc[:350].reset_index(drop=True), table.iloc[350:].reset_index(
        drop=True)
    features = feature_params(scaler="standard")
    prepared = preprocess(train_part, test_part, features)
    spec = {**repo_params()["defaults"]["model"], "units": 16, "learning_rate": 0.01,
            "patience": 20}
    out = train(train_part, prepared["train"], prepared["transformer"], prepared["names"],
                {"model": KerasModel.model_validate(spec).model_dump()}, seed=0,
                features=features, cv=CVParams(folds=3, max_rows=None, metrics=["rmse", "r2"]),
                decision=decision_params(), target="progression", project=PROJECT)
    root = tmp_path_factory.mktemp("repo")
    catalog.write(root / "models" / PROJECT, out["bundle"], manifest=True)
    return root, out, train_part, test_part


def test_cv_is_scored_by_the_value_metrics(written):
    _, out, _, _ = written
    assert set(out["cv"]["summary"]) == {"rmse", "r2"}
    assert len(out["cv"]["folds"]) == 3 and out["cv"]["summary"]["r2"]["mean"] > 0.3


def test_the_bundle_predicts_values_near_a_ridge_on_the_same_rows(written):
    root, _, train_part, test_part = written
    bundle = load_bundle(PROJECT, root)
    assert bundle.has_values and bundle.schema.classes == []
    X_test = test_part.drop(columns=["target"])
    predicted = bundle.predict(X_test)
    assert list(predicted.columns) == ["value"] and predicted.index.equals(X_test.index)
    ridge = Ridge(alpha=1.0).fit(train_part.drop(columns=["target"]), train_part["target"])
    y = test_part["target"].to_numpy()
    ridge_r2 = value_score("r2", y, ridge.predict(X_test))
    assert value_score("r2", y, predicted["value"]) > ridge_r2 - 0.1


def test_the_written_bundle_answers_as_the_one_in_memory(written):
    root, out, _, test_part = written
    rows = test_part.drop(columns=["target"]).head(5)
    in_memory = Bundle.from_outputs(PROJECT, out["bundle"]).predict(rows)
    assert np.allclose(load_bundle(PROJECT, root).predict(rows)["value"], in_memory["value"],
                       rtol=1e-6)


def test_rows_that_do_not_fit_are_refused_naming_the_column(written):
    root, _, _, test_part = written
    rows = test_part.drop(columns=["target", "bmi"]).head(2)
    with pytest.raises(InputError) as refused:
        load_bundle(PROJECT, root).predict(rows)
    assert any("bmi" in problem for problem in refused.value.problems)
    empty = load_bundle(PROJECT, root).predict(test_part.drop(columns=["target"]).head(0))
    assert list(empty.columns) == ["value"] and len(empty) == 0
    assert isinstance(empty, pd.DataFrame)
