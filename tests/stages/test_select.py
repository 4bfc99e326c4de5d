"""select: the champion by the one-standard-error rule, and the bundle of the family served,
loaded and served like the network's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dlpipe.bundle.graph import as_graph
from dlpipe.bundle.inference import load_bundle
from dlpipe.params import CVParams, EvaluateParams
from dlpipe.pipeline import catalog
from dlpipe.stages import baseline, gbdt, select as stage
from dlpipe.stages.select import champion

from pets import CLASSES, PROJECT
from support import TINY_TREES, decision_params, feature_params, repo_params


def cv(**means_and_stds) -> dict:
    return {f: {"mean": m, "std": s} for f, (m, s) in means_and_stds.items()}


def test_the_best_mean_wins_when_no_other_is_within_one_standard_error():
    # 5 folds: one standard error is std / 2
    assert champion(cv(linear=(0.80, 0.02), gbdt=(0.90, 0.02), network=(0.85, 0.02)),
                    "accuracy", 5) == ("gbdt", "gbdt")


def test_a_tie_within_one_standard_error_goes_to_the_simpler_family():
    scores = cv(linear=(0.885, 0.01), gbdt=(0.882, 0.01), network=(0.89, 0.02))
    assert champion(scores, "accuracy", 5) == ("network", "linear")  # 0.89 - 0.885 <= 0.01
    scores["linear"]["mean"] = 0.879  # 0.011 below: outside; gbdt (0.008 below) still ties
    assert champion(scores, "accuracy", 5) == ("network", "gbdt")


def test_an_error_is_minimised():
    scores = cv(linear=(60.0, 2.0), gbdt=(50.0, 2.0), network=(55.0, 2.0))
    assert champion(scores, "rmse", 5) == ("gbdt", "gbdt")
    assert champion(scores, "rmse", 2) == ("gbdt", "gbdt")  # one error: std / 1


def test_equal_means_go_to_the_simpler_family():
    assert champion(cv(linear=(0.9, 0.0), network=(0.9, 0.0)), "accuracy", 3) == (
        "linear", "linear")


@pytest.fixture(scope="module")
def families(trained):
    """The pets project's linear and gbdt outputs on the train fixture's parts."""
    raw = repo_params()["defaults"]
    from dlpipe.params.families import GbdtParams
    from dlpipe.params.schema import BaselineParams

    common = dict(train=trained.train, test=trained.test, seed=0,
                  features=feature_params(drop=["id"]),
                  cv=CVParams(folds=2, method="shuffled", max_rows=None, metrics=["accuracy"]),
                  evaluate=EvaluateParams(metrics=["accuracy"], binary_metrics=["f1"],
                                          value_groups=5),
                  decision=decision_params(), project=PROJECT)
    return (baseline.baseline(baseline=BaselineParams(**raw["baseline"]), **common),
            gbdt.gbdt(gbdt=GbdtParams(**{**raw["gbdt"], "n_trials": 2,
                                         "search_space": TINY_TREES}),
                      metric="accuracy", **common))


def selected(trained, families, serve_family: str) -> dict:
    linear, trees = families
    network = catalog.read(trained.root / "models" / PROJECT)
    return stage.select(network=network, network_cv={"summary": {"accuracy": {
        "mean": 0.5, "std": 0.1}}}, network_test={"test": {"accuracy": 0.5}},
        linear=linear["metrics"], linear_model=linear["model"], gbdt=trees["metrics"],
        gbdt_model=trees["model"], cv=CVParams(folds=2, method="shuffled",
                                               max_rows=None, metrics=["accuracy"]),
        serve_family=serve_family, metric="accuracy", project=PROJECT)


@pytest.mark.parametrize("family", ["gbdt", "linear"])
def test_a_scikit_learn_family_is_served_like_the_network(trained, families, family, rows,
                                                          tmp_path):
    out = selected(trained, families, family)
    assert out["selection"]["served"] == family
    catalog.write(tmp_path / "models" / PROJECT, out["bundle"], manifest=True)
    assert sorted(p.name for p in (tmp_path / "models" / PROJECT).iterdir()) == [
        ".manifest.json", "family.json", "model.skops", "preprocess.skops", "schema.json"]
    bundle = as_graph(load_bundle(PROJECT, tmp_path))  # a tree is not traced: as it is
    assert bundle.family == family and bundle.classes == CLASSES
    pipeline = dict(zip(("linear", "gbdt"), families))[family]["model"]["model.skops"]
    np.testing.assert_allclose(bundle.predict_proba(rows),
                               pipeline.predict_proba(rows.drop(columns=["kind"])), rtol=1e-6)
    assert bundle.model_name == {"gbdt": "hist_gradient_boosting",
                                 "linear": "logistic_regression"}[family]
    client = TestClient(_app(bundle))
    meta = client.get(f"/v2/models/{PROJECT}").json()
    assert meta["platform"] == "sklearn"
    instances = json.loads(rows.to_json(orient="records"))
    answer = client.post(f"/v1/models/{PROJECT}:predict", json={"instances": instances})
    assert answer.status_code == 200, answer.text
    assert [p["label"] for p in answer.json()["predictions"]] == bundle.predict(rows)[
        "label"].tolist()


def _app(bundle):
    from dlpipe.params import load_params
    from dlpipe.serving.server import create_app
    from support import ROOT

    return create_app({PROJECT: bundle}, load_params(str(ROOT / "params.yaml")).serve)


def test_the_selection_states_the_rule_and_every_familys_scores(trained, families):
    out = selected(trained, families, "auto")
    selection = out["selection"]
    assert set(selection["families"]) == {"linear", "gbdt", "network"}
    assert selection["served"] == selection["champion"] != "network"  # the network's 0.5
    assert "one standard error" in selection["rule"]
    rows = out["scores"]
    assert set(rows["task"]) == {"select"}
    assert rows.loc[rows["split"] == "served", "model"].tolist() == [selection["served"]]


def test_a_pinned_network_serves_the_networks_bundle(trained, families):
    out = selected(trained, families, "network")
    assert out["bundle"] is not None and "model.keras" in out["bundle"]
    assert out["selection"]["served"] == "network" != out["selection"]["champion"]
