"""evaluate: the fitted transformer applied to the raw test rows gives the processed test part's
scores; classes appear by name in the tables, the figure and the score rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.features import decode_labels
from dlpipe.metrics import ARGMAX, Decision, score
from dlpipe.params import EvaluateParams, KerasModel
from dlpipe.plots import Figure, plt
from dlpipe.bundle import files as bundle_files
from dlpipe.stages.evaluate import evaluate
from dlpipe.stages.preprocess import preprocess
from dlpipe.stages.train import schema_of
from support import feature_params, repo_params

NAMES = ["Iris setosa (the small one)", "Iris versicolor", "Iris virginica"]
METRICS = ["accuracy", "f1_macro", "neg_log_loss", "roc_auc_ovr"]


class Linear:
    """A fitted model stand-in: softmax of a fixed linear map, predicted like a Keras model."""

    def __init__(self, n_features: int):
        self.weights = np.random.default_rng(0).normal(0, 0.1, (n_features, 3)).astype(
            np.float32)
        self.weights[:2] = [[-3.0, 0.0, 3.0], [3.0, 0.0, -3.0]]  # class k sits at (k, -k)

    def predict(self, X, batch_size, verbose):
        logits = np.asarray(X, dtype=np.float32) @ self.weights
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)


@pytest.fixture
def parts(three_class_frame):
    frame = three_class_frame.assign(
        target=pd.Categorical.from_codes(three_class_frame["target"], NAMES),
        colour=["red", "blue", "green"] * 20)
    frame.loc[[4, 50], "a"] = np.nan
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    return shuffled.iloc[:40].reset_index(drop=True), shuffled.iloc[40:].reset_index(drop=True)


def bundle(train: pd.DataFrame, processed: dict, model, decision: Decision = ARGMAX) -> dict:
    """The bundle train would write, as the runner reads it back."""
    spec = KerasModel.model_validate(repo_params()["defaults"]["model"])
    schema = schema_of("flowers", train, processed["transformer"], processed["names"]["classes"],
                       "species", processed["test"].shape[1] - 1, spec, decision)
    return {bundle_files.MODEL: model, bundle_files.TRANSFORMER: processed["transformer"],
            bundle_files.SCHEMA: schema.to_dict()}


@pytest.fixture
def run(parts):
    train, test = parts
    processed = preprocess(train, test, feature_params(label_encoding="integer"))
    model = Linear(processed["test"].shape[1] - 1)
    out = evaluate(test, bundle(train, processed, model),
                   cv={"summary": {"accuracy": {"mean": 0.9, "std": 0.05}}},
                   fit={"model": {"kind": "mlp"}, "fit_seconds": 1.5},
                   evaluate=EvaluateParams(metrics=METRICS,
                                           binary_metrics=["f1", "roc_auc"], value_groups=5),
                   project="flowers")
    yield out, processed, model, test
    plt.close("all")


def test_scores_equal_those_of_the_processed_test_part(run):
    out, processed, model, _ = run
    X, y = decode_labels(processed["test"])
    proba = model.predict(X, 256, 0)
    assert out["metrics"]["test"] == {m: score(m, y, proba) for m in METRICS}
    assert out["metrics"]["test"]["accuracy"] > 0.6  # the stand-in separates the classes


def test_per_class_and_confusion_by_class_name(run):
    out, processed, model, test = run
    X, _ = decode_labels(processed["test"])
    predicted = np.asarray(NAMES)[model.predict(X, 256, 0).argmax(axis=1)]
    assert out["per_class"]["class"].tolist() == NAMES
    assert out["per_class"]["support"].tolist() == test["target"].value_counts()[NAMES].tolist()
    assert out["confusion"]["actual"].tolist() == test["target"].astype(str).tolist()
    assert out["confusion"]["predicted"].tolist() == predicted.tolist()


def test_per_class_rows_in_the_tidy_scores(run):
    out = run[0]
    scores = out["scores"]
    per_class = scores[scores["model"].str.startswith("keras_mlp:")]
    assert sorted(set(per_class["model"])) == sorted(f"keras_mlp:{n}" for n in NAMES)
    assert set(per_class["split"]) == {"test"}
    assert set(per_class["metric"]) == {"precision", "recall", "f1"}
    recall = per_class.set_index(["model", "metric"])["value"]
    assert [recall[(f"keras_mlp:{n}", "recall")] for n in NAMES] == pytest.approx(
        out["per_class"]["recall"].tolist())
    main = scores[scores["model"] == "keras_mlp"]
    assert set(main["split"]) == {"cv", "train", "test"}


def test_the_confusion_figure_names_the_classes(run):
    fig = run[0]["confusion_png"]
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Iris setosa (the sm…", "Iris versicolor", "Iris virginica"]


def test_test_rows_without_a_feature_column_are_refused(parts):
    train, test = parts
    processed = preprocess(train, test, feature_params())
    with pytest.raises(DataError, match=r"lack the feature columns \['colour'\]"):
        evaluate(test.drop(columns="colour"), bundle(train, processed, None), cv={}, fit={},
                 evaluate=EvaluateParams(metrics=METRICS,
                                           binary_metrics=["f1", "roc_auc"], value_groups=5),
                 project="flowers")


# --- two classes ----------------------------------------------------------------------------------
class Sloped:
    """A two-class stand-in: P(second class) rises with feature ``a``."""

    def predict(self, X, batch_size, verbose):
        p = 1.0 / (1.0 + np.exp(-3.0 * np.asarray(X, dtype=np.float64)[:, 0]))
        return np.column_stack([1.0 - p, p]).astype(np.float32)


def two_class_run(three_class_frame, decision: Decision, names=("healthy", "sick")) -> dict:
    """Two classes named ``names``, or the labels 0/1 as integers (``names`` None)."""
    frame = three_class_frame[three_class_frame["target"] < 2].reset_index(drop=True)
    if names is not None:
        frame = frame.assign(target=pd.Categorical.from_codes(frame["target"], list(names)))
    shuffled = frame.sample(frac=1.0, random_state=2).reset_index(drop=True)
    train, test = shuffled.iloc[:24].reset_index(drop=True), shuffled.iloc[24:].reset_index(
        drop=True)
    processed = preprocess(train, test, feature_params(label_encoding="integer"))
    return evaluate(test, bundle(train, processed, Sloped(), decision),
                    cv={"summary": {"accuracy": {"mean": 0.9, "std": 0.05}}},
                    fit={"model": {"kind": "mlp"}, "fit_seconds": 1.5},
                    evaluate=EvaluateParams(metrics=METRICS,
                                            binary_metrics=["f1", "recall", "roc_auc"],
                                            value_groups=5),
                    project="clinic")


@pytest.mark.parametrize("names", [("healthy", "sick"), None], ids=["text", "0/1"])
def test_a_two_class_model_is_scored_on_its_positive_class(three_class_frame, names):
    out = two_class_run(three_class_frame, Decision(1, 0.5), names)
    classes = list(names) if names else ["0", "1"]
    test = out["metrics"]["test"]
    assert set(test) == {*METRICS, "f1", "recall", "roc_auc"}
    assert test["roc_auc"] == pytest.approx(test["roc_auc_ovr"])
    per_class = out["per_class"].set_index("class")
    assert [str(c) for c in per_class.index] == classes
    assert test["f1"] == pytest.approx(per_class.iloc[1]["f1"])
    scores = out["scores"]
    assert set(scores["task"]) == {"binary"}
    decision = scores[scores["metric"] == "decision_threshold"]
    assert decision[["model", "value"]].values.tolist() == [[f"keras_mlp:{classes[1]}", 0.5]]


def test_the_threshold_and_positive_class_change_the_labels(three_class_frame):
    low = two_class_run(three_class_frame, Decision(1, 1e-6))
    assert set(low["confusion"]["predicted"]) == {"sick"}  # every row reaches 1e-6
    assert low["metrics"]["test"]["recall"] == 1.0
    first = two_class_run(three_class_frame, Decision(0, 0.5))
    sick = two_class_run(three_class_frame, Decision(1, 0.5))
    assert first["confusion"]["predicted"].tolist() == sick["confusion"]["predicted"].tolist()
    assert first["metrics"]["test"]["f1"] == pytest.approx(
        sick["per_class"].set_index("class").loc["healthy", "f1"])


def test_a_numeric_target_is_scored_per_quantile_group_and_drawn_against_the_actual(
        diabetes_bundle, tmp_path):
    from dlpipe.bundle.inference import Bundle
    from dlpipe.metrics import value_score

    _, trained, _, test = diabetes_bundle
    out = evaluate(test, trained["bundle"], trained["cv"], trained["fit"],
                   evaluate=EvaluateParams(metrics=["rmse", "mae", "r2"], binary_metrics=[],
                                           value_groups=5), project="diabetes")
    actual = test["target"].to_numpy()
    predicted = Bundle.from_outputs("diabetes", trained["bundle"]).predict(
        test.drop(columns=["target"]))["value"].to_numpy()
    assert out["metrics"]["test"]["rmse"] == pytest.approx(value_score("rmse", actual, predicted),
                                                           rel=1e-5)
    groups = out["per_class"]
    assert len(groups) == 5 and groups["rows"].sum() == len(test)
    assert groups["class"].iloc[0].startswith("q1 [") and groups["class"].iloc[-1].endswith("]")
    overall = np.sqrt((groups["rows"] * groups["rmse"] ** 2).sum() / len(test))
    assert overall == pytest.approx(out["metrics"]["test"]["rmse"], rel=1e-5)
    assert set(out["confusion"]["actual"]) == set(groups["class"])
    assert set(out["confusion"]["predicted"]) <= set(groups["class"])
    scores = out["scores"]
    assert set(scores["task"]) == {"regression"} and set(scores["split"]) == {"cv", "train",
                                                                               "test"}
    out["confusion_png"].savefig(tmp_path / "values.png")
    assert [ax.get_title() for ax in out["confusion_png"].axes] == ["predicted vs actual",
                                                                    "residuals"]
