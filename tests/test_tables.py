"""Result tables: the tidy summary, its headline view and the Markdown writer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe import tables
from dlpipe.metrics import score_rows


def test_summary_is_tidy_and_refuses_duplicates():
    a = score_rows("iris", "multiclass", "keras_mlp", "cv", {"accuracy": 0.9}, {"accuracy": 0.01})
    b = score_rows("iris", "multiclass", "keras_mlp", "test", {"accuracy": 0.95, "f1_macro": 0.94})
    frame = tables.summary([b, a])
    assert frame["split"].tolist() == ["cv", "test", "test"]
    assert np.isnan(frame["std"].iloc[1]) and frame["std"].iloc[0] == 0.01
    cells = [[c.strip() for c in line.split("|")[1:-1]]
             for line in tables.markdown_table(tables.headline(frame)).splitlines()]
    assert cells[0] == ["project", "task", "model", "split", "accuracy", "f1_macro"]
    assert cells[2] == ["iris", "multiclass", "keras_mlp", "cv", "0.9000 ± 0.0100", ""]
    assert cells[3] == ["iris", "multiclass", "keras_mlp", "test", "0.9500", "0.9400"]
    with pytest.raises(ValueError, match="duplicate score rows"):
        tables.summary([a, a])


def test_markdown_blanks_missing_values():
    text = tables.markdown_table(pd.DataFrame({"model": ["a", "b"], "accuracy": [0.5, np.nan]}))
    assert text.splitlines()[2].split("|")[2].strip() == "0.5000"
    assert text.splitlines()[3].split("|")[2].strip() == ""


def test_model_table_has_one_row_per_model():
    frame = pd.concat([
        score_rows("mnist", "binary", "svc", "test", {"f1": 0.9, "predict_seconds": 1.0}),
        score_rows("mnist", "binary", "svc", "train", {"fit_seconds": 2.0}),
        score_rows("mnist", "binary", "svc", "cv", {"f1": 0.8}),
        score_rows("mnist", "multiclass", "knn", "test", {"accuracy": 0.97})], ignore_index=True)
    table = tables.model_table(frame)
    assert table[["task", "model"]].values.tolist() == [["binary", "svc"], ["multiclass", "knn"]]
    assert table.loc[0, "f1"] == 0.9 and table.loc[0, "fit_seconds"] == 2.0


def test_insight_rows_stay_out_of_the_headline_and_model_tables_and_get_sections():
    frame = tables.summary([
        score_rows("price", "multiclass", "keras_mlp", "test", {"accuracy": 0.95}),
        score_rows("price", "explain", "permutation", "test", {"ram": 0.6, "px_width": 0.1},
             {"ram": 0.02, "px_width": 0.01}),
        score_rows("price", "audit", "keras_mlp", "test",
             {"accuracy": 0.95, "accuracy_low": 0.93, "accuracy_high": 0.97, "flagged": 0.0}),
        score_rows("price", "audit", "keras_mlp", "test[ram: q1 [256, 1000)]",
             {"accuracy": 0.7, "accuracy_low": 0.6, "accuracy_high": 0.8, "flagged": 1.0}),
        score_rows("price", "audit", "keras_mlp", "test[class: 1]",
             {"accuracy": 0.94, "accuracy_low": 0.9, "accuracy_high": 0.98, "flagged": 0.0})])
    assert tables.headline(frame)["task"].tolist() == ["multiclass"]
    assert tables.model_table(frame)["task"].tolist() == ["multiclass"]
    top = tables.top_features(frame)
    assert top.to_dict("records") == [{"project": "price", "method": "permutation",
                                       "features": "ram (0.600 ± 0.020), "
                                                   "px_width (0.100 ± 0.010)"}]
    flagged = tables.flagged_slices(frame)
    assert flagged[["slice", "metric", "score", "interval", "overall"]].values.tolist() == [
        ["test[ram: q1 [256, 1000)]", "accuracy", 0.7, "[0.6, 0.8]", 0.95]]


def test_a_regression_project_s_flagged_slices_are_by_rmse():
    frame = tables.summary([
        score_rows("price", "audit", "keras_mlp", "test",
                   {"accuracy": 0.95, "accuracy_low": 0.93, "accuracy_high": 0.97,
                    "flagged": 0.0}),
        score_rows("house", "audit", "keras_mlp", "test",
                   {"rmse": 10.0, "rmse_low": 9.0, "rmse_high": 11.0, "flagged": 0.0}),
        score_rows("house", "audit", "keras_mlp", "test[target: q4 [200, 400]]",
                   {"rmse": 16.0, "rmse_low": 12.5, "rmse_high": 19.0, "flagged": 1.0})])
    flagged = tables.flagged_slices(frame)
    assert flagged.values.tolist() == [
        ["house", "test[target: q4 [200, 400]]", "rmse", 16.0, "[12.5, 19]", 10.0]]


def test_decisions_lists_the_positive_class_and_threshold_of_two_class_models_only():
    from dlpipe.metrics import Decision, decision_rows
    from dlpipe.stages.report import report

    clinic = decision_rows("clinic", "binary", "keras_mlp", ["benign", "malignant"],
                           Decision(1, 0.4))
    multiclass = decision_rows("iris", "multiclass", "keras_mlp", ["a", "b", "c"],
                               Decision(None, 0.5))
    assert multiclass is None
    # the MNIST 'is it a 5' task reports the threshold it chose under another metric name
    task = score_rows("mnist", "binary", "sgd", "test", {"threshold": -0.2, "accuracy": 0.9})
    frame = tables.summary([clinic, task])
    table = tables.decisions(frame)
    assert table.to_dict("records") == [{"project": "clinic", "model": "keras_mlp",
                                         "positive class": "malignant", "threshold": 0.4}]
    markdown = report([clinic, task], ["clinic", "mnist"])["markdown"]
    assert "## Two-class decisions" in markdown and "| malignant " in markdown
    assert "Two-class decisions" not in report([task], ["mnist"])["markdown"]
