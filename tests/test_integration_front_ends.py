"""A user's table through Snakemake AND `dvc repro` on tiny params, in temporary git repos, a core
each: shop reviews (tests/reviews.py) whose rating, a number, comes from free text, the date of
the sale and a price, added with `dlpipe add` as a user adds a CSV file (a regression project
with a text and a date column). Checks: both front ends produce identical results and a second
run has nothing to do; its network trains on JAX (model.backend); every stage runs on the values of the rating, the words of the text and
the calendar of the date; the standard clients answer what `predict` gives over a socket. The
README tour's projects run in test_integration_tour.py, the MNIST study in test_integration.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from frontends import clients_answer_as_predict, results, served_test, sh
from frontends import dvc_repo, runs, snakemake_repo  # noqa: F401  (fixtures: this file's run)

pytestmark = pytest.mark.slow
REVIEWS = """python -c "import sys; sys.path.insert(0, 'tests'); import reviews; \\
reviews.rows(values=True).to_csv('data/external/reviews.csv', index=False)"
python -m dlpipe add reviews --file data/external/reviews.csv --target rating
dvc add data/external/reviews.csv
python -c "import yaml; raw = yaml.safe_load(open('params.yaml')); \
raw['reviews'].setdefault('model', {})['backend'] = 'jax'; \
open('params.yaml', 'w').write(yaml.safe_dump(raw, sort_keys=False))"
"""
PROJECTS = ("reviews",)
MADE_BY = (REVIEWS,)


def test_dvc_warns_of_no_empty_output(dvc_repo):
    """A task the project leaves out still writes a note in its figures directory."""
    output = (dvc_repo.parent / f"{dvc_repo.name}.out").read_text()
    assert "Running stage 'binary@reviews'" in output
    assert "is empty" not in output, output


def test_both_front_ends_give_identical_results_and_have_nothing_left_to_do(runs):
    smk, dvc = runs
    assert results(smk, PROJECTS) == results(dvc, PROJECTS)
    assert "Nothing to be done" in sh("snakemake", "-n", "--cores", "2", cwd=smk)
    assert "Data and pipelines are up to date" in sh("dvc", "repro", cwd=dvc)


def test_the_network_trains_on_the_backend_params_name_and_tensorflow_serves_it(runs):
    """The user's project trains on JAX (its tuning and its final fit); evaluation, export and
    serving load the saved network with TensorFlow, and both front ends agree to the bit (the
    test above)."""
    for repo in runs:
        fit = json.loads((repo / "reports/reviews/fit.json").read_text())
        assert fit["model"]["backend"] == "jax"
        assert "Keras backend jax" in (repo / "logs/reviews/train.log").read_text()
        assert "Keras backend jax" in (repo / "logs/reviews/tune_worker-0.log").read_text()
        assert {p.name for p in (repo / "models/reviews-litert").iterdir()} >= {
            "model_float32.tflite", "model_int8.tflite"}


def test_text_and_date_columns_run_every_stage_of_a_numeric_target(snakemake_repo):
    """`add` finds the text, the date and the numeric target; the words become TF-IDF columns
    and the date calendar columns fitted on the training rows; the test part is the latest
    sales; the report scores values, explains the text word by word and audits by its length
    and by the date; every family is scored."""
    raw = yaml.safe_load((snakemake_repo / "params.yaml").read_text())["reviews"]
    assert raw["task"] == "regression"
    assert (raw["features"]["text"], raw["features"]["datetime"]) == (["review"], ["sold"])
    names = pd.read_parquet(snakemake_repo / "data/processed/reviews/train.parquet").columns
    assert "review:great" in names and "sold:month" in names and "price" in names
    train, test = (pd.read_parquet(snakemake_repo / f"data/interim/reviews/{part}.parquet")
                   for part in ("train", "test"))
    assert train["sold"].max() <= test["sold"].min()
    metrics = json.loads((snakemake_repo / "reports/reviews/metrics.json").read_text())["test"]
    assert set(metrics) >= {"rmse", "mae", "r2"} and "accuracy" not in metrics
    per_group = pd.read_csv(snakemake_repo / "reports/reviews/per_class.csv")
    assert per_group["rows"].sum() == len(test)
    baseline = json.loads((snakemake_repo / "reports/reviews/baseline.json").read_text())
    assert 0.5 < baseline["test"]["r2"] <= 1  # the words carry the rating: a ridge finds them
    export = json.loads((snakemake_repo / "reports/reviews/export.json").read_text())
    assert abs(export["float32"]["r2"] - export["int8"]["r2"]) < 0.05, export
    importance = pd.read_csv(snakemake_repo / "reports/reviews/explain/importance.csv")
    assert set(importance["method"]) >= {"permutation", "word"}
    assert importance.loc[importance["method"] == "word", "feature"].str.startswith(
        "review:").all()
    audit = pd.read_csv(snakemake_repo / "reports/reviews/audit.csv")
    assert {"review (words)", "sold"} <= set(audit["feature"])
    assert audit["score"][0] == pytest.approx(served_test(snakemake_repo, "reviews")["rmse"],
                                              rel=1e-4)
    selection = json.loads((snakemake_repo / "reports/reviews/selection.json").read_text())
    assert set(selection["families"]) == {"linear", "gbdt", "network"}
    summary = pd.read_csv(snakemake_repo / "reports/summary.csv")
    assert {"keras_mlp", "ridge_regression", "hist_gradient_boosting"} <= set(
        summary.loc[summary["project"] == "reviews", "model"])


def test_the_standard_clients_get_what_predict_gives_on_every_test_part(snakemake_repo,
                                                                        tmp_path):
    clients_answer_as_predict(snakemake_repo, PROJECTS, tmp_path)
