"""A folder of images as a project: `dlpipe add --images`, the checksum over its files, every
stage of the table on it, and `predict` on image files.

The images are scikit-learn's 8x8 digits of three classes as PNG files (tests/digits.py).
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from dlpipe import datasets, images
from dlpipe.bundle.inference import load_bundle
from dlpipe.cli import add, main
from dlpipe.errors import DataError
from dlpipe.params import load_params
from dlpipe.pipeline import jobs, runner
from dlpipe.pipeline.table import STAGES

from digits import CLASSES, write_digits
from support import ROOT, free_port, tiny, wait_for

FOLDER = "data/external/digits"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    write_digits(tmp_path / FOLDER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_add_writes_an_image_section_that_fetch_verifies(repo, capsys):
    assert add.main(["digits", "--images", FOLDER, "--size", "16", "16"]) == 0
    section = yaml.safe_load((repo / "params.yaml").read_text())["digits"]
    assert section["data"]["source"] == "images" and section["data"]["path"] == FOLDER
    assert section["model"]["image_shape"] == [16, 16, 1] and section["gbdt"] is None
    assert "90 images in 3 classes (one: 30, seven: 30, zero: 30), read at 16x16 with 1 " \
           "channel(s)" in capsys.readouterr().err
    project = load_params("params.yaml").project("digits")
    raw = datasets.load("digits", project.data, image_shape=project.model.image_shape)
    assert raw.shape == (90, 257) and list(raw.columns[:2]) == ["pixel1", "pixel2"]
    assert list(raw["target"].cat.categories) == CLASSES
    assert raw.drop(columns="target").to_numpy().dtype == np.uint8


def test_a_colour_image_makes_three_channels(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    write_digits(tmp_path / FOLDER, per_class=6, colour=True)
    monkeypatch.chdir(tmp_path)
    assert add.main(["digits", "--images", FOLDER]) == 0
    shape = yaml.safe_load((tmp_path / "params.yaml").read_text())["digits"]["model"][
        "image_shape"]
    assert shape == [32, 32, 3]


def test_a_changed_image_fails_the_checksum_by_name(repo):
    assert add.main(["digits", "--images", FOLDER]) == 0
    project = load_params("params.yaml").project("digits")
    (repo / FOLDER / "zero/zero_000.png").write_bytes(
        (repo / FOLDER / "zero/zero_001.png").read_bytes())
    with pytest.raises(DataError, match=r"checksum mismatch .*an image was changed, added, "
                                        r"removed or renamed"):
        datasets.load("digits", project.data, image_shape=project.model.image_shape)


@pytest.mark.parametrize("damage, message", [
    ("corrupt", "zero_000.png: not an image that can be read"),
    ("one class", "expected one subfolder of images (.png, .jpg, .jpeg) per class, at least "
                  "two classes; found 1 with images"),
    ("empty class", "a class subfolder with no image (.png, .jpg, .jpeg): 'eight'")])
def test_a_folder_that_cannot_be_a_project_is_refused_in_one_line(repo, capsys, damage,
                                                                  message):
    import shutil

    before = (repo / "params.yaml").read_text()
    if damage == "corrupt":
        (repo / FOLDER / "zero/zero_000.png").write_bytes(b"not a png")
    elif damage == "empty class":
        (repo / FOLDER / "eight").mkdir()
        (repo / FOLDER / "eight" / "notes.txt").write_text("to do")
    else:
        for name in ("one", "seven"):
            shutil.rmtree(repo / FOLDER / name)
    assert main(["add", "digits", "--images", FOLDER]) != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert (repo / "params.yaml").read_text() == before


def test_add_refuses_options_that_belong_to_a_table(repo, capsys):
    with pytest.raises(SystemExit):
        add.main(["digits", "--images", FOLDER, "--target", "label"])
    assert "--images FOLDER takes no --target" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        add.main(["digits", "--file", "x.csv"])
    assert "--file needs --target" in capsys.readouterr().err


def write_list(repo, rows: list[tuple[str, str]]) -> str:
    """A CSV file of image paths (inside the digits folder) and their classes; its path."""
    lines = ["path,digit", *(f"{path},{label}" for path, label in rows)]
    (repo / FOLDER / "labels.csv").write_text("\n".join(lines) + "\n")
    return f"{FOLDER}/labels.csv"


def test_a_csv_file_of_image_paths_and_classes_is_a_project(repo, capsys):
    files = sorted(p.relative_to(repo / FOLDER).as_posix()
                   for p in (repo / FOLDER).rglob("*.png"))
    listed = write_list(repo, [(f, "digit " + f.split("/")[0]) for f in files])
    assert add.main(["digits", "--images", listed, "--target", "digit"]) == 0
    assert f"`dvc add {FOLDER}`" in capsys.readouterr().out  # the images and the list
    project = load_params("params.yaml").project("digits")
    assert (project.data.path, project.data.target) == (listed, "digit")
    raw = datasets.load("digits", project.data, image_shape=project.model.image_shape)
    assert list(raw["target"].cat.categories) == [f"digit {c}" for c in CLASSES]
    folder, _ = images.read_folder(repo / FOLDER, project.model.image_shape, "label")
    np.testing.assert_array_equal(raw.drop(columns="target").to_numpy(),
                                  folder.drop(columns="label").to_numpy())
    write_list(repo, [(f, "digit seven" if k == 0 else "digit " + f.split("/")[0])
                      for k, f in enumerate(files)])  # one class changed in the list
    with pytest.raises(DataError, match="checksum mismatch"):
        datasets.load("digits", project.data, image_shape=project.model.image_shape)


@pytest.mark.parametrize("rows, message", [
    ([("one/one_000.png", "1"), ("zero/nope.png", "0")],
     "labels.csv line 3: 'zero/nope.png' is not an image file (.png, .jpg, .jpeg) in"),
    ([("one/one_000.png", "1"), ("../outside.png", "0")],
     "labels.csv line 3: '../outside.png' is not an image file"),
    ([("one/one_000.png", "1"), ("zero/zero_000.png", "")], "labels.csv line 3: an empty "
                                                              "'digit'"),
    ([("one/one_000.png", "1"), ("one/one_001.png", "1")],
     "labels.csv: expected images of at least two classes in 'digit'")])
def test_a_list_that_cannot_be_a_project_is_refused_by_line(repo, capsys, rows, message):
    from PIL import Image

    Image.new("L", (8, 8)).save(repo / "data/external/outside.png")
    before = (repo / "params.yaml").read_text()
    listed = write_list(repo, rows)
    assert main(["add", "digits", "--images", listed, "--target", "digit"]) != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert (repo / "params.yaml").read_text() == before


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A working copy where every job of an image-folder project has run, on tiny params."""
    work = tmp_path_factory.mktemp("digits")
    (work / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    write_digits(work / FOLDER)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        assert add.main(["digits", "--images", FOLDER, "--size", "16", "16"]) == 0
        raw = yaml.safe_load((work / "params.yaml").read_text())
        raw["projects"] = ["digits"]
        raw = tiny(raw)
        raw["digits"]["model"].update(epochs=15, patience=5)
        (work / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
        params = jobs.load("params.yaml")
        for stage in STAGES:
            for wildcards in jobs.instances(stage, params):
                runner.run(stage, wildcards, params)
        yield work


def test_every_stage_runs_on_the_images(trained):
    metrics = json.loads((trained / "reports/digits/metrics.json").read_text())["test"]
    assert 0.5 < metrics["accuracy"] <= 1
    schema = json.loads((trained / "models/digits/schema.json").read_text())
    assert schema["image_shape"] == [16, 16, 1] and schema["classes"] == CLASSES
    selection = json.loads((trained / "reports/digits/selection.json").read_text())
    assert set(selection["families"]) == {"linear", "network"}
    audit = pd.read_csv(trained / "reports/digits/audit.csv")
    assert "ink" in set(audit["feature"])  # sliced as MNIST is
    assert (trained / "reports/digits/explain").is_dir()


def test_predict_reads_image_files_as_training_read_them(trained, capsys, monkeypatch):
    monkeypatch.chdir(trained)
    assert main(["predict", "digits", "--input", f"{FOLDER}/seven", "--output",
                 "seven.csv"]) == 0
    predicted = pd.read_csv(trained / "seven.csv")
    assert predicted["file"].tolist() == [f"{FOLDER}/seven/seven_{k:03d}.png" for k in range(30)]
    bundle = load_bundle("digits", trained)
    rows, _ = images.read_images(trained / FOLDER / "seven", bundle.schema.image_shape)
    assert predicted["label"].tolist() == bundle.predict(rows)["label"].tolist()
    assert main(["predict", "digits", "--input", f"{FOLDER}/zero/zero_003.png", "--output",
                 "one.csv"]) == 0
    assert pd.read_csv(trained / "one.csv")["file"].tolist() == [f"{FOLDER}/zero/zero_003.png"]


def test_the_server_answers_pixels_as_predict_answers_files(trained):
    from fastapi.testclient import TestClient

    from dlpipe.serving.server import create_app

    bundle = load_bundle("digits", trained)
    rows, _ = images.read_images(trained / FOLDER / "one", bundle.schema.image_shape)
    client = TestClient(create_app({"digits": bundle},
                                   jobs.load(str(trained / "params.yaml")).serve))
    metadata = client.get("/v2/models/digits").json()
    assert metadata["inputs"][0]["name"] == "input"
    assert metadata["inputs"][0]["shape"] == [-1, 256]
    answer = client.post("/v2/models/digits/infer", json={"inputs": [
        {"name": "input", "shape": list(rows.shape), "datatype": "FP32",
         "data": rows.to_numpy().ravel().tolist()}]})
    assert answer.status_code == 200, answer.text
    labels = next(o for o in answer.json()["outputs"] if o["name"] == "label")["data"]
    assert labels == bundle.predict(rows)["label"].tolist()


def _b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def test_encoded_files_are_served_as_predict_reads_them(trained):
    """V2 (an ``image`` BYTES tensor of base64 files) and TF-Serving (``{"b64": ...}``)
    requests give the labels ``predict`` gives for the same files; bad files are 400s naming
    the row."""
    from fastapi.testclient import TestClient

    from dlpipe.serving.server import create_app

    bundle = load_bundle("digits", trained)
    files = sorted((trained / FOLDER / "seven").glob("*.png"))[:6]
    expected = bundle.predict(images.read_images(trained / FOLDER / "seven",
                                                 bundle.schema.image_shape)[0])["label"][:6]
    client = TestClient(create_app({"digits": bundle},
                                   jobs.load(str(trained / "params.yaml")).serve))
    assert client.get("/v2/models/digits").json()["parameters"]["image_files"]["name"] == "image"
    texts = [_b64(path) for path in files]
    v2 = client.post("/v2/models/digits/infer", json={"inputs": [
        {"name": "image", "shape": [len(texts)], "datatype": "BYTES", "data": texts}]})
    assert v2.status_code == 200, v2.text
    labels = next(o for o in v2.json()["outputs"] if o["name"] == "label")["data"]
    assert labels == expected.tolist()
    v1 = client.post("/v1/models/digits:predict",
                     json={"instances": [{"b64": text} for text in texts]})
    assert [p["label"] for p in v1.json()["predictions"]] == expected.tolist()
    for data, message in ((["%%%"], "input 'image' row 1: not base64 text"),
                          ([base64.b64encode(b"GIF89a not really").decode()],
                           "input 'image' row 1: not an image that can be read")):
        answer = client.post("/v2/models/digits/infer", json={"inputs": [
            {"name": "image", "shape": [1], "datatype": "BYTES", "data": data}]})
        assert answer.status_code == 400 and message in answer.json()["error"], answer.text
    answer = client.post("/v1/models/digits:predict", json={"instances": [{"b64": "%%%"}]})
    assert answer.status_code == 400 and "instances row 1: not base64 text" in answer.text


def texts(values) -> list[str]:
    """A BYTES output as tritonclient gives it (bytes or str per element) as text."""
    return [str(v, "utf-8") if isinstance(v, bytes) else v for v in values]


def test_curl_and_tritonclient_send_image_files_over_a_socket(trained):
    """``dlpipe serve`` on 127.0.0.1: curl posts a TF-Serving b64 request, ``tritonclient``
    a V2 BYTES tensor of base64 files in JSON and one of the files' own bytes as binary data;
    each gets ``predict``'s labels, and bytes that are not an image a 400 naming the row."""
    import subprocess
    import sys

    import tritonclient.http as triton
    import tritonclient.utils as triton_errors

    files = sorted((trained / FOLDER / "zero").glob("*.png"))[:4]
    bundle = load_bundle("digits", trained)
    expected = bundle.predict(images.table(files, bundle.schema.image_shape))["label"].tolist()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "dlpipe", "serve", "digits", "--host",
                               "127.0.0.1", "--port", str(port)], cwd=trained,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"127.0.0.1:{port}"
    try:
        wait_for(lambda: subprocess.run(["curl", "-sf", f"http://{url}/v2/health/ready"],
                                        capture_output=True).returncode == 0,
                 120, server, every=0.5)
        (trained / "b64.json").write_text(json.dumps(
            {"instances": [{"b64": _b64(path)} for path in files]}))
        out = subprocess.run(["curl", "-sf", "--data-binary", f"@{trained / 'b64.json'}",
                              f"http://{url}/v1/models/digits:predict"], capture_output=True,
                             text=True, check=True).stdout
        assert [p["label"] for p in json.loads(out)["predictions"]] == expected
        client = triton.InferenceServerClient(url)
        tensor = triton.InferInput("image", [len(files)], "BYTES")
        tensor.set_data_from_numpy(np.array([_b64(path) for path in files], dtype=object),
                                   binary_data=False)
        result = client.infer("digits", [tensor], outputs=[
            triton.InferRequestedOutput("label", binary_data=False)])
        assert texts(result.as_numpy("label")) == expected
        for payload in ([path.read_bytes() for path in files], [b"\x89PNG but cut short"]):
            raw = triton.InferInput("image", [len(payload)], "BYTES")
            raw.set_data_from_numpy(np.array(payload, dtype=np.object_), binary_data=True)
            if len(payload) == len(files):
                result = client.infer("digits", [raw], outputs=[
                    triton.InferRequestedOutput("label", binary_data=False)])
                assert texts(result.as_numpy("label")) == expected
            else:
                with pytest.raises(triton_errors.InferenceServerException,
                                   match="input 'image' row 1: not an image that can be read"):
                    client.infer("digits", [raw])
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_drift_reads_a_folder_of_images_and_sees_inverted_ones(trained, tmp_path, monkeypatch):
    """The drift check takes image files as predict does: the training images pass, the same
    images with their ink inverted are flagged."""
    from PIL import Image, ImageOps

    inverted = tmp_path / "inverted"
    inverted.mkdir()
    for path in sorted((trained / FOLDER).rglob("*.png")):
        with Image.open(path) as image:
            ImageOps.invert(image.convert("L")).save(inverted / f"{path.parent.name}_{path.name}")
    monkeypatch.chdir(trained)
    assert main(["drift", "digits", "--input", FOLDER, "--output", "same.json"]) == 0
    assert main(["drift", "digits", "--input", str(inverted), "--output", "shifted.json"]) == 1
    report = json.loads((trained / "shifted.json").read_text())
    assert report["drift"] is True


def test_an_image_past_pillows_pixel_limit_is_refused_not_decoded(repo, monkeypatch):
    """A decompression bomb (more pixels than Pillow's limit allows, twice over) is a
    DataError naming the file, which the server turns into a 400."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 24 x 24 = 576 > 2 x 100
    path = repo / FOLDER / "zero/zero_000.png"
    with pytest.raises(DataError, match="zero_000.png: not an image that can be read "
                                        r"\(DecompressionBombError"):
        images.pixels(path, (8, 8, 1))
