"""The Open Inference Protocol (KServe V2) as conversions between request bodies and tables,
and what both protocols share (JSON parsing, row limits; the columns a bundle takes are
:mod:`dlpipe.serving.bundle_columns`).

A request holds one named tensor per feature column (shape ``[n]``), or for an image project one
``[n, d]`` tensor of pixels named ``input`` (or encoded files, :mod:`dlpipe.serving.image_files`),
as JSON or in the binary tensor extension
(:mod:`dlpipe.serving.binary_tensors`); the answer holds ``label`` (BYTES) and
``probabilities`` (FP32 ``[n, k]``), or a numeric target's ``value`` (FP32 ``[n]``). Every
refusal is a :class:`RequestError` naming the input
and row at fault. TensorFlow Serving's REST form is :mod:`dlpipe.serving.tf_serving`.
"""

from __future__ import annotations

import json
import math

import numpy as np
import orjson
import pandas as pd

from dlpipe.serving import binary_tensors, image_files
from dlpipe.serving.binary_tensors import BinaryPart
from dlpipe.serving.bundle_columns import columns, ignored, is_image
from dlpipe.row_columns import RowColumns, table
from dlpipe.serving.plain_row import plain_row
from dlpipe.serving.tensor_values import (NUMBER_TYPES, RequestError, bad, is_integer_type,
                                          numbers, within)

IMAGE_INPUT = "input"  # the V2 tensor holding an image project's pixels, one row per image
OUTPUTS = ("label", "probabilities")
VALUE_OUTPUTS = ("value",)  # a numeric target's model
PLATFORMS = {"network": "tensorflow_keras", "gbdt": "sklearn", "linear": "sklearn"}


def outputs_of(bundle) -> tuple[str, ...]:
    """The output tensors a bundle's answers hold."""
    return VALUE_OUTPUTS if bundle.has_values else OUTPUTS


