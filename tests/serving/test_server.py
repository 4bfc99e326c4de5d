"""The HTTP server: every endpoint of both protocols, every error path a request can take
(always a 4xx JSON answer naming the field, never a 500), a fuzz of the infer endpoint, and the
real server started by its CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlpipe.frames import with_target
from dlpipe.params import DriftParams
from dlpipe.bundle.inference import load_bundle
from dlpipe.insight.drift import build_reference
from dlpipe.serving.server import create_app
from pets import PROJECT
from support import (ROOT, columns_metadata, feature_params, free_port, keras_loaded, repo_params,
                     same_proba, serve_limits, train_bundle, v2_inputs, wait_for)

BODY_TIMEOUT = 2  # seconds the real server waits for a body
LIMITS = serve_limits(max_body_bytes=20_000, max_rows=50, body_timeout_seconds=5)
PIXELS = [f"pixel{i}" for i in range(1, 17)]  # "digits": 4x4 images of 3 classes


def pixel_rows(n: int, seed: int) -> pd.DataFrame:
    """Images whose class is the brightest quarter of the top rows (0, 1) or none (2)."""
    rng = np.random.default_rng(seed)
    kind = np.arange(n) % 3
    images = rng.integers(0, 60, (n, 4, 4))
    images[kind == 0, :2, :2] += 180
    images[kind == 1, :2, 2:] += 180
    frame = pd.DataFrame(images.reshape(n, 16).astype(np.uint8), columns=PIXELS)
    return frame.assign(digit=np.array(["zero", "one", "two"])[kind])


@pytest.fixture(scope="module")
def digits_root(tmp_path_factory, trained):
    """The pets bundle and an image project's bundle, trained by the real nodes, in one
    repository."""
    from dlpipe.pipeline import catalog

    table = with_target(pixel_rows(90, seed=0), "digit", "digits.csv")
    train_part, test_part = table.iloc[:72], table.iloc[72:].reset_index(drop=True)
    bundle = train_bundle(train_part, test_part, feature_params(scaler="pixel"), "digit",
                          "digits", units=8, epochs=5, patience=2, learning_rate=0.05,
                          image_shape=[4, 4, 1])
    root = tmp_path_factory.mktemp("served")
    catalog.write(root / "models" / "digits", bundle, manifest=True)
    shutil.copytree(trained.root / "models" / PROJECT, root / "models" / PROJECT)
    # a drift reference for pets only: digits is served without one
    drift = DriftParams.model_validate(repo_params()["defaults"]["drift"])
    catalog.write(root / "models" / f"{PROJECT}-reference", build_reference(
        load_bundle(PROJECT, root), trained.train, trained.test, 0, drift), manifest=True)
    return root


@pytest.fixture(scope="module")
def bundles(digits_root):
    return {name: load_bundle(name, digits_root) for name in (PROJECT, "digits")}


@pytest.fixture
def tab_rows(rows):
    return rows.head(6)


@pytest.fixture
def img_rows():
    return pixel_rows(5, seed=3).drop(columns="digit")


@pytest.fixture(scope="module")
def client(bundles):
    return TestClient(create_app(bundles, LIMITS), raise_server_exceptions=False)


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: None if pd.isna(v) else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def expected(bundle, frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    predicted = bundle.predict(frame)
    proba = predicted[[f"proba_{c}" for c in bundle.classes]].to_numpy(np.float32)
    return [str(label) for label in predicted["label"]], proba


def infer(client, project: str, body) -> tuple[int, dict]:
    answer = client.post(f"/v2/models/{project}/infer", json=body)
    return answer.status_code, answer.json()


# --- health and metadata --------------------------------------------------------------------------
def test_health_and_server_metadata(client):
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2").json()["name"] == "dlpipe"


def test_model_metadata_lists_every_input_and_both_outputs(client, bundles):
    meta = client.get("/v2/models/pets").json()
    schema = bundles["pets"].schema
    assert [i["name"] for i in meta["inputs"]] == [c.name for c in schema.columns]
    assert {i["datatype"] for i in meta["inputs"]} <= {"FP64", "INT64", "BYTES"}
    assert all(i["shape"] == [-1] for i in meta["inputs"])
    k = len(bundles["pets"].classes)
    assert meta["outputs"] == [{"name": "label", "datatype": "BYTES", "shape": [-1]},
                               {"name": "probabilities", "datatype": "FP32", "shape": [-1, k]}]
    image = client.get("/v2/models/digits").json()
    assert image["inputs"] == [{"name": "input", "datatype": "FP32",
                                "shape": [-1, len(bundles["digits"].schema.columns)]}]


def test_model_ready_and_status(client):
    assert client.get("/v2/models/pets/ready").json() == {"name": "pets", "ready": True}
    assert client.get("/v1/models/pets").json()["model_version_status"][0]["state"] == \
        "AVAILABLE"


@pytest.mark.parametrize("method, path", [
    ("get", "/v2/models/nope"), ("get", "/v2/models/nope/ready"), ("get", "/v1/models/nope"),
    ("post", "/v2/models/nope/infer"), ("post", "/v1/models/nope:predict")])
def test_an_unknown_project_is_404(client, method, path):
    answer = getattr(client, method)(path)
    assert answer.status_code == 404 and "unknown model 'nope'" in answer.json()["error"]


def test_unknown_routes_and_methods_answer_json(client):
    assert client.get("/v3/x").status_code == 404 and "error" in client.get("/v3/x").json()
    answer = client.delete("/v2/health/live")
    assert answer.status_code == 405 and "Method Not Allowed" in answer.json()["error"]


def test_a_long_unknown_path_is_not_echoed_whole(client):
    for path in ("/x" * 32_000, "/v2/models/" + "n" * 64_000):
        answer = client.get(path)
        assert answer.status_code == 404 and len(answer.content) < 400, len(answer.content)


def test_docs_and_openapi(client):
    """The docs page loads its scripts from the server itself (no CDN: it works offline)."""
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(
        r"url: '([^']+)'", page.text)
    assert sources and not [s for s in sources if "//" in s], sources
    scripts = [s for s in sources if s.endswith((".js", ".css"))]
    assert len(scripts) == 2 and all(client.get(s).status_code == 200 for s in scripts)
    paths = client.get("/openapi.json").json()["paths"]
    assert "requestBody" in paths["/v2/models/{project}/infer"]["post"]
    assert "/v1/models/{project}:predict" in paths


# --- predictions ----------------------------------------------------------------------------------
def test_v2_infer_equals_bundle_predict(client, bundles, tab_rows):
    bundle = bundles["pets"]
    status, body = infer(client, "pets", {"id": "r-1", "inputs": v2_inputs(bundle, tab_rows)})
    assert status == 200, body
    labels, proba = expected(bundle, tab_rows)
    assert body["id"] == "r-1" and body["model_name"] == "pets"
    label, probabilities = body["outputs"]
    assert label == {"name": "label", "datatype": "BYTES", "shape": [len(tab_rows)],
                     "data": labels}
    assert probabilities["shape"] == list(proba.shape)
    assert same_proba(np.float32(probabilities["data"]).reshape(proba.shape), proba)


def test_v2_outputs_pick_what_comes_back(client, bundles, tab_rows):
    request = {"inputs": v2_inputs(bundles["pets"], tab_rows),
               "outputs": [{"name": "probabilities"}]}
    status, body = infer(client, "pets", request)
    assert status == 200 and [o["name"] for o in body["outputs"]] == ["probabilities"]
    assert "id" not in body


def test_v1_predict_equals_bundle_predict(client, bundles, tab_rows):
    answer = client.post("/v1/models/pets:predict", json={"instances": records(tab_rows)})
    assert answer.status_code == 200, answer.json()
    labels, proba = expected(bundles["pets"], tab_rows)
    predictions = answer.json()["predictions"]
    assert [p["label"] for p in predictions] == labels
    got = np.float32([[p["probabilities"][c] for c in bundles["pets"].classes]
                      for p in predictions])
    assert same_proba(got, proba)


def test_v1_ignores_the_label_column(client, bundles, tab_rows):
    rows = [{**row, "target": "whatever"} for row in records(tab_rows)]
    assert client.post("/v1/models/pets:predict", json={"instances": rows}).status_code == 200


@pytest.mark.parametrize("nested", [False, True])
def test_images_as_one_tensor(client, bundles, img_rows, nested):
    bundle = bundles["digits"]
    pixels = img_rows.to_numpy(np.float64)
    data = pixels.tolist() if nested else pixels.reshape(-1).tolist()
    request = {"inputs": [{"name": "input", "shape": list(pixels.shape), "datatype": "FP32",
                           "data": data}]}
    status, body = infer(client, "digits", request)
    assert status == 200, body
    labels, proba = expected(bundle, img_rows)
    assert body["outputs"][0]["data"] == labels
    assert same_proba(np.float32(body["outputs"][1]["data"]).reshape(proba.shape), proba)
    v1 = client.post("/v1/models/digits:predict", json={"instances": pixels.tolist()})
    assert [p["label"] for p in v1.json()["predictions"]] == labels


# --- refusals -------------------------------------------------------------------------------------
def tensors(bundle, rows, **changes) -> list[dict]:
    """The V2 tensors of ``rows`` with ``changes`` (column -> changed tensor fields, or None to
    leave the tensor out)."""
    out = []
    for tensor in v2_inputs(bundle, rows):
        change = changes.get(tensor["name"], {})
        if change is not None:
            out.append({**tensor, **change})
    return out


def refused(client, project: str, body, status: int, *words: str) -> str:
    answer = client.post(f"/v2/models/{project}/infer", json=body) if not isinstance(
        body, (bytes, str)) else client.post(f"/v2/models/{project}/infer", content=body)
    assert answer.status_code == status, answer.json()
    error = answer.json()["error"]
    assert set(answer.json()) == {"error"} and "Traceback" not in error
    for word in words:
        assert word in error
    return error


def test_a_missing_input_is_named(client, bundles, tab_rows):
    name = bundles["pets"].schema.columns[0].name
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows, **{name: None})}, 400,
            f"input {name!r}: missing")


def test_an_unknown_input_is_named(client, bundles, tab_rows):
    extra = {"name": "weight", "shape": [len(tab_rows)], "datatype": "FP64",
             "data": [1.0] * len(tab_rows)}
    inputs = [*v2_inputs(bundles["pets"], tab_rows), extra]
    refused(client, "pets", {"inputs": inputs}, 400, "input 'weight': unknown input")


def test_a_wrong_datatype_is_named(client, bundles, tab_rows):
    name = numeric_column(bundles["pets"])
    datatype = {c["name"]: c["datatype"] for c in columns_metadata(bundles["pets"])}[name]
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows,
                                               **{name: {"datatype": "BYTES"}})},
            400, f"input {name!r}: expected datatype {datatype}, got 'BYTES'")


def numeric_column(bundle) -> str:
    """A numeric column training never missed a value of."""
    return next(c.name for c in bundle.schema.columns if c.kind == "numeric" and not c.nan)


def categorical_column(bundle) -> str:
    return next(c.name for c in bundle.schema.columns if c.kind == "categorical")


@pytest.mark.parametrize("value, words", [
    ("tall", ["row 2", "expected a number or null, got 'tall'"]),
    (True, ["row 2", "got True"]),
    ([1.0], ["ragged"]),
    ({"a": 1}, ["row 2", "got dict"])])
def test_a_wrong_type_in_the_data_is_named_with_its_row(client, bundles, tab_rows, value,
                                                        words):
    name = numeric_column(bundles["pets"])
    data = [1.0, value, *[1.0] * (len(tab_rows) - 2)]
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows,
                                               **{name: {"data": data}})},
            400, f"input {name!r}", *words)


@pytest.mark.parametrize("datatype, value, expected", [
    ("INT64", 2 ** 70, "a whole number from -9223372036854775808 to 9223372036854775807 (INT64)"),
    ("INT64", 2 ** 63, "a whole number from -9223372036854775808 to 9223372036854775807 (INT64)"),
    ("INT8", 200, "a whole number from -128 to 127 (INT8)"),
    ("UINT8", -1, "a whole number from 0 to 255 (UINT8)"),
    ("INT32", 1.5, "a whole number from -2147483648 to 2147483647 (INT32)")])
def test_an_integer_its_datatype_cannot_hold_is_refused(client, bundles, tab_rows, datatype,
                                                        value, expected):
    name = numeric_column(bundles["pets"])
    data = [1, 1, value, *[1] * (len(tab_rows) - 3)]
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows, **{
        name: {"data": data, "datatype": datatype}})}, 400, f"input {name!r}, row 3: expected "
            f"{expected}, got")


def test_pixels_sent_as_integers_must_fit_their_datatype(client):
    pixels = [0] * 15 + [300]
    refused(client, "digits", {"inputs": [{"name": "input", "shape": [1, 16], "datatype": "UINT8",
                                           "data": pixels}]}, 400, "row 1", "(UINT8)")
    answer = client.post("/v2/models/digits/infer", json={"inputs": [{
        "name": "input", "shape": [1, 16], "datatype": "UINT8", "data": [0] * 15 + [255]}]})
    assert answer.status_code == 200, answer.text


def test_a_number_where_text_is_expected_is_named(client, bundles, tab_rows):
    name = categorical_column(bundles["pets"])
    data = ["x", 3, *["x"] * (len(tab_rows) - 2)]
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows,
                                               **{name: {"data": data}})},
            400, f"input {name!r}, row 2: expected a string or null, got 3")


def test_an_unknown_category_is_422_naming_the_row(client, bundles, tab_rows):
    name = categorical_column(bundles["pets"])
    data = ["never-seen", *tab_rows[name].tolist()[1:]]
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows,
                                               **{name: {"data": data}})},
            422, "row 1", repr(name), "never-seen")


@pytest.mark.parametrize("change, words", [
    (lambda n, data: {"data": data[:-1]}, ["holds 6 values, the data has 5"]),
    (lambda n, data: {"shape": [n, 2], "data": data * 2}, ["expected shape [n], got [6, 2]"]),
    (lambda n, data: {"shape": []}, ["shape: expected a list of sizes"]),
    (lambda n, data: {"shape": "5"}, ["shape: expected a list of sizes"]),
    (lambda n, data: {"shape": [-1]}, ["shape: expected a list of sizes"])])
def test_a_wrong_shape_is_named(client, bundles, tab_rows, change, words):
    name = numeric_column(bundles["pets"])
    data = tab_rows[name].tolist()
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows,
                                               **{name: change(len(data), data)})},
            400, f"input {name!r}", *words)


def test_inputs_of_different_lengths_are_refused(client, bundles, tab_rows):
    name = numeric_column(bundles["pets"])
    short = {"shape": [2], "data": tab_rows[name].tolist()[:2]}
    refused(client, "pets", {"inputs": tensors(bundles["pets"], tab_rows, **{name: short})}, 400,
            f"input {name!r}: 2 rows", "the same number of rows")


@pytest.mark.parametrize("shape", [[2, 3], [3, 17], [3]])
def test_an_image_of_the_wrong_size_is_refused(client, shape):
    data = np.zeros(shape).tolist()
    refused(client, "digits", {"inputs": [{"name": "input", "shape": shape, "datatype": "FP32",
                                        "data": data}]}, 400, "input 'input': expected shape")


def test_ragged_data_is_refused(client, bundles):
    width = len(bundles["digits"].schema.columns)
    data = [[0.0] * width, [0.0] * (width - 1)]
    refused(client, "digits", {"inputs": [{"name": "input", "shape": [2, width],
                                        "datatype": "FP32", "data": data}]}, 400, "ragged")


def test_nan_where_training_had_none_is_422_naming_the_cell(client, bundles, tab_rows):
    name = numeric_column(bundles["pets"])
    body = json.dumps({"inputs": tensors(bundles["pets"], tab_rows)})
    body = body.replace(json.dumps(tab_rows[name].tolist())[:-1],
                        json.dumps([float("nan"), *tab_rows[name].tolist()[1:]])[:-1])
    assert "NaN" in body
    refused(client, "pets", body, 422, "row 1", repr(name), "missing")


def test_infinity_is_refused_naming_the_cell(client, bundles, tab_rows):
    name = numeric_column(bundles["pets"])
    rows = records(tab_rows)
    rows[2][name] = float("inf")
    answer = client.post("/v1/models/pets:predict", content=json.dumps({"instances": rows}))
    assert answer.status_code == 400
    assert answer.json()["error"] == f"column {name!r}, row 3: expected a finite number, got inf"


@pytest.mark.parametrize("body, words", [
    (b"", ["empty body"]), (b"  \n", ["empty body"]),
    (b'{"inputs": [', ["malformed JSON", "line 1 column 13"]),
    (b"\xff\xfe", ["not UTF-8"]), (b"[" * 100_00 + b"]" * 100_00, []),
    (b"[1, 2]", ["expected a JSON object with 'inputs', got list"]),
    (b'{"inputs": []}', ["inputs: expected a non-empty list"]),
    (b'{"inputs": [7]}', ["inputs[0]: expected an object"]),
    (b'{"inputs": [{"name": 1}]}', ["inputs[0].name: expected a string"]),
    (b'{"inputs": [{"name": "x"}]}', ["input 'x': missing 'shape'"]),
    (b'{"id": 5, "inputs": [{"name": "input", "shape": [1, 16], "datatype": "FP32", '
     b'"data": [' + b"0, " * 15 + b'0]}]}', ["id: expected a string"]),
    (b'{"id": "\\ud800", "inputs": []}', ["malformed JSON", "surrogates not allowed"]),
    (b'{"inputs": [{"name": "input", "shape": [1, 16], "datatype": "FP32", "data": [[['
     + b"0, " * 15 + b'0]]]}]}', ["nested as [1, 1, 16], the shape is [1, 16]"]),
    (b'{"id": "a", "inputs": [NaN], "n": 100000000000000000000}', ["malformed JSON", "64-bit"])])
def test_malformed_bodies_are_400(client, body, words):
    refused(client, "digits", body, 400, *words)


def test_v1_refusals_name_the_row_and_column(client, bundles, tab_rows):
    rows = records(tab_rows)
    name = numeric_column(bundles["pets"])
    del rows[1][name]
    for body, words in [
            ({"instances": rows}, ["row 2 (instances[1]): missing column", repr(name)]),
            ({"instances": [{**records(tab_rows)[0], "weight": 1}]}, ["unknown column 'weight'"]),
            ({"instances": [3]}, ["row 1 (instances[0]): expected an object"]),
            ({"instances": []}, ["no rows"]), ({"rows": []}, ["instances: expected a list"])]:
        answer = client.post("/v1/models/pets:predict", json=body)
        assert answer.status_code == 400 and all(w in answer.json()["error"] for w in words), \
            answer.json()


def test_too_many_rows_is_413(client, bundles, tab_rows):
    rows = records(tab_rows.iloc[[0] * (LIMITS.max_rows + 1)])
    answer = client.post("/v1/models/pets:predict", json={"instances": rows})
    assert answer.status_code == 413 and "at most 50 per request" in answer.json()["error"]
    n = LIMITS.max_rows + 1
    body = {"inputs": [{"name": "input", "shape": [n, 16], "datatype": "FP32", "data": []}]}
    refused(client, "digits", body, 413, "51 rows, at most 50")


def test_an_oversized_body_is_413_by_its_length_and_by_its_bytes(client):
    big = b'{"inputs": [' + b" " * LIMITS.max_body_bytes + b"]}"
    refused(client, "digits", big, 413, "larger than 20000 bytes")
    chunks = iter([big[:1000], big[1000:]])  # no Content-Length: counted as it arrives
    answer = client.post("/v2/models/digits/infer", content=chunks)
    assert answer.status_code == 413


def test_the_server_keeps_serving_after_an_unexpected_failure(bundles, tab_rows):
    class Broken:
        schema, classes = bundles["pets"].schema, bundles["pets"].classes

        def predict_proba(self, frame):
            raise RuntimeError("a bug, not the request's fault")

    app = create_app({"broken": Broken(), "pets": bundles["pets"]}, LIMITS)
    client = TestClient(app, raise_server_exceptions=False)
    body = {"inputs": v2_inputs(bundles["pets"], tab_rows)}
    answer = client.post("/v2/models/broken/infer", json=body)
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error: the server logged it"}
    assert client.post("/v2/models/pets/infer", json=body).status_code == 200


# --- fuzz -----------------------------------------------------------------------------------------
# leaves include lone surrogates (json.dumps writes them as \ud800 escapes) and integers past 64 bits
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63) | st.floats()
    | st.text(max_size=8) | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=6),
    max_leaves=40)


def fuzz_tensor(names: list[str]):
    size = st.integers(min_value=-1, max_value=6)
    return st.fixed_dictionaries({}, optional={
        "name": st.sampled_from([*names, "input", "x"]) | JSON,
        "shape": st.lists(size, max_size=3) | JSON,
        "datatype": st.sampled_from(["FP64", "FP32", "INT64", "BYTES", "BOOL", "X"]) | JSON,
        "data": st.lists(st.floats() | st.integers() | st.text(max_size=3) | st.none()
                         | st.lists(st.floats(), max_size=4), max_size=8) | JSON,
    })


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_infer_never_answers_5xx(client, bundles, data):
    project = data.draw(st.sampled_from(["pets", "digits"]))
    names = [c.name for c in bundles[project].schema.columns][:6]
    body = data.draw(JSON | st.fixed_dictionaries(
        {"inputs": st.lists(fuzz_tensor(names), max_size=len(names) + 1)},
        optional={"id": JSON, "outputs": JSON}))
    for url in (f"/v2/models/{project}/infer", f"/v1/models/{project}:predict"):
        answer = client.post(url, content=json.dumps(body))
        assert answer.status_code < 500, (body, answer.json())
        assert answer.status_code == 200 or set(answer.json()) == {"error"}


# --- the command ----------------------------------------------------------------------------------
def test_serve_refuses_a_missing_bundle_in_one_line(tmp_path, capsys):
    from dlpipe.cli import main

    params = str(ROOT / "params.yaml")
    assert main(["serve", "--root", str(tmp_path), "--params", params]) == 2
    assert "no model bundle to serve" in capsys.readouterr().err
    assert main(["serve", "koala", "--root", str(tmp_path), "--params", params]) == 2
    assert "no model bundle for project 'koala'" in capsys.readouterr().err
    assert main(["serve", "--port", "0", "--root", str(tmp_path), "--params", params]) == 2
    assert "--port: expected a port 1..65535, got 0" in capsys.readouterr().err


@pytest.fixture(scope="module")
def served(digits_root):
    """``python -m dlpipe serve`` (every bundle under the root) on a free port; its URL."""
    port = free_port()
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["serve"]["body_timeout_seconds"] = BODY_TIMEOUT
    (digits_root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    command = [sys.executable, "-m", "dlpipe", "serve", "--host", "127.0.0.1", "--port",
               str(port), "--params", str(digits_root / "params.yaml"), "--root",
               str(digits_root)]
    log = (digits_root / "serve.log").open("w")
    server = subprocess.Popen(command, cwd=digits_root, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url), 120, server, (digits_root / "serve.log").read_text,
                 every=0.25)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_a_port_in_use_is_refused_in_one_line_before_loading(served, digits_root, capsys):
    from dlpipe.cli import main

    port = served.rsplit(":", 1)[1]
    code = main(["serve", "--host", "127.0.0.1", "--port", port, "--root", str(digits_root),
                 "--params", str(digits_root / "params.yaml")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (f"dlpipe: error: 127.0.0.1:{port}: the port is in use (another server?): "
                   "stop it, or serve on another port (--port, serve.port)")
    assert _ready(served)  # the server holding it is untouched


def test_a_client_that_stops_mid_body_gets_408_and_loses_its_connection(served):
    """Content-Length 1000, 10 bytes sent, the connection kept open: answered 408 once the body
    timeout passes, then closed (a real socket: the test client cannot stall)."""
    host, port = served.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=BODY_TIMEOUT + 20) as sock:
        sock.sendall(b"POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                     b'{"inputs":')
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):  # b"" once the server closes the connection
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive within" in answer
    assert BODY_TIMEOUT - 1 <= time.monotonic() - started < BODY_TIMEOUT + 15


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_real_server_predicts_what_the_bundle_predicts(served, bundles, tab_rows, img_rows):
    bundle = bundles[PROJECT]
    labels, proba = expected(bundle, tab_rows)
    with httpx.Client(base_url=served, timeout=30) as http:
        pixels = img_rows.to_numpy().tolist()
        images = http.post("/v2/models/digits/infer", json={"inputs": [
            {"name": "input", "shape": [len(pixels), 16], "datatype": "FP32", "data": pixels}]})
        image_proba = expected(bundles["digits"], img_rows)[1]
        assert same_proba(np.float32(images.json()["outputs"][1]["data"]).reshape(
            image_proba.shape), image_proba)
        assert http.get("/v2/models/digits/ready").json()["ready"] is True
        answer = http.post(f"/v2/models/{PROJECT}/infer",
                           json={"inputs": v2_inputs(bundle, tab_rows)}).json()
        assert answer["outputs"][0]["data"] == labels
        assert same_proba(np.float32(answer["outputs"][1]["data"]).reshape(proba.shape),
                              proba)
        v1 = http.post(f"/v1/models/{PROJECT}:predict",
                       json={"instances": records(tab_rows)}).json()["predictions"]
        assert [p["label"] for p in v1] == labels
        bad = http.post(f"/v2/models/{PROJECT}/infer", content=b'{"inputs": [')
        assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"]
        drift = http.get(f"/v2/models/{PROJECT}/drift")  # the 12 rows answered above
        assert drift.status_code == 200
        assert drift.json()["drift"] is None and drift.json()["rows"] == 2 * len(tab_rows)
        missing = http.get("/v2/models/digits/drift")
        assert missing.status_code == 503 and "reference stage" in missing.json()["error"]
        assert http.get("/v2/health/live").json() == {"live": True}


def test_a_served_network_runs_as_a_graph_with_the_same_numbers(digits_root, tab_rows, img_rows):
    from dlpipe.bundle.graph import Graph, as_graph

    for project, rows in ((PROJECT, tab_rows), ("digits", img_rows)):
        bundle = keras_loaded(project, digits_root)  # as a network without stored answers
        served = as_graph(bundle)
        assert isinstance(served.model, Graph)
        assert served.model.input_shape == bundle.model.input_shape
        pd.testing.assert_frame_equal(served.predict(rows), bundle.predict(rows))


def test_a_graph_that_differs_from_the_eager_network_is_not_served(bundles):
    import tensorflow as tf

    class Drifts:
        """Eager and traced calls that disagree in the last bit."""

        input_shape = bundles[PROJECT].model.input_shape

        def __call__(self, x, training=False):
            return x[:, :3] * (1.0 if tf.executing_eagerly() else 1.0 + 2.0**-20)

    drifting = dataclasses.replace(bundles[PROJECT], model=Drifts())
    from dlpipe.bundle.graph import as_graph

    assert as_graph(drifting).model is drifting.model


def test_the_standard_v2_client_gets_what_predict_gives_over_a_real_socket(served, bundles,
                                                                          tab_rows, img_rows):
    """``tritonclient.http`` as its examples use it: health, metadata, then ``infer`` with
    inputs set from numpy (binary tensors) and no outputs named (binary answers)."""
    import tritonclient.http as triton

    client = triton.InferenceServerClient(served.removeprefix("http://"), network_timeout=60)
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready(PROJECT) and client.is_model_ready("digits")
        assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
        rows = tab_rows.dropna().reset_index(drop=True)  # the client sends None as "None"
        inputs = []
        for spec in client.get_model_metadata(PROJECT)["inputs"]:
            values = rows[spec["name"]].to_numpy()
            tensor = triton.InferInput(spec["name"], [len(rows)], spec["datatype"])
            tensor.set_data_from_numpy(values.astype(
                {"FP64": np.float64, "INT64": np.int64, "BYTES": object}[spec["datatype"]]))
            inputs.append(tensor)
        result = client.infer(PROJECT, inputs)
        labels, proba = expected(bundles[PROJECT], rows)
        assert [label.decode() for label in result.as_numpy("label")] == labels
        assert same_proba(result.as_numpy("probabilities"), proba)
        pixels = triton.InferInput("input", list(img_rows.shape), "FP32")
        pixels.set_data_from_numpy(img_rows.to_numpy(np.float32))
        images = client.infer("digits", [pixels])
        assert same_proba(images.as_numpy("probabilities"),
                              expected(bundles["digits"], img_rows)[1])
    finally:
        client.close()


# --- the compiled path ----------------------------------------------------------------------------
def test_each_bundle_s_prediction_path_is_logged_once_at_start(bundles, caplog):
    with caplog.at_level("INFO", logger="dlpipe.serve"):
        app = create_app(bundles, LIMITS)
    lines = [r.getMessage() for r in caplog.records if "predicting through" in r.getMessage()]
    assert len(lines) == 2 and all("transformer: numpy; model: numpy" in line for line in lines)
    assert app.state.inline == {PROJECT: True, "digits": True}
    assert app.state.numpy_only == {PROJECT: True, "digits": True}


def test_row_columns_and_tables_give_the_same_answers_log_and_window(bundles, tab_rows,
                                                                     digits_root, tmp_path):
    from dlpipe.monitoring import log_files
    from dlpipe.monitoring.monitor import open_monitor
    from dlpipe.monitoring.prediction_log import PREDICTIONS
    from dlpipe.serving.watch import watches

    pets, drift = bundles[PROJECT], DriftParams.model_validate(repo_params()["defaults"]["drift"])
    bodies = [{"inputs": v2_inputs(pets, tab_rows.iloc[[k]])} for k in range(len(tab_rows))]
    bodies.append({"inputs": v2_inputs(pets, tab_rows)})
    kept = []
    for light in (True, False):
        checks = watches({PROJECT: pets}, {PROJECT: drift}, digits_root)
        monitor = open_monitor(pets, LIMITS.monitor, None, tmp_path / str(light), "serve")
        app = create_app({PROJECT: pets}, LIMITS, checks, {PROJECT: monitor})
        app.state.numpy_only[PROJECT] = light
        served = TestClient(app, raise_server_exceptions=False)
        answers = [infer(served, PROJECT, body) for body in bodies]
        answers.append(served.post(f"/v1/models/{PROJECT}:predict",
                                   json={"instances": records(tab_rows)}).json())
        name = categorical_column(pets)
        answers.append(infer(served, PROJECT, {"inputs": tensors(pets, tab_rows.head(2), **{
            name: {"data": ["never-seen", None]}})}))
        logged = [{k: v for k, v in r.items() if k not in ("id", "time")}
                  for r in log_files.read(monitor.log.directory, PREDICTIONS)]
        kept.append((answers, logged, checks[PROJECT].window.frame()))
    (answers, logged, window), (answers_t, logged_t, window_t) = kept
    assert [a[0] for a in answers[:-2]] == [200] * len(bodies) and answers[-1][0] == 422
    for one in (answers, answers_t):  # each request's id is its own
        for status, body in one[:len(bodies)]:
            assert body.pop("parameters")["request_id"]
    assert json.dumps(answers) == json.dumps(answers_t)
    assert len(logged) == 2 * len(tab_rows) + len(tab_rows) and logged == logged_t
    pd.testing.assert_frame_equal(window, window_t)
    assert len(window) == 3 * len(tab_rows)


@pytest.mark.parametrize("inline_body_bytes", [0, 10_000_000])
def test_answers_on_the_event_loop_and_in_the_threadpool_are_the_same(bundles, tab_rows,
                                                                       inline_body_bytes):
    limits = LIMITS.model_copy(update={"inline_body_bytes": inline_body_bytes})
    served = TestClient(create_app(bundles, limits), raise_server_exceptions=False)
    status, body = infer(served, PROJECT, {"inputs": v2_inputs(bundles[PROJECT], tab_rows)})
    assert status == 200, body
    labels, proba = expected(bundles[PROJECT], tab_rows)
    assert body["outputs"][0]["data"] == labels
    assert same_proba(np.float32(body["outputs"][1]["data"]).reshape(proba.shape), proba)
    bad = tensors(bundles[PROJECT], tab_rows, size={"data": ["tall"] * len(tab_rows)})
    status, body = infer(served, PROJECT, {"inputs": bad})
    assert status in (400, 422) and "'size'" in body["error"]


def test_a_bundle_not_predicted_wholly_in_numpy_is_answered_in_the_threadpool(digits_root):
    import keras

    pets = keras_loaded(PROJECT, digits_root)
    inner = pets.model
    odd = keras.Sequential([keras.Input(shape=(inner.input_shape[-1],)), *inner.layers[:-1],
                            keras.layers.LayerNormalization(), inner.layers[-1]])
    app = create_app({PROJECT: dataclasses.replace(pets, model=odd)}, LIMITS)
    assert app.state.inline == {PROJECT: False} and app.state.numpy_only == {PROJECT: False}
