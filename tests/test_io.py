from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from dlpipe.io import atomic_path, frame_sha256, read_json, write_json


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


def test_frame_sha256_sees_values_dtypes_and_truncation():
    frame = pd.DataFrame({"a": [1, 2, 3], "target": [0, 1, 0]})
    digest = frame_sha256(frame)
    assert digest == frame_sha256(frame.copy())
    assert digest != frame_sha256(frame.iloc[:2])
    assert digest != frame_sha256(frame.assign(a=[1, 2, 4]))
    assert digest != frame_sha256(frame.astype({"a": "float64"}))
