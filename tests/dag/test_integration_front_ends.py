"""A user's folder of images and the sentiment corpus through Snakemake AND `dvc repro` on tiny
params, in temporary git repos, a core each. The images (scikit-learn's digits as PNG files, one
subfolder per class) are made and added with `dlpipe add --images` by the README tour's block as
written, and the user moves their CNN to PyTorch and serves it; the sentiment study (tweets, a
Transformer on their word ids beside TF-IDF) trains on JAX. Checks: both front ends produce
identical results and a second run has nothing to do; each network trains on the backend its
params name and TensorFlow evaluates, exports and serves it; every stage runs on the pixels and
on the words; the standard clients answer what `predict` gives over a socket. The README tour's
projects run in test_integration_tour.py, the MNIST study in test_integration.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from frontends import clients_answer_as_predict, results, sh, tour_blocks
from frontends import dvc_repo, runs, snakemake_repo  # noqa: F401  (fixtures: this file's run)

pytestmark = pytest.mark.slow
# the README tour's folder of images, made, added and versioned as written (its block 7); then
# the user's edits of the project's params
IMAGES = 7
TORCH = """python -c "import yaml; raw = yaml.safe_load(open('params.yaml')); \\
raw['digits']['model'].update(backend='torch', epochs=8, patience=3); \\
raw['digits']['serve_family'] = 'network'; \\
raw['sentiment'].setdefault('model', {})['backend'] = 'jax'; \\
open('params.yaml', 'w').write(yaml.safe_dump(raw, sort_keys=False))"
"""
PROJECTS = ("digits", "sentiment")
MADE_BY = (IMAGES, TORCH)
BACKENDS = {"digits": "torch", "sentiment": "jax"}


def test_dvc_warns_of_no_empty_output(dvc_repo):
    """A task the project leaves out still writes a note in its figures directory."""
    output = (dvc_repo.parent / f"{dvc_repo.name}.out").read_text()
    assert "Running stage 'binary@digits'" in output
    assert "is empty" not in output, output


def test_both_front_ends_give_identical_results_and_have_nothing_left_to_do(runs):
    smk, dvc = runs
    assert results(smk, PROJECTS) == results(dvc, PROJECTS)
    assert "Nothing to be done" in sh("snakemake", "-n", "--cores", "2", cwd=smk)
    assert "Data and pipelines are up to date" in sh("dvc", "repro", cwd=dvc)


def test_each_network_trains_on_the_backend_params_name_and_tensorflow_serves_it(runs):
    """The CNN trains on PyTorch and the Transformer on JAX (their tuning and final fits);
    evaluation, export and serving load the saved networks with TensorFlow, and both front
    ends agree to the bit (the test above)."""
    for repo in runs:
        for project, backend in BACKENDS.items():
            fit = json.loads((repo / f"reports/{project}/fit.json").read_text())
            assert fit["model"]["backend"] == backend
            for log in ("train.log", "tune_worker-0.log"):
                assert f"Keras backend {backend}" in (repo / f"logs/{project}/{log}").read_text()
            assert {p.name for p in (repo / f"models/{project}-litert").iterdir()} >= {
                "model_float32.tflite", "model_int8.tflite"}
            selection = json.loads((repo / f"reports/{project}/selection.json").read_text())
            assert selection["served"] == "network"


def test_every_stage_runs_on_the_images_of_the_folder(snakemake_repo):
    """`add` reads the folder into pixel columns at the size asked for; the CNN is scored,
    explained by occlusion, audited by ink as MNIST is, and its LiteRT files answer as it."""
    raw = yaml.safe_load((snakemake_repo / "params.yaml").read_text())["digits"]
    assert raw["data"]["source"] == "images" and raw["model"]["kind"] == "cnn"
    schema = json.loads((snakemake_repo / "models/digits/schema.json").read_text())
    assert schema["image_shape"] == [16, 16, 1] and schema["classes"] == list("0123456789")
    test = pd.read_parquet(snakemake_repo / "data/interim/digits/test.parquet")
    assert test.shape == (80, 16 * 16 + 1) and test["target"].nunique() == 10  # of 400 rows
    metrics = json.loads((snakemake_repo / "reports/digits/metrics.json").read_text())["test"]
    assert 0 < metrics["accuracy"] <= 1 and 0 < metrics["roc_auc_ovr"] <= 1
    export = json.loads((snakemake_repo / "reports/digits/export.json").read_text())
    assert export["float32"]["agreement"] == 1.0, export
    assert "ink" in set(pd.read_csv(snakemake_repo / "reports/digits/audit.csv")["feature"])
    importance = pd.read_csv(snakemake_repo / "reports/digits/explain/importance.csv")
    assert "occlusion" in set(importance["method"])


def test_every_stage_runs_on_the_words_of_the_tweets(snakemake_repo):
    """The tweets' words become word ids for the Transformer and TF-IDF columns for the linear
    family on the same folds; both are scored on macro-F1; the words that drive a prediction
    are explained, and the audit slices by text length."""
    test = pd.read_parquet(snakemake_repo / "data/interim/sentiment/test.parquet")
    assert len(test) == 80  # the tiny params' 400 rows, a fifth of them the test part
    fit = json.loads((snakemake_repo / "reports/sentiment/fit.json").read_text())
    assert fit["model"]["kind"] == "transformer"
    selection = json.loads((snakemake_repo / "reports/sentiment/selection.json").read_text())
    assert set(selection["families"]) == {"linear", "network"}
    for family in selection["families"].values():
        assert 0 < family["test"]["f1_macro"] <= 1
    importance = pd.read_csv(snakemake_repo / "reports/sentiment/explain/importance.csv")
    words = importance[importance["method"] == "word"]
    assert len(words) and words["feature"].str.startswith("text:").all()
    audit = pd.read_csv(snakemake_repo / "reports/sentiment/audit.csv")
    assert "text (words)" in set(audit["feature"])


def test_the_readme_images_step_runs_as_written(snakemake_repo):
    """The tour's block after `add --images`: the project's run has nothing left to do, and
    `predict` reads a folder of image files (one class's subfolder) as training read them."""
    run_it, predict_it = tour_blocks()[IMAGES + 1].splitlines()
    assert "Nothing to be done" in sh("bash", "-ec", run_it, cwd=snakemake_repo)
    sh("bash", "-ec", predict_it, cwd=snakemake_repo)
    predicted = pd.read_csv(snakemake_repo / "digits.csv", dtype={"label": str})
    files = sorted((snakemake_repo / "data/external/digits/3").iterdir())
    assert len(predicted) == len(files) and set(predicted["label"]) <= set("0123456789")
    assert predicted.filter(like="proba_").sum(axis=1).round(5).eq(1).all()


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(snakemake_repo,
                                                                        tmp_path):
    clients_answer_as_predict(snakemake_repo, PROJECTS, tmp_path)
