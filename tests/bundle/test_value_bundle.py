"""A bundle of a numeric target, made by the real preprocess and train nodes from
scikit-learn's diabetes table (442 rows): CV scored by value metrics, the network predicting
in the target's units, written and loaded like any bundle, and ``predict``'s ``value``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from dlpipe.bundle.inference import Bundle, load_bundle
from dlpipe.errors import InputError
from dlpipe.metrics import value_score

pytest.importorskip("dlpipe.models.network")
PROJECT = "diabetes"  # the diabetes_bundle fixture's (conftest.py)


def test_cv_is_scored_by_the_value_metrics(diabetes_bundle):
    _, out, _, _ = diabetes_bundle
    assert set(out["cv"]["summary"]) == {"rmse", "r2"}
    assert len(out["cv"]["folds"]) == 3 and out["cv"]["summary"]["r2"]["mean"] > 0.3


def test_the_bundle_predicts_values_near_a_ridge_on_the_same_rows(diabetes_bundle):
    root, _, train_part, test_part = diabetes_bundle
    bundle = load_bundle(PROJECT, root)
    assert bundle.has_values and bundle.schema.classes == []
    X_test = test_part.drop(columns=["target"])
    predicted = bundle.predict(X_test)
    assert list(predicted.columns) == ["value"] and predicted.index.equals(X_test.index)
    ridge = Ridge(alpha=1.0).fit(train_part.drop(columns=["target"]), train_part["target"])
    y = test_part["target"].to_numpy()
    ridge_r2 = value_score("r2", y, ridge.predict(X_test))
    assert value_score("r2", y, predicted["value"]) > ridge_r2 - 0.1


def test_the_written_bundle_answers_as_the_one_in_memory(diabetes_bundle):
    root, out, _, test_part = diabetes_bundle
    rows = test_part.drop(columns=["target"]).head(5)
    in_memory = Bundle.from_outputs(PROJECT, out["bundle"]).predict(rows)
    assert np.allclose(load_bundle(PROJECT, root).predict(rows)["value"], in_memory["value"],
                       rtol=1e-6)


def test_rows_that_do_not_fit_are_refused_naming_the_column(diabetes_bundle):
    root, _, _, test_part = diabetes_bundle
    rows = test_part.drop(columns=["target", "bmi"]).head(2)
    with pytest.raises(InputError) as refused:
        load_bundle(PROJECT, root).predict(rows)
    assert any("bmi" in problem for problem in refused.value.problems)
    empty = load_bundle(PROJECT, root).predict(test_part.drop(columns=["target"]).head(0))
    assert list(empty.columns) == ["value"] and len(empty) == 0
    assert isinstance(empty, pd.DataFrame)
