"""The drift check of a served bundle: its reference read back (or a one-line error naming the
remedy), ``python -m dlpipe drift`` (exit 0 no drift, 1 drift, 2 bad input with nothing
written) and the server's ``/v2/models/<p>/drift`` fed by the rows it answers."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from dlpipe.cli import main
from dlpipe.errors import DataError
from dlpipe.params import DriftParams
from dlpipe.pipeline import catalog
from dlpipe import io
from dlpipe.bundle.inference import load_bundle
from dlpipe.insight.drift import OUTPUTS, ROWS, SUMMARY, build_reference, load_reference
from dlpipe.row_columns import RowColumns, table
from dlpipe.serving.server import create_app
from dlpipe.serving.watch import Watch, Window, watches
from pets import PROJECT, raw_rows
from support import ROOT, repo_params, serve_limits, v2_inputs

PARAMS = DriftParams.model_validate(repo_params()["defaults"]["drift"])  # min_rows 30
LIMITS = serve_limits(max_body_bytes=200_000, max_rows=50, body_timeout_seconds=5)


def fresh(n: int, seed: int) -> pd.DataFrame:
    """New rows like the training rows (no missing value where training had none)."""
    return raw_rows(n, seed=seed).assign(legs=lambda f: f["legs"].astype(np.int64))


@pytest.fixture(scope="module")
def root(trained, tmp_path_factory):
    """The pets bundle and its reference, as the train and reference stages write them."""
    where = tmp_path_factory.mktemp("drift")
    shutil.copytree(trained.root / "models" / PROJECT, where / "models" / PROJECT)
    files = build_reference(load_bundle(PROJECT, where), trained.train, trained.test, 0, PARAMS)
    catalog.write(where / "models" / f"{PROJECT}-reference", files, manifest=True)
    return where


@pytest.fixture(scope="module")
def bundle(root):
    return load_bundle(PROJECT, root)


def test_the_reference_reads_back_as_written(root, bundle, trained):
    files = load_reference(PROJECT, root)
    assert set(files) == {ROWS, OUTPUTS, SUMMARY}
    assert list(files[ROWS].columns) == bundle.schema.names
    assert len(files[ROWS]) == len(trained.train) and len(files[OUTPUTS]) == len(trained.test)
    assert files[SUMMARY]["project"] == PROJECT


def test_a_missing_reference_names_the_file_and_the_remedy(root, tmp_path):
    with pytest.raises(DataError, match=r"no drift reference for project 'koala'.*"
                                        r"python -m dlpipe reference koala"):
        load_reference("koala", root)
    shutil.copytree(root / "models" / f"{PROJECT}-reference", tmp_path / "models" / "x")
    (tmp_path / "models" / "x" / OUTPUTS).unlink()
    shutil.move(tmp_path / "models" / "x", tmp_path / "models" / f"{PROJECT}-reference")
    with pytest.raises(DataError, match=r"outputs.parquet: listed in .manifest.json but missing: "
                                        r"re-run its reference stage"):
        load_reference(PROJECT, tmp_path)
    io.write_manifest(tmp_path / "models" / f"{PROJECT}-reference")  # one that agrees
    with pytest.raises(DataError, match=r"outputs.parquet: missing from the drift reference"):
        load_reference(PROJECT, tmp_path)


# --- the command ----------------------------------------------------------------------------------
def run(root, frame: pd.DataFrame, *extra: str) -> int:
    frame.to_csv(root / "rows.csv", index=False)
    return main(["drift", PROJECT, "--input", str(root / "rows.csv"), "--root", str(root),
                 "--params", str(ROOT / "params.yaml"), "--output", str(root / "drift.json"),
                 "--table", str(root / "drift.csv"), *extra])


@pytest.fixture
def clean(root):
    for name in ("drift.json", "drift.csv"):
        (root / name).unlink(missing_ok=True)
    return root


def test_iid_rows_exit_0_and_the_report_is_written(clean, capsys):
    assert run(clean, fresh(300, seed=11)) == 0
    out = capsys.readouterr().out
    assert "pets: no drift (300 rows" in out
    report = json.loads((clean / "drift.json").read_text())
    assert report["drift"] is False and report["rows"] == 300 and report["alpha"] == 0.05
    assert report["threshold"] == pytest.approx(0.05 / report["tests"])
    rows = pd.read_csv(clean / "drift.csv")
    assert list(rows.columns) == ["column", "test", "statistic", "p_value", "effect", "drifted"]
    assert len(rows) == report["tests"] and rows["p_value"].is_monotonic_increasing
    assert {"size", "legs", "colour", "coat", "(confidence)", "(predicted class)"} <= set(
        rows["column"])


def test_shifted_rows_exit_1_naming_the_column(clean, capsys):
    shifted = fresh(300, seed=12)
    shifted["size"] += 3.0  # about one standard deviation of size in training
    assert run(clean, shifted) == 1
    assert "DRIFT in size" in capsys.readouterr().out
    assert "size" in json.loads((clean / "drift.json").read_text())["drifted"]


def test_a_bad_column_exits_2_and_writes_nothing(clean, capsys):
    assert run(clean, fresh(300, seed=13).rename(columns={"size": "sise"})) == 2
    err = capsys.readouterr().err
    assert "column 'size': missing" in err and "column 'sise': unknown column" in err
    assert "nothing written" in err
    assert not (clean / "drift.json").exists() and not (clean / "drift.csv").exists()


def test_too_few_rows_exit_2_naming_both_counts(clean, capsys):
    assert run(clean, fresh(12, seed=14)) == 2
    assert "12 rows, the check needs at least 30 (drift.min_rows)" in capsys.readouterr().err
    assert not (clean / "drift.json").exists()


def test_a_missing_reference_exits_2_with_the_remedy(root, tmp_path, capsys):
    shutil.copytree(root / "models" / PROJECT, tmp_path / "models" / PROJECT)
    assert run(tmp_path, fresh(50, seed=15)) == 2
    err = capsys.readouterr().err
    assert "no drift reference" in err and f"python -m dlpipe reference {PROJECT}" in err
    assert not (tmp_path / "drift.json").exists()


# --- the server -----------------------------------------------------------------------------------
def test_the_window_keeps_the_latest_rows_only():
    window = Window(5)
    for start in (0, 3, 6):
        window.add(pd.DataFrame({"x": range(start, start + 3)}))
    assert len(window) == 5 and window.frame()["x"].tolist() == [4, 5, 6, 7, 8]
    window.add(pd.DataFrame({"x": range(100, 120)}))
    assert window.frame()["x"].tolist() == [115, 116, 117, 118, 119]


def test_a_window_of_row_columns_is_the_window_of_their_tables():
    parts = [{"x": np.arange(k, k + 3, dtype=float), "c": np.array(["a", None, "b"], dtype=object)}
             if k % 2 else {"x": np.arange(k, k + 3, dtype=float), "c": np.arange(k, k + 3)}
             for k in range(6)]
    of_columns, of_tables = Window(7), Window(7)
    for part in parts:
        of_columns.add(RowColumns(part))
        of_tables.add(table(part))
        assert len(of_columns) == len(of_tables)
        pd.testing.assert_frame_equal(of_columns.frame(), of_tables.frame())


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: None if pd.isna(v) else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


@pytest.fixture
def client(root, bundle):
    small = PARAMS.model_copy(update={"window_rows": 40})
    return TestClient(create_app({PROJECT: bundle}, LIMITS,
                                 watches({PROJECT: bundle}, {PROJECT: small}, root)),
                      raise_server_exceptions=False)


def test_the_endpoint_needs_min_rows_then_reports_the_window(client):
    answer = client.get(f"/v2/models/{PROJECT}/drift")
    assert answer.status_code == 200
    body = answer.json()
    assert body["drift"] is None and body["rows"] == 0 and body["min_rows"] == 30
    assert "0 rows, the check needs at least 30" in body["reason"]
    def served(seed: int) -> int:
        return client.post(f"/v1/models/{PROJECT}:predict",
                           json={"instances": records(fresh(15, seed))}).status_code

    assert served(20) == 200 and served(21) == 200
    bad = records(fresh(1, 22))
    bad[0]["colour"] = "purple"  # a category training never saw
    assert client.post(f"/v1/models/{PROJECT}:predict", json={"instances": bad}).status_code \
        == 422
    assert client.get(f"/v2/models/{PROJECT}/drift").json()["rows"] == 30  # not the refused
    assert served(23) == 200
    body = client.get(f"/v2/models/{PROJECT}/drift").json()
    assert body["rows"] == 40 and body["window_rows"] == 40  # the latest 40 of 45
    assert isinstance(body["drift"], bool) and body["tests"] == len(body["results"])
    assert body["threshold"] == pytest.approx(0.05 / body["tests"])


def test_v2_infer_feeds_the_window_and_shifted_rows_are_found(client, bundle):
    shifted = fresh(40, seed=30)
    shifted["size"] += 6.0
    answer = client.post(f"/v2/models/{PROJECT}/infer",
                         json={"inputs": v2_inputs(bundle, shifted)})
    assert answer.status_code == 200
    body = client.get(f"/v2/models/{PROJECT}/drift").json()
    assert body["rows"] == 40 and body["drift"] is True and "size" in body["drifted"]


def test_an_unknown_project_is_404(client):
    answer = client.get("/v2/models/koala/drift")
    assert answer.status_code == 404 and "unknown model 'koala'" in answer.json()["error"]


def test_a_missing_reference_is_503_and_prediction_still_works(bundle, tmp_path):
    checks = watches({PROJECT: bundle}, {PROJECT: PARAMS}, tmp_path)
    assert checks[PROJECT].reference is None
    client = TestClient(create_app({PROJECT: bundle}, LIMITS, checks))
    answer = client.get(f"/v2/models/{PROJECT}/drift")
    assert answer.status_code == 503
    assert f"python -m dlpipe reference {PROJECT}" in answer.json()["error"]
    assert client.post(f"/v1/models/{PROJECT}:predict",
                       json={"instances": records(fresh(3, 40))}).status_code == 200
    assert len(checks[PROJECT].window) == 0


def test_watch_reports_like_the_command(root, bundle):
    from dlpipe.insight.drift import drift_report

    watch = Watch(bundle, load_reference(PROJECT, root), PARAMS)
    rows = fresh(60, seed=50)
    watch.add(rows)
    expected = drift_report(bundle, load_reference(PROJECT, root), rows[bundle.schema.names],
                            PARAMS)
    assert watch.report() == {**expected, "window_rows": PARAMS.window_rows}
