"""After the answer: every answer logged under the request id it carries, feedback by that id
(each refusal a 4xx naming the item), ``/metrics`` in Prometheus' format with live accuracy,
and a real server killed with SIGKILL under load that loses no answered request."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import httpx
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dlpipe.bundle.inference import load_bundle
from dlpipe.monitoring import log_files
from dlpipe.monitoring.monitor import open_monitor
from dlpipe.monitoring.prediction_log import PREDICTIONS
from dlpipe.serving.server import create_app
from pets import PROJECT
from support import ROOT, free_port, repo_params, serve_limits, v2_inputs
from test_server import records

LIMITS = serve_limits(max_body_bytes=100_000, max_rows=50, body_timeout_seconds=5)


def samples(text: str) -> dict[tuple, float]:
    """(metric sample name, sorted labels) -> value of a Prometheus text page."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def app_and_log(tmp_path, trained):
    bundle = load_bundle(PROJECT, trained.root)
    monitor = open_monitor(bundle, LIMITS.monitor, None, tmp_path, "serve")
    return create_app({PROJECT: bundle}, LIMITS, {}, {PROJECT: monitor}), monitor, bundle


def test_an_answer_carries_the_request_id_it_is_logged_under(app_and_log, rows):
    app, monitor, bundle = app_and_log
    client = TestClient(app)
    v2 = client.post(f"/v2/models/{PROJECT}/infer",
                     json={"id": "client-7", "inputs": v2_inputs(bundle, rows.head(3))})
    v1 = client.post(f"/v1/models/{PROJECT}:predict", json={"instances": records(rows.head(2))})
    assert v2.json()["id"] == "client-7"
    v2_id = v2.headers["x-request-id"]
    assert v2.json()["parameters"] == {"request_id": v2_id}
    logged = list(log_files.read(monitor.log.directory, PREDICTIONS))
    assert [(r["id"], r["row"]) for r in logged] == [(v2_id, 0), (v2_id, 1), (v2_id, 2), (
        v1.headers["x-request-id"], 0), (v1.headers["x-request-id"], 1)]
    assert [r["label"] for r in logged[:3]] == v2.json()["outputs"][0]["data"]
    assert logged[0]["client_id"] == "client-7" and "client_id" not in logged[3]
    refused = client.post(f"/v2/models/{PROJECT}/infer", json={"inputs": []})
    assert refused.status_code == 400 and "x-request-id" not in refused.headers
    assert len(list(log_files.read(monitor.log.directory, PREDICTIONS))) == 5


def test_feedback_moves_live_accuracy_and_metrics_count_every_answer(app_and_log, rows):
    app, _, bundle = app_and_log
    client = TestClient(app)
    answered = client.post(f"/v2/models/{PROJECT}/infer",
                           json={"inputs": v2_inputs(bundle, rows.head(4))})
    request_id, labels = answered.headers["x-request-id"], answered.json()["outputs"][0]["data"]
    wrong = next(c for c in bundle.classes if c != labels[3])
    taken = client.post(f"/v2/models/{PROJECT}/feedback", json={"feedback": [
        {"id": request_id, "row": k, "label": labels[k]} for k in range(3)] + [
        {"id": request_id, "row": 3, "label": wrong}]})
    assert taken.status_code == 200 and taken.json() == {"model_name": PROJECT, "recorded": 4}
    client.post(f"/v2/models/{PROJECT}/infer", json={"inputs": []})  # a 400
    client.post("/v2/models/koala/infer", json={"inputs": []})  # a 404
    page = client.get("/metrics")
    assert page.headers["content-type"].startswith("text/plain; version=")
    found, version = samples(page.text), bundle.version
    model = (("model", PROJECT), ("version", version))
    assert found[("dlpipe_accuracy", model)] == 0.75
    assert found[("dlpipe_labelled_rows", model)] == 4
    assert found[("dlpipe_rows_total", model)] == 4
    assert found[("dlpipe_feedback_rows_total", model)] == 4
    assert found[("dlpipe_requests_total", tuple(sorted(
        [("model", PROJECT), ("version", version), ("protocol", "v2"), ("status", "200")])))] == 1
    assert found[("dlpipe_requests_total", tuple(sorted(
        [("model", PROJECT), ("version", version), ("protocol", "v2"), ("status", "400")])))] == 1
    assert found[("dlpipe_requests_total", tuple(sorted(
        [("model", "(unknown)"), ("version", ""), ("protocol", "v2"), ("status", "404")])))] == 1
    assert found[("dlpipe_request_duration_seconds_count", model)] == 2


@pytest.mark.parametrize("body, status, words", [
    ({"feedback": [{"id": "0" * 32, "label": "cat"}]}, 404, "no logged request"),
    ({"feedback": []}, 422, "expected a non-empty list"),
    ({"labels": []}, 422, "feedback: missing"),
    ([1, 2], 422, "feedback: missing"),
])
def test_feedback_refusals_are_4xx_naming_the_item(app_and_log, body, status, words):
    app, _, _ = app_and_log
    answer = TestClient(app).post(f"/v2/models/{PROJECT}/feedback", json=body)
    assert answer.status_code == status and words in answer.json()["error"]


