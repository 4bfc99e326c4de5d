"""The binary tensor data extension, as the Open Inference Protocol's own client builds and reads
it (``tritonclient.http``), and every malformed binary body refused with a 400 naming the input."""

from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd
import pytest
import tritonclient.http as triton
from fastapi.testclient import TestClient

from dlpipe.bundle.inference import load_bundle
from dlpipe.serving.binary_tensors import HEADER
from dlpipe.serving.protocols import v2_metadata
from dlpipe.serving.server import create_app

from pets import PROJECT, raw_rows
from support import same_proba, serve_limits

LIMITS = serve_limits(max_body_bytes=100_000, max_rows=50, body_timeout_seconds=5)
URL = f"/v2/models/{PROJECT}/infer"


@pytest.fixture(scope="module")
def bundle(trained):
    return load_bundle(PROJECT, trained.root)


@pytest.fixture(scope="module")
def client(bundle):
    return TestClient(create_app({PROJECT: bundle}, LIMITS), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """Eight complete rows (the client's BYTES encoding has no missing value)."""
    return raw_rows(40, seed=7).dropna().head(8).drop(columns=["id", "kind"]).reset_index(
        drop=True)


def triton_inputs(bundle, rows: pd.DataFrame, binary=lambda name: True) -> list:
    """One ``InferInput`` per column, typed as the model's metadata says, set the client's
    default way (binary) unless ``binary(name)`` says otherwise."""
    inputs = []
    for spec in v2_metadata(PROJECT, bundle)["inputs"]:
        values = rows[spec["name"]].to_numpy()
        array = (values.astype(object) if spec["datatype"] == "BYTES"
                 else values.astype({"FP64": np.float64, "INT64": np.int64}[spec["datatype"]]))
        tensor = triton.InferInput(spec["name"], [len(rows)], spec["datatype"])
        tensor.set_data_from_numpy(array, binary_data=binary(spec["name"]))
        inputs.append(tensor)
    return inputs


def post(client, inputs, outputs=None):
    """The request the client would send, through the app; the client's reading of the answer."""
    body, json_size = triton.InferenceServerClient.generate_request_body(inputs, outputs)
    headers = {} if json_size is None else {HEADER: str(json_size)}
    answer = client.post(URL, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    length = answer.headers.get(HEADER)
    return answer, triton.InferResult.from_response_body(
        answer.content, header_length=None if length is None else int(length))


def test_the_client_s_default_call_gets_the_bundle_s_answer_in_binary(client, bundle, rows):
    answer, result = post(client, triton_inputs(bundle, rows))
    assert HEADER in answer.headers  # binary outputs: no output was named
    expected = bundle.predict(rows)
    labels = [label.decode() for label in result.as_numpy("label")]
    assert labels == expected["label"].tolist()
    proba = result.as_numpy("probabilities")
    assert proba.dtype == np.float32 and proba.shape == (len(rows), len(bundle.classes))
    assert same_proba(proba, expected[[f"proba_{c}" for c in bundle.classes]].to_numpy(
        np.float32))


def test_json_and_binary_inputs_and_outputs_mix(client, bundle, rows):
    """Text inputs as JSON, numbers binary; the label as JSON, the probabilities binary."""
    inputs = triton_inputs(bundle, rows, binary=lambda name: name in ("size", "legs"))
    outputs = [triton.InferRequestedOutput("label", binary_data=False),
               triton.InferRequestedOutput("probabilities", binary_data=True)]
    answer, result = post(client, inputs, outputs)
    header = json.loads(answer.content[:int(answer.headers[HEADER])])
    assert "data" in header["outputs"][0] and "data" not in header["outputs"][1]
    assert list(result.as_numpy("label")) == bundle.predict(rows)["label"].tolist()
    json_answer = client.post(URL, json={"inputs": [  # the same rows, all JSON
        {"name": c, "shape": [len(rows)], "datatype": spec["datatype"],
         "data": rows[c].tolist()} for spec in v2_metadata(PROJECT, bundle)["inputs"]
        for c in [spec["name"]]]}).json()
    assert np.array_equal(result.as_numpy("probabilities").reshape(-1),
                          np.float32(json_answer["outputs"][1]["data"]))


def test_the_server_lists_the_extension(client):
    assert "binary_tensor_data" in client.get("/v2").json()["extensions"]


def _body(tensors: list[tuple[dict, bytes]]) -> tuple[bytes, dict]:
    """A hand-made binary request: JSON inputs (binary ones with their size), then the bytes."""
    header = json.dumps({"inputs": [tensor for tensor, _ in tensors]}).encode()
    return header + b"".join(raw for _, raw in tensors), {HEADER: str(len(header))}


def _numbers(name: str, datatype: str, values, size: int | None = None) -> tuple[dict, bytes]:
    raw = np.asarray(values, dtype={"FP64": "<f8", "INT64": "<i8"}[datatype]).tobytes()
    return ({"name": name, "shape": [len(values)], "datatype": datatype,
             "parameters": {"binary_data_size": len(raw) if size is None else size}}, raw)


def _texts(name: str, values: list[bytes], cut: int = 0) -> tuple[dict, bytes]:
    raw = b"".join(struct.pack("<I", len(v)) + v for v in values)
    raw = raw[:len(raw) - cut]
    return ({"name": name, "shape": [len(values)], "datatype": "BYTES",
             "parameters": {"binary_data_size": len(raw)}}, raw)


GOOD = {"size": lambda: _numbers("size", "FP64", [1.0, 2.0]),
        "legs": lambda: _numbers("legs", "INT64", [4, 0]),
        "colour": lambda: _texts("colour", [b"red", b"blue"]),
        "coat": lambda: _texts("coat", [b"short", b"long"])}


def _request(**replaced) -> list[tuple[dict, bytes]]:
    return [replaced[name] if name in replaced else make() for name, make in GOOD.items()]


def test_a_hand_made_binary_request_is_answered(client):
    body, headers = _body(_request())
    answer = client.post(URL, content=body, headers=headers)
    assert answer.status_code == 200 and HEADER not in answer.headers  # JSON outputs
    assert len(answer.json()["outputs"][0]["data"]) == 2


@pytest.mark.parametrize("tensors, header, message", [
    (_request(), "abc", f"{HEADER}: expected the length of the JSON part in bytes"),
    (_request(), "999999", f"{HEADER}: 999999 bytes of JSON, but the body has"),
    (_request(legs=_numbers("legs", "INT64", [4, 0], size=9999)), None,
     "input 'legs': binary_data_size 9999 runs past the end of the body"),
    (_request(size=_numbers("size", "FP64", [1.0, 2.0], size=12)), None,
     "input 'size': 12 bytes of binary data, but shape [2] of FP64 takes 16"),
    (_request(colour=_texts("colour", [b"red", b"blue"], cut=2)), None,
     "input 'colour', element 2: 4 bytes announced, 2 left"),
    (_request(colour=_texts("colour", [b"red", b"\xff\xfe"])), None,
     "input 'colour', element 2: not UTF-8 text"),
    (_request(coat=({"name": "coat", "shape": [2], "datatype": "BYTES",
                     "parameters": {"binary_data_size": -1}}, b"")), None,
     "input 'coat': parameters.binary_data_size: expected a size in bytes, got -1"),
    (_request(size=({"name": "size", "shape": [2], "datatype": "BF16",
                     "parameters": {"binary_data_size": 4}}, b"\0" * 4)), None,
     "input 'size': datatype 'BF16' has no binary form here"),
    (_request(size=({"name": "size", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0],
                     "parameters": {"binary_data_size": 16}}, b"\0" * 16)), None,
     "input 'size': both data and binary_data_size given"),
    ([*_request(), ({"name": "id", "shape": [1], "datatype": "INT64", "data": [1]},
                    b"leftover")], None, "8 bytes of binary data follow the last binary input"),
], ids=["header not a number", "header past the body", "size past the body", "size vs shape",
        "truncated bytes", "not utf-8", "negative size", "no binary form", "data and size",
        "bytes left over"])
def test_a_malformed_binary_body_is_a_400_naming_the_input(client, tensors, header, message):
    body, headers = _body(tensors)
    answer = client.post(URL, content=body, headers={HEADER: header} if header else headers)
    assert answer.status_code == 400 and message in answer.json()["error"], answer.text


def test_a_binary_input_without_the_header_is_refused(client):
    body, _ = _body(_request())
    header_only = body[:body.index(b"}]}") + 3]
    answer = client.post(URL, content=header_only)
    assert answer.status_code == 400
    assert f"has no {HEADER} header" in answer.json()["error"]


@pytest.mark.parametrize("parameters, message", [
    ({"binary_data_output": "yes"}, "parameters.binary_data_output: expected true or false"),
    ([], "parameters: expected an object")])
def test_a_malformed_output_choice_is_a_400(client, parameters, message):
    body, headers = _body(_request())
    header = json.loads(body[:int(headers[HEADER])])
    header["parameters"] = parameters
    text = json.dumps(header).encode()
    answer = client.post(URL, content=text + body[int(headers[HEADER]):],
                         headers={HEADER: str(len(text))})
    assert answer.status_code == 400 and message in answer.json()["error"], answer.text