def parse_json(body: bytes):
    """The request body as JSON (NaN allowed: it means a missing value)."""
    if not body.strip():
        raise bad("empty body: expected a JSON object")
    try:
        return orjson.loads(body)  # several times faster on a batch of floats
    except orjson.JSONDecodeError:
        pass  # NaN, Infinity, a huge integer, or an error worth Python's message
    try:
        value = json.loads(body.decode("utf-8"))
        orjson.dumps(value)  # what json accepts and orjson cannot echo: lone surrogates, big ints
        return value
    except orjson.JSONEncodeError as exc:
        raise bad(f"malformed JSON: {exc}") from None
    except UnicodeDecodeError:
        raise bad("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise bad(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # 5000-digit integers, 100000 nested lists
        raise bad(f"malformed JSON: {str(exc).splitlines()[0][:80]}") from None


def check_rows(n: int, max_rows: int, where: str) -> None:
    if n == 0:
        raise bad(f"{where}: no rows (expected at least 1)")
    if n > max_rows:
        raise RequestError(413, f"{where}: {n} rows, at most {max_rows} per request")


# --- Open Inference Protocol (V2) -----------------------------------------------------------------
def v2_metadata(project: str, bundle) -> dict:
    if is_image(bundle):
        inputs = [{"name": IMAGE_INPUT, "datatype": "FP32", "shape": [-1, len(columns(bundle))]}]
    else:
        inputs = [{"name": c.name, "datatype": c.datatype, "shape": [-1]}
                  for c in columns(bundle)]
    if bundle.has_values:
        outputs = [{"name": "value", "datatype": "FP32", "shape": [-1]}]
        parameters = {"target": bundle.schema.target}
    else:
        outputs = [{"name": "label", "datatype": "BYTES", "shape": [-1]},
                   {"name": "probabilities", "datatype": "FP32",
                    "shape": [-1, len(bundle.classes)]}]
        parameters = {"classes": [str(c) for c in bundle.classes]}
    if is_image(bundle):  # or encoded files in place of the pixels
        parameters["image_files"] = image_files.described()
    return {"name": project, "versions": [], "platform": PLATFORMS[bundle.family], "inputs": inputs,
            "outputs": outputs, "parameters": parameters}


_KEYS = ("shape", "datatype", "data")  # an input's keys; data unless in the binary part


def _tensor(index: int, tensor, binary: BinaryPart | None
            ) -> tuple[str, tuple[int, ...], str, list]:
    """An input tensor's name, shape, datatype and data (from the binary part when it says
    ``binary_data_size``), each checked for its JSON type."""
    if not isinstance(tensor, dict):
        raise bad(f"inputs[{index}]: expected an object {{name, shape, datatype, data}}, got "
                  f"{type(tensor).__name__}")
    name = tensor.get("name")
    if not isinstance(name, str):
        raise bad(f"inputs[{index}].name: expected a string, got {name!r}")
    size = binary_tensors.binary_size(tensor) if "parameters" in tensor else None
    for key in _KEYS if size is None else _KEYS[:2]:
        if key not in tensor:
            raise bad(f"input {name!r}: missing {key!r}")
    shape, datatype = tensor["shape"], tensor["datatype"]
    if not _is_shape(shape):
        raise bad(f"input {name!r}: shape: expected a list of sizes like [n], got {shape!r}")
    if not isinstance(datatype, str):
        raise bad(f"input {name!r}: datatype: expected a string like 'FP64', got {datatype!r}")
    if size is None:
        return name, tuple(shape), datatype, tensor["data"]
    if binary is None:
        raise binary_tensors.refuse_without_header(name)
    if "data" in tensor:
        raise bad(f"input {name!r}: both data and binary_data_size given (one or the other)")
    chunk = binary.take(name, size)
    return name, tuple(shape), datatype, binary_tensors.decode(
        name, tuple(shape), datatype, chunk, raw=name == image_files.IMAGE_FILES)


def _is_shape(shape) -> bool:
    """Whether ``shape`` is a non-empty JSON list of sizes (whole numbers, not true/false)."""
    return type(shape) is list and bool(shape) and all(
        type(size) is int and 0 <= size < 2**31 for size in shape)


def v2_frame(bundle, body, max_rows: int, binary: BinaryPart | None = None,
             light: bool = False) -> pd.DataFrame | RowColumns:
    """The table a V2 inference request describes (``binary``: the raw bytes after its JSON
    part, see :mod:`dlpipe.serving.binary_tensors`); ``light``: feature columns as
    :class:`RowColumns`, for a bundle predicted wholly in NumPy."""
    if not isinstance(body, dict):
        raise bad(f"expected a JSON object with 'inputs', got {type(body).__name__}")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise bad("inputs: expected a non-empty list of tensors {name, shape, datatype, data}")
    tensors = [_tensor(i, t, binary) for i, t in enumerate(inputs)]
    if binary is not None:
        binary.check_all_read()
    names = [t[0] for t in tensors]
    if len(set(names)) < len(names):
        raise bad(f"input {sorted({n for n in names if names.count(n) > 1})[0]!r}: given more "
                  "than once")
    for name, shape, _, _ in tensors:
        check_rows(shape[0], max_rows, f"input {name!r}")
    if is_image(bundle) and IMAGE_INPUT in names:
        return _image_frame(bundle, *tensors[names.index(IMAGE_INPUT)][1:], names)
    if is_image(bundle) and image_files.IMAGE_FILES in names:
        return image_files.v2_frame(bundle, *tensors[names.index(image_files.IMAGE_FILES)][1:],
                                    names)
    return _column_frame(bundle, {t[0]: t[1:] for t in tensors}, light)


def _image_frame(bundle, shape: tuple[int, ...], datatype: str, data, names: list[str]):
    where = f"input {IMAGE_INPUT!r}"
    if len(names) > 1:
        raise bad(f"input {sorted(set(names) - {IMAGE_INPUT})[0]!r}: unknown input (an image "
                  f"project takes one tensor, {IMAGE_INPUT!r})")
    cols = columns(bundle)
    if math.prod(shape[1:]) != len(cols) or len(shape) < 2:
        raise bad(f"{where}: expected shape [n, {len(cols)}] (one row of pixels per image), got "
                  f"{list(shape)}")
    if datatype not in NUMBER_TYPES:
        raise bad(f"{where}: expected datatype FP32 or FP64 (pixels), got {datatype!r}")
    pixels = numbers(data, where, shape, cols[0].dtype)
    if is_integer_type(datatype):
        within(pixels, datatype, where, shape)
    pixels = pixels.reshape(shape[0], len(cols))
    return pd.DataFrame(pixels, columns=[c.name for c in cols])


def _column_frame(bundle, tensors: dict, light: bool) -> pd.DataFrame | RowColumns:
    cols = columns(bundle)
    expected = [c.name for c in cols]
    if len(tensors) != len(expected) or not all(name in tensors for name in expected):
        unknown = [name for name in tensors
                   if name not in expected and name not in ignored(bundle)]
        if unknown:
            raise bad(f"input {unknown[0]!r}: unknown input (expected {expected})")
    missing = [name for name in expected if name not in tensors]
    if missing:
        raise bad(f"input {missing[0]!r}: missing (every feature column is an input: "
                  f"{expected})")
    n = tensors[expected[0]][0][0]
    row = plain_row(cols, tensors) if light and n == 1 else None
    if row is not None:
        return RowColumns.of_matrix(expected, np.array([row], dtype=np.float64))
    frame = {}
    for column in cols:
        shape, datatype, data = tensors[column.name]
        where = f"input {column.name!r}"
        if shape[0] != n:
            raise bad(f"{where}: {shape[0]} rows, but input {expected[0]!r} has {n} (every "
                      "input needs the same number of rows)")
        if len(shape) > 2 or len(shape) == 2 and shape[1] != 1:
            raise bad(f"{where}: expected shape [n], got {list(shape)}")
        if datatype not in column.sendable:
            raise bad(f"{where}: expected datatype {column.datatype}, got {datatype!r}")
        frame[column.name] = column.convert(data, where, shape, datatype)
    return RowColumns(frame) if light else table(frame)


def v2_response(project: str, proba: np.ndarray, bundle, body: dict) -> tuple[dict, bytes]:
    """The V2 answer: ``label`` and ``probabilities`` (a numeric target: ``value``), or those
    the request's ``outputs`` name, the request's ``id`` echoed; and the bytes of the outputs
    it asks to have binary."""
    wanted = body.get("outputs")
    known = outputs_of(bundle)
    names = list(known)
    if wanted is not None:
        if not isinstance(wanted, list) or not all(
                isinstance(o, dict) and o.get("name") in known for o in wanted):
            raise bad(f"outputs: expected a list of {{name}} with names from {list(known)}, got "
                      f"{json.dumps(wanted)[:80]}")
        names = [o["name"] for o in wanted]
    binary = binary_tensors.binary_outputs(body, names, wanted)
    n, k = proba.shape
    tensors = {"label": {"name": "label", "datatype": "BYTES", "shape": [n]},
               "probabilities": {"name": "probabilities", "datatype": "FP32", "shape": [n, k]},
               "value": {"name": "value", "datatype": "FP32", "shape": [n]}}
    values = ({"value": proba[:, 0]} if bundle.has_values else
              {"label": labels(proba, bundle), "probabilities": proba.reshape(-1)})
    answer, chunks = {"model_name": project, "outputs": []}, []
    for name in names:
        tensor = dict(tensors[name])
        if name in binary:
            chunks.append(binary_tensors.encode(tensor["datatype"], values[name]))
            tensor["parameters"] = {"binary_data_size": len(chunks[-1])}
        else:
            tensor["data"] = values[name] if name == "label" else values[name].tolist()
        answer["outputs"].append(tensor)
    if "id" in body:
        answer["id"] = body["id"]
    return answer, b"".join(chunks)


def request_id(body) -> None:
    """Refuse an ``id`` the answer could not echo as the protocol says (a string)."""
    if isinstance(body, dict) and "id" in body and not isinstance(body["id"], str):
        raise bad(f"id: expected a string, got {json.dumps(body['id'])[:40]}")


def labels(proba: np.ndarray, bundle) -> list[str]:
    return [str(name) for name in bundle.label_names(proba)]
