"""Every shape of table a user brings, through every stage of the table and out to a client.

Each shape is added the way a user adds one (``dlpipe add`` on a CSV file), shrunk with the
tests' tiny params, and every job of the stage table is run by the runner in table order, in
process (the front ends run the same jobs: see test_integration_front_ends.py). Then its bundle
predicts and the server answers a TF-Serving request with the same labels. The shipped projects are
three, four and ten classes of numeric columns and tweets a Transformer reads; these are the
shapes none of them has at the tests' sizes (two classes, free text and dates with a label or a
number, a Transformer on a text whose words decide). A folder of images and the sentiment corpus
run through both front ends in test_integration_front_ends.py.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from dlpipe.bundle.inference import load_bundle
from dlpipe.cli import add
from dlpipe.pipeline import jobs, runner
from dlpipe.pipeline.table import STAGES
from dlpipe.serving.server import create_app

import reviews
from support import ROOT, tiny


def _cancer(labels: str) -> pd.DataFrame:
    """120 rows of scikit-learn's breast-cancer table, a missing value in one column; the label
    as its names (``text``) or as the integers 0/1 (``integers``)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.sample(120, random_state=1).reset_index(drop=True)
    target = frame.pop("target")
    frame["diagnosis"] = (np.asarray(data.target_names)[target] if labels == "text"
                          else target.astype(int))
    frame.loc[::15, "mean radius"] = np.nan
    return frame


def _reviews(values: bool) -> pd.DataFrame:
    """Reviews with a date, a price and a shop; labelled by whether the reviewer was pleased,
    or by the rating, a number (``values``)."""
    return reviews.rows(values=values).rename(columns={reviews.TARGET: "diagnosis"})


# shape -> (rows, classes in code order (none: a numeric target), the positive class of a
# two-class shape)
SHAPES = {
    "two_text": (lambda: _cancer("text"), ["benign", "malignant"], "malignant"),
    "two_integers": (lambda: _cancer("integers"), ["0", "1"], "1"),
    "three_moods": (lambda: reviews.moods().rename(columns={"mood": "diagnosis"}),
                    ["negative", "neutral", "positive"], None),
    "two_reviews": (lambda: _reviews(False), ["displeased", "pleased"], "pleased"),
    "rating_reviews": (lambda: _reviews(True), [], None),
}
# what a user edits after `dlpipe add` to have a Transformer read the words
TRANSFORMER = {"three_moods": {
    "features": {"text_encoding": "tokens", "tokens": {"vocabulary": 40, "length": 8}},
    "model": {"kind": "transformer", "n_layers": 0, "embedding_dim": 16, "units": 16,
              "learning_rate": 0.01}}}


