"""``dlpipe retrain`` on a small CSV project short of running its stages: the new data version
(rows appended to the CSV file, or a source written out with its class names), the params
section pointing at it with its checksum, every refusal in one line, and a failed run of the
stages leaving the working copy as it was."""

from __future__ import annotations

import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris

from dlpipe import datasets
from dlpipe.cli import main
from dlpipe.errors import DataError, ParamsError
from dlpipe.frames import TARGET
from dlpipe.io import frame_sha256
from dlpipe.monitoring.labelled import LabelledRow, labelled_rows
from dlpipe.params import load_params
from dlpipe.retraining import data_version, run, snapshot
from dlpipe.retraining.promotion import RECORDS
from pets import PROJECT, TARGET as PETS_TARGET

LOG = f"data/served/{PROJECT}"


def labelled(repo):
    assert main(["feedback", PROJECT, "--input", "labels.csv"]) == 0
    return labelled_rows(repo / LOG)[0]


def test_a_csv_source_gets_the_rows_appended_and_its_checksum_written(repo):
    rows = labelled(repo)[:20]
    project = load_params("params.yaml").project(PROJECT)
    old = (repo / "data/external/pets.csv").read_bytes()
    version = data_version.plan(PROJECT, project, rows, repo, "data/retrain",
                                (repo / "params.yaml").read_text())
    assert version.path == "data/external/pets.csv" and version.content.startswith(old)
    assert (version.rows_before, version.rows_added) == (90, 20)
    data_version.write(version, repo, repo / "params.yaml")
    new = load_params("params.yaml").project(PROJECT)
    assert new.data.sha256 == version.new_sha256 != version.old_sha256
    table = datasets.load(PROJECT, new.data, repo)  # the checksum holds
    added = pd.read_csv("data/external/pets.csv").tail(20)
    assert added["id"].isna().all()  # the model never saw the ID column: left empty
    assert added[PETS_TARGET].tolist() == [r.truth for r in rows]
    logged = [np.nan if r.input["size"] is None else r.input["size"] for r in rows]
    assert table["size"].tail(20).tolist() == pytest.approx(logged, nan_ok=True)


def test_a_package_s_table_is_written_out_once_with_its_class_names(repo):
    iris = load_iris(as_frame=True)
    names = np.array(iris.target_names)[iris.target]
    rows = [LabelledRow(names[k], "v", (f"r{k}", 0), iris.data.iloc[k].to_dict())
            for k in range(0, 150, 10)]
    project = load_params("params.yaml").project("iris")
    version = data_version.plan("iris", project, rows, repo, "data/retrain",
                                (repo / "params.yaml").read_text())
    data_version.write(version, repo, repo / "params.yaml")
    new = load_params("params.yaml").project("iris")
    assert new.data.source == "csv" and new.data.path == "data/retrain/iris.csv"
    assert new.class_names == {0: "setosa", 1: "versicolor", 2: "virginica"}
    table = datasets.load("iris", new.data, repo, class_names=new.class_names)
    assert len(table) == 165 and list(table[TARGET].cat.categories) == list(iris.target_names)
    assert table[TARGET].astype(str).tail(15).tolist() == list(names[::10])
    first = table.head(150).drop(columns=[TARGET])
    assert frame_sha256(first) == frame_sha256(iris.data)


@pytest.mark.parametrize("edit, words", [
    (lambda raw: raw["serve"]["monitor"].update(log_dir=None), "log_dir is null"),
    (lambda raw: raw["retrain"].update(min_rows=500), "fewer than retrain.min_rows (500)"),
])
def test_retrain_refuses_in_one_line(repo, capsys, edit, words):
    labelled(repo)
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    edit(raw)
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert main(["retrain", PROJECT]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_retrain_without_labels_is_refused(repo, capsys):
    assert main(["retrain", PROJECT]) == 2
    assert "no feedback labels yet" in capsys.readouterr().err


def test_a_failed_run_of_the_stages_leaves_the_working_copy_as_it_was(repo, capsys, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", "/dev/null")  # no SLURM probe when Snakemake starts
    labelled(repo)
    before = {p: (repo / p).read_bytes() for p in ("params.yaml", "data/external/pets.csv")}
    assert main(["retrain", PROJECT]) == 2  # no Snakefile here: the run fails
    err = capsys.readouterr().err
    # the stages run under the job server, as `make run` runs them
    assert "preload --params params.yaml -- snakemake --workflow-profile" in err
    assert "dlpipe preload: job server" in err and "failed (exit" in err
    assert {p: (repo / p).read_bytes() for p in before} == before
    assert not snapshot.place(repo, PROJECT).exists()
    assert not (repo / LOG / RECORDS).exists()


def test_rows_logged_as_pixels_are_refused():
    rows = [LabelledRow("3", "v", ("r0", 0), [0.0, 0.5, 1.0])]
    with pytest.raises(DataError, match="logged row .* pixels.*table projects"):
        data_version.check_rows(rows, "digits")


@pytest.mark.parametrize("script, signal_ended", [
    ("import time; time.sleep(60)", -signal.SIGTERM),
    ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); "
     "time.sleep(60)", -signal.SIGKILL),
])
def test_a_stopped_run_gets_sigterm_then_sigkill(monkeypatch, script, signal_ended):
    """SIGTERM lets `dlpipe preload` stop its front end and job server; one that ignores it
    is killed after the grace."""
    monkeypatch.setattr(run, "STOP_SECONDS", 0.5)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    if "SIG_IGN" in script:
        process.stdout.readline()  # its handler is set
    run._stop(process)
    assert process.returncode == signal_ended


def test_the_stages_run_forked_with_the_params_file_given():
    forked = [sys.executable, "-m", "dlpipe", "preload", "--params", "other.yaml", "--"]
    made = run.command("snakemake", "iris", 2, "other.yaml")
    assert made[:7] == forked and made[7].endswith("snakemake")
    assert made[8:] == ["--workflow-profile", "profiles/default", "--cores", "2",
                        "--configfile", "other.yaml", "project_iris"]
    made = run.command("dvc", "iris", 2, "params.yaml")
    assert made[5] == "params.yaml" and made[8:] == ["repro", "--glob", "*@iris"]
    with pytest.raises(ParamsError, match="dvc reads params.yaml only"):
        run.command("dvc", "iris", 2, "other.yaml")
