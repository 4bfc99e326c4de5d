"""The prediction log of a real bundle and the feedback checked against it: every refusal
names the item and keeps nothing, and the log's index survives a restart."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe import io
from dlpipe.bundle.inference import load_bundle
from dlpipe.monitoring import feedback, log_files
from dlpipe.monitoring.feedback import FeedbackError
from dlpipe.monitoring.live import LiveFigures
from dlpipe.monitoring.prediction_log import FEEDBACK, PREDICTIONS, PredictionLog, input_rows
from dlpipe.params import MonitorParams
from dlpipe.row_columns import RowColumns
from pets import PROJECT
from support import repo_params

PARAMS = MonitorParams.model_validate(repo_params()["serve"]["monitor"])


@pytest.fixture
def pets(trained):
    return load_bundle(PROJECT, trained.root)


@pytest.fixture
def logged(tmp_path, pets, rows):
    """A log holding one request of six pets rows: (log, request id, frame, proba)."""
    frame = rows.head(6)
    proba = pets.predict_proba(frame)
    prediction_log = PredictionLog.open(tmp_path, PARAMS, "serve")
    request_id = prediction_log.record(pets, frame, proba, client_id="mine")
    return prediction_log, request_id, frame, proba


def test_a_request_is_logged_row_by_row_with_the_bundle_s_version(logged, pets, trained):
    prediction_log, request_id, frame, proba = logged
    records = list(log_files.read(prediction_log.directory, PREDICTIONS))
    digest = io.file_sha256(trained.root / "models" / PROJECT / io.MANIFEST)[:12]
    assert pets.version == digest
    assert [r["row"] for r in records] == list(range(6))
    assert {r["id"] for r in records} == {request_id}
    assert {(r["version"], r["source"], r["client_id"]) for r in records} == {
        (digest, "serve", "mine")}
    assert [r["label"] for r in records] == pets.predict(frame)["label"].tolist()
    np.testing.assert_allclose([list(r["probabilities"].values()) for r in records], proba,
                               rtol=1e-6)
    assert list(records[0]["probabilities"]) == pets.classes
    assert records[0]["input"] == {name: frame.iloc[0][name] for name in pets.schema.names}


def test_feedback_is_recorded_and_the_index_survives_a_restart(logged, tmp_path):
    prediction_log, request_id, _, _ = logged
    logged = prediction_log.index[request_id]
    answers = logged.answers[logged.version]
    outcomes = feedback.record(prediction_log, [
        {"id": request_id, "row": 0, "label": answers[0]},
        {"id": request_id, "row": 1, "label": next(c for c in ("cat", "dog", "eel")
                                                     if c != answers[1])}])
    assert [o.correct for o in outcomes] == [True, False]
    prediction_log.close()
    reopened = PredictionLog.open(tmp_path, PARAMS, "serve")
    assert reopened.index[request_id].answers == {logged.version: answers}
    assert reopened.labelled == {(request_id, 0), (request_id, 1)}
    stored = list(log_files.read(tmp_path, FEEDBACK))
    assert [(r["id"], r["row"]) for r in stored] == [(request_id, 0), (request_id, 1)]
    with pytest.raises(FeedbackError) as refused:
        feedback.record(reopened, [{"id": request_id, "row": 1, "label": "cat"}])
    assert refused.value.status == 409 and "row 1 is labelled already" in str(refused.value)


@pytest.mark.parametrize("item, status, words", [
    ({"id": "nope", "label": "cat"}, 404, "no logged request 'nope'"),
    ({"row": 9, "label": "cat"}, 404, "had 6 row(s), not row 9"),
    ({"label": "koala"}, 422, "feedback[1].label: expected one of ['cat', 'dog', 'eel'], got "
                              "'koala'"),
    ({}, 422, "feedback[1].label: missing"),
    ({"row": -1, "label": "cat"}, 422, "feedback[1].row: expected a row number"),
    ({"id": 7, "label": "cat"}, 422, "feedback[1].id: expected a request id"),
    ({"row": 0, "label": "cat"}, 409, "row 0 is labelled already"),  # twice in one batch
])
def test_a_bad_item_is_named_and_nothing_of_the_batch_is_kept(logged, item, status, words):
    prediction_log, request_id, _, _ = logged
    good = {"id": request_id, "row": 0, "label": "cat"}
    with pytest.raises(FeedbackError) as refused:
        feedback.record(prediction_log, [good, {"id": request_id, **item}])
    assert refused.value.status == status and words in str(refused.value)
    assert prediction_log.labelled == set()
    assert list(log_files.read(prediction_log.directory, FEEDBACK)) == []


def test_a_numeric_target_takes_values_and_gives_errors(tmp_path, diabetes_bundle):
    root, _, _, test = diabetes_bundle
    bundle = load_bundle("diabetes", root)
    frame = test.drop(columns="target").head(3)
    proba = bundle.predict_proba(frame)
    prediction_log = PredictionLog.open(tmp_path, PARAMS, "predict")
    request_id = prediction_log.record(bundle, frame, proba)
    [record] = list(log_files.read(tmp_path, PREDICTIONS))[:1]
    assert "label" not in record and record["value"] == pytest.approx(float(proba[0, 0]))
    for bad in ("12", float("nan"), True, None):
        with pytest.raises(FeedbackError, match=r"feedback\[0\]\.value: expected a finite"):
            feedback.record(prediction_log, [{"id": request_id, "value": bad}])
    truth = test["target"].head(3).tolist()
    outcomes = feedback.record(prediction_log, [
        {"id": request_id, "row": k, "value": truth[k]} for k in range(3)])
    np.testing.assert_allclose([o.error for o in outcomes], proba[:, 0] - np.array(truth),
                               rtol=1e-6)
    live = LiveFigures(window_rows=2)
    live.labelled(outcomes)
    errors = proba[1:, 0] - np.array(truth[1:])  # the window keeps the latest two
    assert live.figures()[bundle.version] == {
        "labelled_rows": 2, "rmse": pytest.approx(float(np.sqrt(np.mean(errors ** 2))))}


def test_live_accuracy_is_over_the_latest_labelled_rows_per_version():
    from dlpipe.monitoring.feedback import Outcome

    live = LiveFigures(window_rows=4)
    live.labelled([Outcome("a", False, None)] * 3 + [Outcome("a", True, None)] * 3 +
                  [Outcome("b", True, None)])
    assert live.figures() == {"a": {"labelled_rows": 4, "accuracy": 0.75},
                              "b": {"labelled_rows": 1, "accuracy": 1.0}}


def test_row_columns_are_logged_as_their_table(tmp_path, diabetes_bundle):
    root, _, _, test = diabetes_bundle
    bundle = load_bundle("diabetes", root)
    frame = test.drop(columns="target").head(3)
    frame = frame.assign(**{frame.columns[0]: np.arange(3)})  # an integer column too
    rows = RowColumns({name: frame[name].to_numpy() for name in frame.columns})
    proba = bundle.predict_proba(frame)
    assert input_rows(bundle.schema, rows) == input_rows(bundle.schema, frame)
    assert [[type(v) for v in row.values()] for row in input_rows(bundle.schema, rows)] == [
        [type(v) for v in row.values()] for row in input_rows(bundle.schema, frame)]
    lines = []
    for k, given in enumerate((frame, rows)):
        prediction_log = PredictionLog.open(tmp_path / str(k), PARAMS, "serve")
        prediction_log.record(bundle, given, proba)
        [path] = log_files.segments(tmp_path / str(k), PREDICTIONS)
        lines.append([line.split(b'"input"')[1] for line in path.read_bytes().splitlines()])
    assert lines[0] == lines[1]