@pytest.fixture(scope="module", params=sorted(SHAPES))
def project(request, tmp_path_factory):
    """A working copy where every job of the shape's project has run; its name and facts."""
    name = request.param
    make_rows, classes, positive = SHAPES[name]
    work = tmp_path_factory.mktemp(name)
    (work / "data/external").mkdir(parents=True)
    make_rows().to_csv(work / f"data/external/{name}.csv", index=False)
    (work / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        assert add.main([name, "--file", f"data/external/{name}.csv",
                         "--target", "diagnosis"]) == 0
        raw = yaml.safe_load((work / "params.yaml").read_text())
        raw["projects"] = [name]
        raw = tiny(raw)
        if "text" in raw[name]["features"]:  # the words need more than two epochs to learn
            raw[name]["model"].update(epochs=30, patience=5)
        for key, values in TRANSFORMER.get(name, {}).items():
            raw[name][key].update(values)
        (work / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
        params = jobs.load("params.yaml")
        for stage in STAGES:
            for wildcards in jobs.instances(stage, params):
                runner.run(stage, wildcards, params)
        yield work, name, classes, positive


def test_free_text_and_dates_are_found_and_used(project):
    work, name, _, _ = project
    if "sold" not in pd.read_csv(work / f"data/external/{name}.csv", nrows=1).columns:
        pytest.skip("no text and date columns in this shape")
    features = yaml.safe_load((work / "params.yaml").read_text())[name]["features"]
    assert (features["text"], features["datetime"]) == (["review"], ["sold"])
    names = pd.read_parquet(work / f"data/processed/{name}/train.parquet").columns
    assert "review:great" in names and "sold:month" in names
    train, test = (pd.read_parquet(work / f"data/interim/{name}/{part}.parquet")
                   for part in ("train", "test"))
    assert train["sold"].max() <= test["sold"].min()  # tested on the latest sales
    audit = pd.read_csv(work / f"reports/{name}/audit.csv")
    assert {"review (words)", "sold"} <= set(audit["feature"])
    importance = pd.read_csv(work / f"reports/{name}/explain/importance.csv")
    permutation = importance[importance["method"] == "permutation"]
    assert permutation.sort_values("mean")["feature"].iloc[-1] == "review"  # the words decide
    words = importance[importance["method"] == "word"].sort_values("mean", ascending=False)
    assert len(words) == 15  # the 7 plain words, 4 good and 4 bad ones (each in min_df rows)
    assert words["feature"].iloc[0].removeprefix("review:") in {
        "great", "love", "fast", "excellent", "slow", "broken", "awful", "refund"}


def test_a_transformer_reads_the_word_ids_and_its_words_are_explained(project):
    work, name, _, _ = project
    if name not in TRANSFORMER:
        pytest.skip("no Transformer in this shape")
    names = pd.read_parquet(work / f"data/processed/{name}/train.parquet").columns
    assert [n for n in names if n.startswith("review:")] == [f"review:{k}" for k in range(1, 9)]
    assert json.loads((work / f"reports/{name}/fit.json").read_text())["model"]["kind"] == (
        "transformer")
    importance = pd.read_csv(work / f"reports/{name}/explain/importance.csv")
    words = importance[importance["method"] == "word"].sort_values("mean", ascending=False)
    assert words["feature"].iloc[0].removeprefix("review:") in {*reviews.GOOD, *reviews.BAD}
    assert "review (words)" in set(pd.read_csv(work / f"reports/{name}/audit.csv")["feature"])
    export = json.loads((work / f"reports/{name}/export.json").read_text())
    assert export["float32"]["agreement"] == 1.0 and export["int8"]["agreement"] > 0.9
    selection = json.loads((work / f"reports/{name}/selection.json").read_text())
    linear = selection["families"]["linear"]  # the TF-IDF baseline beside it
    assert linear["test"]["accuracy"] > 0.9


def test_the_network_is_scored_on_the_shape(project):
    work, name, classes, positive = project
    test = json.loads((work / f"reports/{name}/metrics.json").read_text())["test"]
    if not classes:  # a numeric target: the network, on tiny params, may not learn it
        assert test["r2"] <= 1 and test["rmse"] > 0
        served = json.loads((work / f"reports/{name}/selection.json").read_text())
        assert 0.5 < served["families"][served["served"]]["test"]["r2"] <= 1
        per_group = pd.read_csv(work / f"reports/{name}/per_class.csv")
        assert per_group["rows"].sum() == len(pd.read_parquet(
            work / f"data/interim/{name}/test.parquet"))
        return
    assert 0.5 < test["accuracy"] <= 1
    if positive:  # about the positive class
        assert {"f1", "precision", "recall", "roc_auc", "average_precision"} <= set(test)
    else:
        assert "roc_auc" not in test and 0.5 < test["roc_auc_ovr"] <= 1
    per_class = pd.read_csv(work / f"reports/{name}/per_class.csv", dtype={"class": str})
    assert per_class["class"].tolist() == classes
    confusion = pd.read_csv(work / f"reports/{name}/plots/confusion.csv", dtype=str)
    assert set(confusion["actual"]) == set(classes)


def test_the_report_states_a_two_class_decision(project):
    work, name, _, positive = project
    markdown = (work / "reports/summary.md").read_text()
    if positive is None:
        assert "## Two-class decisions" not in markdown
        return
    section = markdown.split("## Two-class decisions")[1].split("\n## ")[0]
    [row] = [line for line in section.splitlines() if "| keras_mlp " in line]
    assert [cell.strip() for cell in row.strip("|").split("|")] == [
        name, "keras_mlp", positive, "0.5000"]


def test_every_stage_that_scores_wrote_rows(project):
    work, name, _, positive = project
    summary = pd.read_csv(work / "reports/summary.csv")
    tasks = set(summary.loc[summary["project"] == name, "task"])
    assert {"explain", "audit"} <= tasks, tasks
    baseline = json.loads((work / f"reports/{name}/baseline.json").read_text())
    export = json.loads((work / f"reports/{name}/export.json").read_text())
    if not positive and "r2" in baseline["test"]:  # a numeric target
        assert 0.5 < baseline["test"]["r2"] <= 1
        assert abs(export["float32"]["r2"] - export["int8"]["r2"]) < 0.05, export
        return
    assert 0.5 < baseline["test"]["accuracy"] <= 1
    assert export["float32"]["agreement"] >= 0.95, export  # LiteRT answers as the network
    for kind in ("float32", "int8"):
        assert ("roc_auc" in export[kind]) == (positive is not None), export


def test_the_bundle_and_the_server_give_the_same_labels(project):
    work, name, classes, _ = project
    rows = pd.read_csv(work / f"data/external/{name}.csv").drop(columns="diagnosis").head(8)
    bundle = load_bundle(name, work)
    predicted = bundle.predict(rows)
    client = TestClient(create_app({name: bundle}, jobs.load(str(work / "params.yaml")).serve))
    instances = json.loads(rows.to_json(orient="records"))
    answer = client.post(f"/v1/models/{name}:predict", json={"instances": instances})
    assert answer.status_code == 200, answer.text
    if not classes:
        np.testing.assert_allclose([p["value"] for p in answer.json()["predictions"]],
                                   predicted["value"], rtol=1e-6)
        return
    assert set(predicted["label"]) <= set(classes)
    assert [p["label"] for p in answer.json()["predictions"]] == predicted["label"].tolist()


def test_the_served_bundle_is_the_selected_family(project):
    """Every shape trains the three families on the same folds; its bundle holds the one the
    rule picks (the shapes' params leave serve_family at auto)."""
    work, name, _, _ = project
    selection = json.loads((work / f"reports/{name}/selection.json").read_text())
    assert set(selection["families"]) == {"linear", "gbdt", "network"}
    assert selection["serve_family"] == "auto"
    assert selection["served"] == selection["champion"]
    assert load_bundle(name, work).family == selection["served"]
