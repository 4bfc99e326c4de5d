"""``dlpipe experiments``: the table it makes of ``dvc exp show --json``, and the command
against a real DVC repository with a saved experiment."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from dlpipe.cli import experiments
from dlpipe.cli.experiments import Row, aligned, flat, rows_of, table
from support import ROOT

PARAMS_FILE = ROOT / "params.yaml"  # the shipped params (the command validates them)


def _state(rev, name, seed, accuracy, timestamp="2026-12-04T05:00:00", extra=None):
    params = {"seed": seed, "projects": ["iris"], "iris": {"tune": {"n_trials": 12}}}
    params["iris"].update(extra or {})
    return {"rev": rev, "name": name, "error": None, "experiments": None, "data": {
        "rev": rev, "timestamp": timestamp,
        "params": {"params.yaml": {"data": params}},
        "metrics": {"reports/iris/metrics.json": {"data": {"test": {"accuracy": accuracy}}},
                    "reports/iris/cv.json": {"data": {"summary": {
                        "accuracy": {"mean": accuracy - 0.01, "std": 0.02}}}}}}}


EXP_SHOW = [
    {**_state("workspace", None, 42, 0.95, timestamp=None), "rev": "workspace"},
    {**_state("a" * 40, "main", 42, 0.95), "experiments": [
        {"name": "exp-one", "executor": None, "revs": [_state("b" * 40, "exp-one", 43, 0.9)]},
        {"name": None, "executor": None, "revs": [{"rev": "c" * 40, "name": None, "data": None,
                                                    "error": {"msg": "x"}}]}]},
]


def test_flat_keys_nested_mappings_by_dots_and_keeps_lists_whole():
    assert flat({"a": {"b": 1, "c": [1, 2]}, "d": None}) == {"a.b": 1, "a.c": [1, 2], "d": None}


def test_rows_are_baselines_then_their_experiments_and_unreadable_ones_are_left_out():
    rows = rows_of(EXP_SHOW)
    assert [r.name for r in rows] == ["workspace", "main", "  exp-one"]
    assert rows[0].created == "" and rows[1].created == "2026-12-04 05:00"
    assert rows[2].params["seed"] == 43


def test_the_table_keeps_each_projects_metric_and_only_the_keys_that_differ():
    header, cells, left_out = table(rows_of(EXP_SHOW), {"iris": "accuracy"}, 60)
    assert header == ["Experiment", "Created", "iris test accuracy", "iris cv accuracy", "seed"]
    assert cells[2] == ["  exp-one", "2026-12-04 05:00", "0.9000", "0.8900", "43"]
    assert left_out == 0


def test_a_key_only_some_rows_have_is_shown_with_a_dash_where_it_is_absent():
    rows = rows_of(EXP_SHOW) + [Row("new", "", {"seed": 42, "iris.decision.threshold": 0.3})]
    header, cells, _ = table(rows, {"iris": "accuracy"}, 60)
    at = header.index("iris.decision.threshold")
    assert [row[at] for row in cells] == ["-", "-", "-", "0.3000"]
    assert cells[3][2] == "-"  # no metrics file in that row


def test_the_table_is_capped_and_says_how_many_columns_it_left_out():
    rows = [Row(str(i), "", {f"k{j}": i * j for j in range(70)}) for i in range(2)]
    header, cells, left_out = table(rows, {}, 60)
    assert len(header) == 60 and all(len(row) == 60 for row in cells)
    assert left_out == 69 - 58  # k0 is the same in both rows


def test_a_project_no_row_has_metrics_for_gets_no_columns():
    header, _, _ = table(rows_of(EXP_SHOW), {"iris": "accuracy", "price": "f1_macro"}, 60)
    assert not any(name.startswith("price") for name in header)


def test_the_text_table_aligns_every_column():
    text = aligned(["a", "long name"], [["xyz", "1"], ["b", "22"]])
    lines = text.splitlines()
    assert lines[1] == "---  ---------"
    assert [line.index(line.split()[1]) for line in (lines[0], lines[2], lines[3])] == [5, 5, 5]


def test_a_failing_dvc_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no DVC repository here
    (tmp_path / "params.yaml").write_text(PARAMS_FILE.read_text())
    assert experiments.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dlpipe: error: dvc exp show failed:"), err


def test_the_command_reads_a_real_repository_with_a_saved_experiment(tmp_path):
    """git + DVC repository with one metrics file and params.yaml; an experiment saved with
    another seed; the CSV table has both rows and the changed key."""
    def run(*command):
        return subprocess.run(command, cwd=tmp_path, check=True, capture_output=True,
                              text=True, env={**os.environ, "GIT_AUTHOR_NAME": "t",
                                              "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME":
                                              "t", "GIT_COMMITTER_EMAIL": "t@t"}).stdout

    (tmp_path / "params.yaml").write_text(PARAMS_FILE.read_text())
    (tmp_path / "reports/iris").mkdir(parents=True)
    (tmp_path / "dvc.yaml").write_text("metrics:\n- reports/iris/metrics.json\n")
    (tmp_path / "reports/iris/metrics.json").write_text(json.dumps({"test": {"accuracy": 0.9}}))
    run("git", "init", "-q", "-b", "main")
    run(sys.executable, "-m", "dvc", "init", "-q")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "base")
    (tmp_path / "params.yaml").write_text(PARAMS_FILE.read_text().replace(
        "seed: 42 ", "seed: 43 ", 1))
    (tmp_path / "reports/iris/metrics.json").write_text(json.dumps({"test": {"accuracy": 0.8}}))
    run(sys.executable, "-m", "dvc", "exp", "save", "-n", "other-seed")
    out = run(sys.executable, "-m", "dlpipe", "experiments", "--csv")
    table_rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["Experiment"] for r in table_rows] == ["workspace", "main", "other-seed"]
    assert [r["seed"] for r in table_rows] == ["43", "42", "43"]
    assert [r["iris test accuracy"] for r in table_rows] == ["0.8000", "0.9000", "0.8000"]
