"""Artefacts by suffix: what is written reads back the same; directories are replaced whole."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dlpipe.pipeline import catalog


@pytest.mark.parametrize("name", ["t.parquet", "t.csv"])
def test_tables_round_trip(tmp_path, name, three_class_frame):
    catalog.write(tmp_path / name, three_class_frame)
    pd.testing.assert_frame_equal(catalog.read(tmp_path / name), three_class_frame)


def test_json_round_trips_numpy_values(tmp_path):
    import numpy as np

    catalog.write(tmp_path / "m.json", {"accuracy": np.float32(0.5), "n": np.int64(3)})
    assert catalog.read(tmp_path / "m.json") == {"accuracy": 0.5, "n": 3}


def test_a_directory_output_replaces_the_old_one_whole(tmp_path, three_class_frame):
    target = tmp_path / "plots"
    catalog.write(target, {"old.csv": three_class_frame})
    catalog.write(target, {"a.csv": three_class_frame, "notes.md": "# hi\n"})
    assert sorted(p.name for p in target.iterdir()) == ["a.csv", "notes.md"]


def test_a_failed_directory_write_keeps_the_old_directory(tmp_path, three_class_frame):
    target = tmp_path / "plots"
    catalog.write(target, {"old.csv": three_class_frame})
    with pytest.raises(ValueError, match="no writer for .xyz"):
        catalog.write(target, {"new.csv": three_class_frame, "bad.xyz": 1})
    assert [p.name for p in target.iterdir()] == ["old.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["plots"]  # no staging directory left


def test_a_figure_is_saved_as_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    catalog.write(tmp_path / "f.png", figure)
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_directory_reads_back_as_its_mapping(tmp_path, three_class_frame):
    catalog.write(tmp_path / "bundle", {"t.csv": three_class_frame, "m.json": {"n": 3}})
    read = catalog.read(tmp_path / "bundle")
    assert sorted(read) == ["m.json", "t.csv"] and read["m.json"] == {"n": 3}
    pd.testing.assert_frame_equal(read["t.csv"], three_class_frame)


def test_a_verified_directory_lists_its_files_digests_and_reads_back_without_it(
        tmp_path, three_class_frame):
    from dlpipe import io
    from dlpipe.pipeline.table import BY_NAME

    catalog.write(tmp_path / "plain", {"m.json": {"n": 3}})
    assert not (tmp_path / "plain" / io.MANIFEST).exists()
    catalog.write(tmp_path / "bundle", {"t.csv": three_class_frame, "m.json": {"n": 3}},
                  manifest=True)
    listed = json.loads((tmp_path / "bundle" / io.MANIFEST).read_text())["sha256"]
    assert listed == {name: io.file_sha256(tmp_path / "bundle" / name)
                      for name in ("m.json", "t.csv")}
    assert sorted(catalog.read(tmp_path / "bundle")) == ["m.json", "t.csv"]
    io.verify_manifest(tmp_path / "bundle", "remedy")
    # the model directories carry one; figures (DVC image plots) and git-kept tables do not
    assert BY_NAME["train"].outputs["bundle"].verified
    assert BY_NAME["export"].outputs["files"].verified
    assert not BY_NAME["explain"].outputs["figures"].verified
    assert not BY_NAME["multiclass"].outputs["tables"].verified


def test_a_directory_reads_a_file_when_a_node_asks_for_it(tmp_path):
    """A node that takes a bundle for its schema alone never loads (nor imports the library
    of) its model: a damaged model file is not even opened."""
    catalog.write(tmp_path / "bundle", {"schema.json": {"n": 3}})
    (tmp_path / "bundle" / "model.keras").write_bytes(b"not a zip")
    bundle = catalog.read(tmp_path / "bundle")
    assert sorted(bundle) == ["model.keras", "schema.json"] and len(bundle) == 2
    assert bundle["schema.json"] == {"n": 3}
    with pytest.raises(KeyError):
        bundle["absent.json"]
    catalog.write(tmp_path / "copy", bundle)  # passed on unread: copied as it is
    assert (tmp_path / "copy/model.keras").read_bytes() == b"not a zip"
    with pytest.raises(Exception, match="model.keras|zip"):
        bundle["model.keras"]


def test_a_feature_transformer_round_trips_as_skops(tmp_path, three_class_frame):
    from dlpipe.features import make_transformer
    from support import feature_params

    X = three_class_frame.drop(columns="target")
    transformer = make_transformer(feature_params(), X).fit(X)
    catalog.write(tmp_path / "t.skops", transformer)
    assert (catalog.read(tmp_path / "t.skops").transform(X) == transformer.transform(X)).all()


def test_a_litert_file_round_trips_as_bytes(tmp_path):
    content = bytes(range(256)) * 3
    catalog.write(tmp_path / "export", {"model_int8.tflite": content})
    assert catalog.read(tmp_path / "export") == {"model_int8.tflite": content}
