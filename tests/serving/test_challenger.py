"""A challenger beside a served bundle: a sticky split by key (one key, one version) at the
share params give, or a shadow whose answers are logged and never returned; feedback scores
every version that answered; a challenger that reads other inputs is refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dlpipe.bundle.inference import load_bundle
from dlpipe.cli.serve import load_challengers
from dlpipe.errors import DataError, ParamsError
from dlpipe.frames import with_target
from dlpipe.monitoring import log_files
from dlpipe.monitoring.monitor import open_monitor
from dlpipe.monitoring.prediction_log import PREDICTIONS
from dlpipe.serving.server import create_app
from dlpipe.serving.traffic import bucket, check_compatible
from pets import PROJECT, TARGET, raw_rows
from support import feature_params, serve_limits, train_bundle, v2_inputs
from test_server import records

LIMITS = serve_limits(max_body_bytes=100_000, max_rows=50, body_timeout_seconds=5)


def revision(where, table, seed: int):
    """A pets bundle of ``table`` (a small network), written where another revision keeps it."""
    from dlpipe.pipeline import catalog

    bundle = train_bundle(table.iloc[:72].reset_index(drop=True),
                          table.iloc[72:].reset_index(drop=True), feature_params(drop=["id"]),
                          TARGET, PROJECT, seed=seed, units=4, epochs=3, patience=2)
    catalog.write(where / "models" / PROJECT, bundle, manifest=True)
    return where


@pytest.fixture(scope="module")
def challenger_root(tmp_path_factory):
    """Another pets bundle (a smaller network, another seed), as another revision has it."""
    table = with_target(raw_rows(), TARGET, "pets.csv")
    return revision(tmp_path_factory.mktemp("challenger"), table, seed=1)


def serving(tmp_path, trained, challenger_root, mode: str, share: float = 0.5):
    champion = load_bundle(PROJECT, trained.root)
    params = LIMITS.challenger.model_copy(update={"mode": mode, "share": share})
    challengers = load_challengers([f"{PROJECT}={challenger_root}"], {PROJECT: champion},
                                   params)
    monitor = open_monitor(champion, LIMITS.monitor, None, tmp_path, "serve")
    app = create_app({PROJECT: champion}, LIMITS, {}, {PROJECT: monitor}, challengers)
    return TestClient(app), champion, challengers[PROJECT].bundle, monitor


def test_a_key_falls_in_a_share_of_keys_as_often_as_the_share_says():
    keys = [f"user-{k}" for k in range(20_000)]
    taken = np.mean([bucket("pets", key) < 0.3 for key in keys])
    assert abs(taken - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(keys))
    assert bucket("pets", "user-1") == bucket("pets", "user-1") != bucket("iris", "user-1")


def test_a_split_is_sticky_by_key_and_answers_carry_their_version(tmp_path, trained,
                                                                 challenger_root, rows):
    client, champion, challenger, monitor = serving(tmp_path, trained, challenger_root, "split",
                                                    share=0.5)
    assert champion.version != challenger.version
    body = {"instances": records(rows.head(1))}
    seen = {}
    for k in range(60):
        for _ in range(2):  # the same key twice: the same version
            answer = client.post(f"/v1/models/{PROJECT}:predict", json=body,
                                 headers={"X-Split-Key": f"user-{k}"})
            seen.setdefault(k, set()).add(answer.headers["x-model-version"])
    assert all(len(versions) == 1 for versions in seen.values())
    by_version = [next(iter(v)) for v in seen.values()]
    expected = [challenger.version if bucket(PROJECT, f"user-{k}") < 0.5 else champion.version
                for k in range(60)]
    assert by_version == expected and len(set(by_version)) == 2
    v2 = client.post(f"/v2/models/{PROJECT}/infer", json={
        "id": "user-3", "inputs": v2_inputs(champion, rows.head(1))}).json()
    assert v2["model_version"] == expected[3]  # the V2 id is the key when no header is sent
    logged = list(log_files.read(monitor.log.directory, PREDICTIONS))
    assert [r["version"] for r in logged[:-1:2]] == expected
    counted = {(s.labels["version"], s.labels["status"]): s.value
               for family in text_string_to_metric_families(client.get("/metrics").text)
               for s in family.samples if s.name == "dlpipe_requests_total"}
    assert counted[(challenger.version, "200")] == 2 * expected.count(challenger.version) + (
        expected[3] == challenger.version)


def test_a_shadow_answers_every_request_in_the_log_only(tmp_path, trained, challenger_root,
                                                        rows):
    client, champion, challenger, monitor = serving(tmp_path, trained, challenger_root,
                                                    "shadow")
    frame = rows.head(5)
    answer = client.post(f"/v2/models/{PROJECT}/infer",
                         json={"inputs": v2_inputs(champion, frame)})
    assert answer.json()["model_version"] == champion.version
    assert answer.json()["outputs"][0]["data"] == champion.predict(frame)["label"].tolist()
    request_id = answer.headers["x-request-id"]
    logged = list(log_files.read(monitor.log.directory, PREDICTIONS))
    shadows = [r for r in logged if r.get("shadow")]
    assert {r["id"] for r in logged} == {request_id} and len(shadows) == 5
    assert {r["version"] for r in shadows} == {challenger.version}
    assert [r["label"] for r in shadows] == challenger.predict(frame)["label"].tolist()
    truth = champion.predict(frame)["label"].tolist()
    taken = client.post(f"/v2/models/{PROJECT}/feedback", json={"feedback": [
        {"id": request_id, "row": k, "label": truth[k]} for k in range(5)]})
    assert taken.json()["recorded"] == 5
    figures = monitor.live.figures()
    assert figures[champion.version]["accuracy"] == 1.0
    agree = np.mean(np.array(truth) == challenger.predict(frame)["label"].to_numpy())
    assert figures[challenger.version] == {"labelled_rows": 5, "accuracy": agree}


def test_a_challenger_of_other_inputs_or_classes_or_a_bad_option_is_refused(
        trained, diabetes_bundle):
    champion = load_bundle(PROJECT, trained.root)
    with pytest.raises(DataError, match="reads other input columns"):
        check_compatible(champion, load_bundle("diabetes", diabetes_bundle[0]))
    renamed = dataclasses.replace(champion, schema=dataclasses.replace(
        champion.schema, classes=["cat", "dog", "emu"]))
    with pytest.raises(DataError, match=r"predicts classes \['cat', 'dog', 'emu'\]"):
        check_compatible(champion, renamed)
    params = LIMITS.challenger.model_copy(update={"mode": "split", "share": 0.5})
    with pytest.raises(ParamsError, match="expected PROJECT=DIR"):
        load_challengers([PROJECT], {PROJECT: champion}, params)
    with pytest.raises(ParamsError, match="'iris' is not served"):
        load_challengers([f"iris={trained.root}"], {PROJECT: champion}, params)
    with pytest.raises(DataError, match="no model bundle for project 'pets'"):
        load_challengers([f"{PROJECT}={diabetes_bundle[0]}"], {PROJECT: champion}, params)


@pytest.fixture(scope="module")
def guessing_root(tmp_path_factory):
    """A pets bundle that learnt from shuffled labels: a challenger known to be worse."""
    table = with_target(raw_rows(), TARGET, "pets.csv")
    table["target"] = table["target"].sample(frac=1.0, random_state=0).reset_index(drop=True)
    return revision(tmp_path_factory.mktemp("guessing"), table, seed=2)


def test_a_known_gap_is_found_by_compare_on_the_served_log(tmp_path, trained, guessing_root,
                                                         capsys):
    """A/B with a known gap through the real path: a shadow that guesses answers 150 labelled
    rows beside the served model; dlpipe compare reads the log and finds the champion
    better."""
    import json

    from dlpipe.cli import main
    from support import ROOT

    client, champion, challenger, monitor = serving(tmp_path, trained, guessing_root, "shadow")
    fresh = raw_rows(150, seed=11)
    frame = fresh.drop(columns=[TARGET, "id"]).assign(
        size=lambda f: f["size"].fillna(1.0), colour=lambda f: f["colour"].fillna("red"))
    for start in range(0, 150, LIMITS.max_rows):  # requests of at most max_rows rows
        part = frame.iloc[start:start + LIMITS.max_rows]
        answer = client.post(f"/v2/models/{PROJECT}/infer",
                             json={"inputs": v2_inputs(champion, part)})
        labels = fresh[TARGET].iloc[start:start + LIMITS.max_rows]
        taken = client.post(f"/v2/models/{PROJECT}/feedback", json={"feedback": [
            {"id": answer.headers["x-request-id"], "row": k, "label": label}
            for k, label in enumerate(labels)]})
        assert taken.json()["recorded"] == len(part)
    monitor.log.close()
    right = [np.mean(bundle.predict(frame)["label"].to_numpy() == fresh[TARGET].to_numpy())
             for bundle in (champion, challenger)]
    assert right[0] - right[1] > 0.3  # the known gap
    assert main(["compare", PROJECT, "--root", str(tmp_path), "--params",
                 str(ROOT / "params.yaml"), "--output", str(tmp_path / "c.json")]) == 0
    result = json.loads((tmp_path / "c.json").read_text())
    assert (result["champion"], result["challenger"]) == (champion.version, challenger.version)
    assert result["design"] == "paired" and result["rows"] == [150, 150]
    assert result["values"] == pytest.approx(right)
    assert result["decision"] == "champion better" and result["p_value"] < 1e-6
    assert "champion better" in capsys.readouterr().out
