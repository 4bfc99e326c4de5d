"""``dlpipe predict --log`` then ``dlpipe feedback``: the rows and answers logged as one
request, its labels taken from a CSV file, and every bad file or line refused in one line with
nothing kept."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from dlpipe.cli import main
from dlpipe.monitoring import log_files
from dlpipe.monitoring.prediction_log import FEEDBACK, PREDICTIONS
from pets import PROJECT
from support import repo_params

LOG = "data/served/" + PROJECT


@pytest.fixture
def logged(trained, tmp_path, monkeypatch, rows, capsys):
    """The working directory after ``predict --log`` of six rows: the request id."""
    (tmp_path / "models").symlink_to(trained.root / "models")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(repo_params(), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    rows.head(6).to_csv("rows.csv", index=False)
    assert main(["predict", PROJECT, "--input", "rows.csv", "--output", "out.csv",
                 "--log"]) == 0
    said = capsys.readouterr().out
    return said.split("logged as request ")[1].split()[0]


def test_predict_logs_its_rows_as_one_request(logged):
    records = list(log_files.read(LOG, PREDICTIONS))
    out = pd.read_csv("out.csv")
    assert {r["id"] for r in records} == {logged} and [r["row"] for r in records] == list(
        range(6))
    assert [r["label"] for r in records] == out["label"].tolist()
    assert {r["source"] for r in records} == {"predict"}


def test_feedback_from_a_csv_file_is_recorded_once(logged, capsys):
    labels = pd.read_csv("out.csv")["label"]
    pd.DataFrame({"id": logged, "row": range(6), "label": labels}).to_csv("labels.csv",
                                                                         index=False)
    assert main(["feedback", PROJECT, "--input", "labels.csv"]) == 0
    assert "recorded 6 label(s)" in capsys.readouterr().out
    assert [r["row"] for r in log_files.read(LOG, FEEDBACK)] == list(range(6))
    assert main(["feedback", PROJECT, "--input", "labels.csv"]) == 2
    assert "feedback[0]: request" in capsys.readouterr().err
    assert len(list(log_files.read(LOG, FEEDBACK))) == 6


@pytest.mark.parametrize("table, words", [
    ({"id": ["nope"], "label": ["cat"]}, "no logged request 'nope'"),
    ({"id": ["ID"], "row": ["two"], "label": ["cat"]}, "feedback[0].row: expected a row number"),
    ({"id": ["ID"], "label": ["koala"]}, "feedback[0].label: expected one of"),
    ({"id": ["ID"], "label": ["cat"], "value": [1]}, "expected columns id, row (optional)"),
    ({"request": ["ID"], "label": ["cat"]}, "expected columns id, row (optional)"),
])
def test_a_bad_file_is_refused_in_one_line_and_nothing_kept(logged, capsys, table, words):
    table = {k: [logged if v == "ID" else v for v in values] for k, values in table.items()}
    pd.DataFrame(table).to_csv("labels.csv", index=False)
    assert main(["feedback", PROJECT, "--input", "labels.csv"]) == 2
    assert words in capsys.readouterr().err
    assert list(log_files.read(LOG, FEEDBACK)) == []


def test_feedback_for_a_project_with_no_log_names_what_writes_one(logged, capsys):
    pd.DataFrame({"id": [logged], "label": ["cat"]}).to_csv("labels.csv", index=False)
    assert main(["feedback", "iris", "--input", "labels.csv"]) == 2
    assert "no prediction log for project 'iris'" in capsys.readouterr().err
