from __future__ import annotations

import hashlib
import os
import stat
import struct
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dlpipe.io import (atomic_path, frame_sha256, read_json, read_parquet, write_json,
                       write_parquet)


def test_atomic_path_keeps_old_content_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("killed")
    assert read_json(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_output_gets_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "metrics.json", {"accuracy": 1.0})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode) == 0o644


def test_atomic_path_keeps_the_suffix(tmp_path):
    with atomic_path(tmp_path / "model.keras") as tmp:
        assert tmp.suffix == ".keras" and tmp.parent == tmp_path
        tmp.write_text("x")
    assert (tmp_path / "model.keras").read_text() == "x"


# every kind of column the checksum knows, with missing values where the kind has them
MIXED_FRAME = """
import numpy as np, pandas as pd
frame = pd.DataFrame({
    "i": np.array([3, -1, 7, 0], dtype=np.int64),
    "u": np.array([0, 255, 7, 1], dtype=np.uint8),
    "f": [0.5, np.nan, -2.25, 1e300],
    "b": [True, False, False, True],
    "s": pd.Series(["é", None, "", "a,b"], dtype=object),
    "c": pd.Categorical(["x", "y", None, "x"], categories=["y", "x", "z"]),
    "d": pd.to_datetime(["2024-01-02", None, "1999-12-31 23:59:59", "2000-02-29"],
                       format="ISO8601"),
})
"""


def _mixed() -> pd.DataFrame:
    scope: dict = {}
    exec(MIXED_FRAME, scope)
    return scope["frame"]


def test_frame_sha256_is_the_same_in_other_processes_and_hash_seeds():
    script = MIXED_FRAME + "from dlpipe.io import frame_sha256\nprint(frame_sha256(frame))\n"
    digests = {frame_sha256(_mixed())}
    for seed in ("1", "987654"):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        digests.add(run.stdout.strip())
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_frame_sha256_of_a_fixed_table_never_changes():
    # the params.yaml digests depend on this: a new value means every project's sha256 changes
    assert frame_sha256(_mixed()) == (
        "8536f6d4987b09745f9afeab55bacb1a161988da00791bf1a9fc8083210221d5")


def test_frame_sha256_is_the_documented_byte_stream():
    def part(blob: bytes) -> bytes:
        return len(blob).to_bytes(8, "little") + blob

    stream = (b"dlpipe frame_sha256 v1" + part(struct.pack("<2q", 3, 2))
              + part(b"n") + part(b"int") + part(b"") + part(struct.pack("<3q", 1, -2, 3))
              + part(b"s") + part(b"string") + part(struct.pack("<3q", 1, -1, 2))
              + part("aé".encode()))
    frame = pd.DataFrame({"n": np.array([1, -2, 3], dtype=np.int8), "s": ["a", None, "é"]})
    assert frame_sha256(frame) == hashlib.sha256(stream).hexdigest()


def test_frame_sha256_sees_values_kinds_names_order_and_truncation():
    frame = pd.DataFrame({"a": [1, 2, 3], "target": [0, 1, 0]})
    digest = frame_sha256(frame)
    assert digest == frame_sha256(frame.copy())
    assert digest != frame_sha256(frame.iloc[:2])
    assert digest != frame_sha256(frame.assign(a=[1, 2, 4]))
    assert digest != frame_sha256(frame.astype({"a": "float64"}))
    assert digest != frame_sha256(frame.astype({"a": str}))
    assert digest != frame_sha256(frame.rename(columns={"a": "b"}))
    assert digest != frame_sha256(frame[["target", "a"]])


def test_frame_sha256_ignores_the_pandas_dtype_spelling():
    ints = pd.DataFrame({"a": np.array([1, 2, 3], dtype=np.int64)})
    assert frame_sha256(ints) == frame_sha256(ints.astype(np.uint8))
    assert frame_sha256(ints) == frame_sha256(ints.astype("Int64"))
    texts = pd.DataFrame({"s": ["a", None, "c"]})
    assert frame_sha256(texts.astype(object)) == frame_sha256(texts.astype("string"))
    assert frame_sha256(texts.astype(object)) == frame_sha256(texts.astype(str).where(
        texts.notna(), None).astype(object))
    floats = pd.DataFrame({"f": [1.0, np.nan]})
    other_nan = np.array([1.0, np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\x7f")[0]])
    assert np.isnan(other_nan[1]) and frame_sha256(floats) == frame_sha256(
        pd.DataFrame({"f": other_nan}))
    assert frame_sha256(floats) == frame_sha256(floats.astype("Float64"))
    assert frame_sha256(floats) == frame_sha256(floats.astype(np.float32))


def test_frame_sha256_keeps_text_values_apart():
    def digest(values):
        return frame_sha256(pd.DataFrame({"s": pd.Series(values, dtype=object)}))

    assert digest(["ab", "c"]) != digest(["a", "bc"])
    assert len({digest([None]), digest([""]), digest(["None"]), digest(["nan"])}) == 4


def test_frame_sha256_of_categoricals_sees_values_and_categories():
    values = ["x", "y", "x"]
    base = pd.DataFrame({"c": pd.Categorical(values, categories=["x", "y"])})
    digest = frame_sha256(base)
    assert digest != frame_sha256(pd.DataFrame({"c": pd.Categorical(values, ["x", "y", "z"])}))
    assert digest != frame_sha256(pd.DataFrame({"c": pd.Categorical(values, ["y", "x"])}))
    assert digest != frame_sha256(pd.DataFrame({"c": pd.Categorical(["x", "y", "y"],
                                                                    ["x", "y"])}))
    assert digest != frame_sha256(pd.DataFrame({"c": values}))
    assert digest == frame_sha256(pd.DataFrame({"c": pd.Categorical(
        values, categories=pd.Index(["x", "y"], dtype=object))}))


def test_frame_sha256_datetimes_ignore_the_resolution():
    stamps = pd.DataFrame({"d": pd.to_datetime(["2024-01-02 03:04:05", None])})
    assert frame_sha256(stamps) == frame_sha256(stamps.astype("datetime64[s]"))
    assert frame_sha256(stamps) != frame_sha256(stamps.astype("datetime64[s]") +
                                                pd.Timedelta(seconds=1))


def test_parquet_keeps_a_categorical_label(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0],
                          "target": pd.Categorical(["b", "a", "b"], categories=["a", "b"])})
    write_parquet(tmp_path / "t.parquet", frame)
    back = read_parquet(tmp_path / "t.parquet")
    assert list(back["target"].cat.categories) == ["a", "b"]
    assert back["target"].cat.codes.tolist() == [1, 0, 1]
    assert frame_sha256(back) == frame_sha256(frame)
