"""fetch: cache, mirror, checksum and offline error paths, on tiny files made here."""

from __future__ import annotations

import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest

from dlpipe import datasets
from dlpipe.errors import DataError
from dlpipe.io import frame_sha256
from dlpipe.params import OpenMLData, SklearnData, UrlData


def _csv_source(tmp_path, sha256="0" * 64) -> UrlData:
    return UrlData(source="url", url="https://example.invalid/data.csv", file="tiny.csv",
                   target="label", sha256=sha256)


@pytest.fixture
def tiny_csv(tmp_path):
    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5], "label": [0, 1, 0]})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    frame.to_csv(mirror / "tiny.csv", index=False)
    expected = frame_sha256(pd.DataFrame({"x": [1.5, 2.5, 3.5], "target": [0, 1, 0]}))
    return mirror, expected


def test_mirror_then_cache(tmp_path, tiny_csv, monkeypatch):
    mirror, digest = tiny_csv
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    frame = datasets.load("tiny", _csv_source(tmp_path, digest), root=tmp_path)
    assert list(frame.columns) == ["x", "target"] and frame["target"].dtype == np.int64
    assert (tmp_path / "data/external/tiny.csv").exists()
    monkeypatch.delenv(datasets.MIRROR_ENV)
    (mirror / "tiny.csv").unlink()
    assert frame.equals(datasets.load("tiny", _csv_source(tmp_path, digest), root=tmp_path))


def test_wrong_checksum_names_file_and_expected(tmp_path, tiny_csv, monkeypatch):
    mirror, _ = tiny_csv
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    with pytest.raises(DataError, match=r"checksum mismatch for .*tiny.csv: expected 0{64}"):
        datasets.load("tiny", _csv_source(tmp_path), root=tmp_path)


def test_truncated_csv_is_refused(tmp_path, tiny_csv, monkeypatch):
    mirror, digest = tiny_csv
    text = (mirror / "tiny.csv").read_text()
    (mirror / "tiny.csv").write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1])
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    with pytest.raises(DataError, match="checksum mismatch.*2 rows"):
        datasets.load("tiny", _csv_source(tmp_path, digest), root=tmp_path)


def test_truncated_npz_is_refused(tmp_path, monkeypatch):
    arrays = tmp_path / "mirror"
    arrays.mkdir()
    with open(arrays / "img.npz", "wb") as handle:
        np.savez(handle, X=np.zeros((4, 6), np.uint8), y=np.arange(4, dtype=np.uint8))
    blob = (arrays / "img.npz").read_bytes()
    (arrays / "img.npz").write_bytes(blob[: len(blob) // 2])
    monkeypatch.setenv(datasets.MIRROR_ENV, str(arrays))
    source = OpenMLData(source="openml", name="img", version=1, file="img.npz",
                        feature_prefix="pixel", target="class", sha256="0" * 64)
    with pytest.raises(DataError, match="cannot read .*img.npz.*corrupt or truncated"):
        datasets.load("img", source, root=tmp_path)


def test_npz_layout(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with open(mirror / "img.npz", "wb") as handle:
        np.savez(handle, X=np.arange(12, dtype=np.uint8).reshape(2, 6), y=np.array([3, 7], np.uint8))
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    source = OpenMLData(source="openml", name="img", version=1, file="img.npz",
                        feature_prefix="pixel", target="class", sha256="0" * 64)
    with pytest.raises(DataError) as info:
        datasets.load("img", source, root=tmp_path)
    frame = datasets._read_file(tmp_path / "data/external/img.npz", source)
    assert list(frame.columns[:2]) == ["pixel1", "pixel2"] and frame.columns[-1] == "target"
    assert frame["pixel1"].dtype == np.uint8 and frame["target"].tolist() == [3, 7]
    assert frame_sha256(frame) in str(info.value)


def test_offline_without_mirror_says_what_to_supply(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError) as info:
        datasets.load("tiny", _csv_source(tmp_path), root=tmp_path)
    message = str(info.value)
    assert "cannot get tiny.csv" in message and "DLPIPE_DATA_MIRROR=unset" in message
    assert "data/external/" in message and "name resolution" in message
    assert not (tmp_path / "data/external/tiny.csv").exists()


def test_offline_openml_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    source = OpenMLData(source="openml", name="mnist_784", version=1, file="mnist_784.npz",
                        feature_prefix="pixel", target="class", sha256="0" * 64)
    with pytest.raises(DataError, match="cannot get mnist_784.npz"):
        datasets.load("mnist", source, root=tmp_path)


def test_embedded_iris_matches_params(raw_params):
    data = SklearnData(**raw_params["iris"]["data"])
    frame = datasets.load("iris", data)
    assert frame.shape == (150, 5) and frame["target"].value_counts().tolist() == [50, 50, 50]


def test_real_price_mirror(mirror, raw_params, tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    frame = datasets.load("price", UrlData(**raw_params["price"]["data"]), root=tmp_path)
    assert frame.shape == (2000, 21)
    assert frame["target"].value_counts().sort_index().tolist() == [500] * 4
