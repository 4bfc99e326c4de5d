"""The decision: both models scored on the same holdout rows by the paired test, promoted only
when the new one is significantly better; and the records that say which rows earlier
promotions added."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.bundle.inference import load_bundle
from dlpipe.cli import main
from dlpipe.insight.comparison import NO_DIFFERENCE, compare_accuracy
from dlpipe.monitoring.labelled import labelled_rows
from dlpipe.retraining.promotion import (appended_keys, decide, outcomes, promoted,
                                         write_record)
from pets import PROJECT


def test_the_same_model_is_not_promoted_over_itself(repo):
    assert main(["feedback", PROJECT, "--input", "labels.csv"]) == 0
    rows = labelled_rows(repo / f"data/served/{PROJECT}")[0]
    bundle = load_bundle(PROJECT, repo)
    right = outcomes(bundle, rows)
    said = pd.read_csv("out.csv")["label"] == pd.read_csv("labels.csv")["label"]
    assert right.tolist() == said.tolist()  # as predict answered them
    comparison = decide(bundle, bundle, rows, 0.05, 5)
    assert comparison.design == "paired" and comparison.decision == NO_DIFFERENCE
    assert not promoted(comparison)


def test_only_a_significantly_better_model_is_promoted():
    rng = np.random.default_rng(0)
    served = rng.random(200) < 0.7
    better = served | (rng.random(200) < 0.6)
    assert promoted(compare_accuracy(served, better, True, 0.05, 30))
    assert not promoted(compare_accuracy(better, served, True, 0.05, 30))


def test_rows_of_promoted_retrainings_only_count_as_added(tmp_path):
    write_record(tmp_path, {"decision": "promoted", "appended": [["a", 0], ["a", 1]]})
    write_record(tmp_path, {"decision": "kept", "appended": []})
    write_record(tmp_path, {"decision": "promoted", "appended": [["b", 3]]})
    assert appended_keys(tmp_path) == {("a", 0), ("a", 1), ("b", 3)}
    assert appended_keys(tmp_path / "none") == set()


def test_a_numeric_target_is_judged_by_the_paired_test_of_squared_errors(diabetes_bundle):
    from dlpipe.monitoring.labelled import LabelledRow

    root, _, _, test_part = diabetes_bundle
    bundle = load_bundle("diabetes", root)
    rows = [LabelledRow(float(value), bundle.version, (f"r{k}", 0), row.to_dict())
            for k, (value, (_, row)) in enumerate(zip(
                test_part["target"], test_part.drop(columns=["target"]).iterrows()))]
    errors = outcomes(bundle, rows)
    predicted = bundle.predict(test_part.drop(columns=["target"]))["value"].to_numpy()
    assert errors == pytest.approx(predicted - test_part["target"].to_numpy(), abs=1e-4)
    comparison = decide(bundle, bundle, rows, 0.05, 5)
    assert comparison.metric == "rmse" and comparison.design == "paired"
    assert not promoted(comparison)
