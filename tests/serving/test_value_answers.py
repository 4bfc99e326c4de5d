"""Both protocols answer a numeric target's model with values: V2 metadata and inference (JSON
and binary outputs), TensorFlow Serving's predict, each equal to ``Bundle.predict``; an output
the model has not is refused naming the ones it has."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dlpipe.bundle.inference import load_bundle
from dlpipe.serving import binary_tensors
from dlpipe.serving.server import create_app
from support import serve_limits

pytest.importorskip("dlpipe.models.network")
LIMITS = serve_limits(max_body_bytes=50_000, max_rows=50, body_timeout_seconds=5)


@pytest.fixture(scope="module")
def served(diabetes_bundle):
    root, _, _, test_part = diabetes_bundle
    bundle = load_bundle("diabetes", root)
    rows = test_part.drop(columns=["target"]).head(4)
    return TestClient(create_app({"diabetes": bundle}, LIMITS)), bundle, rows


def v2_body(rows, **more) -> dict:
    return {"inputs": [{"name": c, "datatype": "FP64", "shape": [len(rows)],
                        "data": rows[c].tolist()} for c in rows.columns], **more}


def test_the_metadata_names_one_value_output_and_the_target(served):
    client, _, _ = served
    metadata = client.get("/v2/models/diabetes").json()
    assert metadata["outputs"] == [{"name": "value", "datatype": "FP32", "shape": [-1]}]
    assert metadata["parameters"] == {"target": "progression"}
    assert len(metadata["inputs"]) == 10


def test_v2_answers_the_values_predict_gives(served):
    client, bundle, rows = served
    answer = client.post("/v2/models/diabetes/infer", json=v2_body(rows, id="r1"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == "r1" and [o["name"] for o in body["outputs"]] == ["value"]
    assert body["outputs"][0]["shape"] == [4] and body["outputs"][0]["datatype"] == "FP32"
    np.testing.assert_allclose(body["outputs"][0]["data"], bundle.predict(rows)["value"],
                               rtol=1e-6)


def test_v2_binary_value_output(served):
    client, bundle, rows = served
    body = v2_body(rows, outputs=[{"name": "value", "parameters": {"binary_data": True}}])
    answer = client.post("/v2/models/diabetes/infer", json=body)
    assert answer.status_code == 200, answer.text
    size = int(answer.headers[binary_tensors.HEADER])
    values = np.frombuffer(answer.content[size:], dtype="<f4")
    np.testing.assert_allclose(values, bundle.predict(rows)["value"], rtol=1e-6)


def test_an_output_the_model_has_not_is_refused_naming_its_outputs(served):
    client, _, rows = served
    answer = client.post("/v2/models/diabetes/infer",
                         json=v2_body(rows, outputs=[{"name": "label"}]))
    assert answer.status_code == 400
    assert "names from ['value']" in answer.json()["error"]


def test_tf_serving_answers_one_value_per_instance(served):
    client, bundle, rows = served
    answer = client.post("/v1/models/diabetes:predict",
                         json={"instances": rows.to_dict(orient="records")})
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    assert [set(p) for p in predictions] == [{"value"}] * 4
    np.testing.assert_allclose([p["value"] for p in predictions],
                               bundle.predict(rows)["value"], rtol=1e-6)
