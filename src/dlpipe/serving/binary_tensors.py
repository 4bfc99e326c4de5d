"""The Open Inference Protocol's binary tensor data extension, the default of its clients.

A request whose ``Inference-Header-Content-Length`` header is present is that many bytes of JSON
followed by raw tensor bytes: each input with the parameter ``binary_data_size`` has no
``data``; its bytes come next, in input order. Numbers are little-endian; a ``BYTES`` tensor is
each element as a 4-byte little-endian length and that many bytes (text: UTF-8). An answer holds
the outputs the request asks to have binary (``binary_data`` of an output, or
``binary_data_output`` of the request) the same way. Anything malformed is a 400 naming the
input.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from dlpipe.serving.tensor_values import RequestError, bad

HEADER = "Inference-Header-Content-Length"
EXTENSION = "binary_tensor_data"
# the little-endian layout of each fixed-size datatype
DTYPES = {"BOOL": "?", "INT8": "i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8",
          "UINT8": "u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "FP16": "<f2",
          "FP32": "<f4", "FP64": "<f8"}
LENGTH = struct.Struct("<I")  # the length before each BYTES element


class BinaryPart:
    """The raw bytes after the JSON header, handed out to the binary inputs in order."""

    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.offset = 0

    def take(self, name: str, size) -> memoryview:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad(f"input {name!r}: parameters.binary_data_size: expected a size in bytes, "
                      f"got {size!r}")
        left = len(self.data) - self.offset
        if size > left:
            raise bad(f"input {name!r}: binary_data_size {size} runs past the end of the body "
                      f"({left} bytes of binary data left)")
        self.offset += size
        return self.data[self.offset - size:self.offset]

    def check_all_read(self) -> None:
        left = len(self.data) - self.offset
        if left:
            raise bad(f"{left} bytes of binary data follow the last binary input (a "
                      "binary_data_size too small?)")


def split(body: bytes, header_length: str | None) -> tuple[bytes, BinaryPart | None]:
    """The JSON part of ``body`` and its binary part (None without the header)."""
    if header_length is None:
        return body, None
    if not header_length.strip().isdigit():
        raise bad(f"{HEADER}: expected the length of the JSON part in bytes, got "
                  f"{header_length[:40]!r}")
    length = int(header_length)
    if length > len(body):
        raise bad(f"{HEADER}: {length} bytes of JSON, but the body has {len(body)}")
    return body[:length], BinaryPart(body[length:])


def binary_size(tensor: dict):
    """The ``binary_data_size`` parameter of an input, or None."""
    parameters = tensor.get("parameters")
    return parameters.get("binary_data_size") if isinstance(parameters, dict) else None


def decode(name: str, shape: tuple[int, ...], datatype: str, chunk: memoryview,
           raw: bool = False):
    """An input's values from its bytes: an array of numbers, or a list of texts or
    booleans (as the JSON form gives them); ``raw``: a BYTES tensor's elements as bytes (the
    files of an image input), not as UTF-8 text."""
    count = math.prod(shape)
    if datatype == "BYTES":
        return _elements(name, chunk, count, raw)
    if datatype not in DTYPES:
        raise bad(f"input {name!r}: datatype {datatype!r} has no binary form here (expected "
                  f"BYTES or one of {list(DTYPES)})")
    dtype = np.dtype(DTYPES[datatype])
    if len(chunk) != count * dtype.itemsize:
        raise bad(f"input {name!r}: {len(chunk)} bytes of binary data, but shape {list(shape)} "
                  f"of {datatype} takes {count * dtype.itemsize}")
    values = np.frombuffer(chunk, dtype=dtype).reshape(shape)
    return values.tolist() if datatype == "BOOL" else values


def _elements(name: str, chunk: memoryview, count: int, raw: bool) -> list:
    texts, offset = [], 0
    for row in range(1, count + 1):
        if offset + LENGTH.size > len(chunk):
            raise bad(f"input {name!r}, element {row}: the BYTES data ends before its length")
        (size,) = LENGTH.unpack_from(chunk, offset)
        offset += LENGTH.size
        if offset + size > len(chunk):
            raise bad(f"input {name!r}, element {row}: {size} bytes announced, "
                      f"{len(chunk) - offset} left")
        element = bytes(chunk[offset:offset + size])
        try:
            texts.append(element if raw else element.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad(f"input {name!r}, element {row}: not UTF-8 text") from None
        offset += size
    if offset != len(chunk):
        raise bad(f"input {name!r}: {len(chunk) - offset} bytes after its {count} elements")
    return texts


def _flag(where: str, value) -> bool:
    if not isinstance(value, bool):
        raise bad(f"{where}: expected true or false, got {value!r}")
    return value


def binary_outputs(body: dict, names: list[str], requested: list[dict] | None) -> set[str]:
    """The outputs to answer in binary: every one if the request's ``binary_data_output`` is
    true, then as each requested output's ``binary_data`` says."""
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise bad(f"parameters: expected an object, got {type(parameters).__name__}")
    everything = _flag("parameters.binary_data_output",
                       parameters.get("binary_data_output", False))
    binary = set(names) if everything else set()
    for output in requested or []:
        chosen = output.get("parameters", {})
        if not isinstance(chosen, dict):
            raise bad(f"output {output['name']!r}: parameters: expected an object")
        if "binary_data" in chosen:
            where = f"output {output['name']!r}: parameters.binary_data"
            (binary.add if _flag(where, chosen["binary_data"]) else binary.discard)(
                output["name"])
    return binary


def encode(datatype: str, values) -> bytes:
    """An output's values as the extension lays them out."""
    if datatype == "BYTES":
        parts = [text.encode("utf-8") for text in values]
        return b"".join(LENGTH.pack(len(part)) + part for part in parts)
    return np.ascontiguousarray(values, dtype=np.dtype(DTYPES[datatype])).tobytes()


def refuse_without_header(name: str) -> RequestError:
    return bad(f"input {name!r}: binary_data_size given, but the request has no {HEADER} "
               "header (the length of its JSON part)")