def test_feedback_without_a_log_is_503(trained):
    bundle = load_bundle(PROJECT, trained.root)
    answer = TestClient(create_app({PROJECT: bundle}, LIMITS)).post(
        f"/v2/models/{PROJECT}/feedback", json={"feedback": [{"id": "x", "label": "cat"}]})
    assert answer.status_code == 503 and "no prediction log" in answer.json()["error"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, trained):
    """``python -m dlpipe serve pets`` on a free port of 127.0.0.1, logging under its root:
    (url, process, root). Stopped by its pid (already dead after the SIGKILL test)."""
    root = tmp_path_factory.mktemp("monitored")
    shutil.copytree(trained.root / "models" / PROJECT, root / "models" / PROJECT)
    (root / "params.yaml").write_text(yaml.safe_dump(repo_params(), sort_keys=False))
    port = free_port()
    output = (root / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dlpipe", "serve", PROJECT, "--port", str(port)], cwd=root,
        stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, (root / "serve.log").read_text()
        assert time.monotonic() < deadline, "not ready within 120 s"
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.25)
    yield url, process, root
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    output.close()


def test_curl_sends_feedback_and_scrapes_metrics_over_a_real_socket(server, trained, rows):
    url, _, _ = server
    bundle = load_bundle(PROJECT, trained.root)
    answered = httpx.post(f"{url}/v1/models/{PROJECT}:predict",
                          json={"instances": records(rows.head(1))})
    request_id, label = answered.headers["x-request-id"], answered.json()["predictions"][0]["label"]
    body = f'{{"feedback": [{{"id": "{request_id}", "row": 0, "label": "{label}"}}]}}'
    curl = ["curl", "-sS", "-H", "Content-Type: application/json", "-d", body,
            f"{url}/v2/models/{PROJECT}/feedback"]
    assert subprocess.run(curl, capture_output=True, text=True, check=True).stdout == \
        f'{{"model_name":"{PROJECT}","recorded":1}}'
    again = subprocess.run([*curl[:-1], "-w", "%{http_code}", curl[-1]], capture_output=True,
                           text=True, check=True).stdout
    assert again.endswith("409") and "labelled already" in again
    page = subprocess.run(["curl", "-sS", f"{url}/metrics"], capture_output=True, text=True,
                          check=True).stdout
    model = (("model", PROJECT), ("version", bundle.version))
    assert samples(page)[("dlpipe_accuracy", model)] == 1.0


def test_a_server_killed_under_load_keeps_every_answered_request(server, rows):
    """Four clients send rows as fast as the server answers; SIGKILL; every request id an
    answer carried is in the log (what was in flight may or may not be)."""
    url, process, root = server
    answered: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            while not stop.is_set():
                try:
                    answer = http.post(f"/v1/models/{PROJECT}:predict",
                                       json={"instances": records(rows.head(2))})
                except httpx.HTTPError:
                    return  # the server died under it
                answered.append(answer.headers["x-request-id"])

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    while len(answered) < 200:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=20)
    stop.set()
    for thread in clients:
        thread.join()
    logged = {r["id"] for r in log_files.read(root / "data" / "served" / PROJECT, PREDICTIONS)}
    assert len(answered) >= 200 and set(answered) <= logged
    assert len(logged - set(answered)) <= 4 + 1  # in flight, and the curl test's request


def test_metrics_estimate_accuracy_from_confidence_and_give_drift_p_values(tmp_path, trained):
    """With a drift reference, /metrics carries the accuracy estimated from the rows served
    (calibrated on the reference's test part) and a p-value per drift test."""
    from dlpipe.insight.accuracy_estimate import from_reference, predicted_probability
    from dlpipe.insight.drift import OUTPUTS, build_reference
    from dlpipe.params import DriftParams
    from dlpipe.serving.watch import Watch

    bundle = load_bundle(PROJECT, trained.root)
    drift = DriftParams.model_validate(repo_params()["defaults"]["drift"])
    reference = build_reference(bundle, trained.train, trained.test, 0, drift)
    monitor = open_monitor(bundle, LIMITS.monitor, reference, tmp_path, "serve")
    app = create_app({PROJECT: bundle}, LIMITS, {PROJECT: Watch(bundle, reference, drift)},
                     {PROJECT: monitor})
    served = pd.concat([trained.test.drop(columns="target")] * 2, ignore_index=True)
    assert len(served) >= drift.min_rows  # a drift verdict needs them
    TestClient(app).post(f"/v2/models/{PROJECT}/infer",
                         json={"inputs": v2_inputs(bundle, served)})
    found = samples(TestClient(app).get("/metrics").text)
    model = (("model", PROJECT), ("version", bundle.version))
    expected = from_reference(reference[OUTPUTS]).estimate(
        predicted_probability(bundle, bundle.predict_proba(served)))
    assert found[("dlpipe_estimated_accuracy", model)] == pytest.approx(expected[0])
    assert found[("dlpipe_estimated_accuracy_se", model)] == pytest.approx(expected[1])
    p_values = {dict(labels)["column"]: value for (name, labels), value in found.items()
                if name == "dlpipe_drift_p_value"}
    assert set(bundle.schema.names) <= set(p_values) and all(0 <= p <= 1
                                                             for p in p_values.values())
