"""A tuning study killed mid-way (SIGKILL of its worker process) resumes to the same count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from dlpipe.models import shared_study
from support import wait_for

JOURNAL = "data/tuning/iris/journal.log"


@pytest.mark.slow
def test_study_killed_mid_way_resumes_to_the_same_count(tmp_path, tiny_raw):
    """SIGKILL `dlpipe tune iris` after two finished trials; the restart completes the study."""
    tiny_raw["projects"] = ["iris"]
    tiny_raw["iris"]["tune"].update(n_trials=5, mode="random", pruner="none")
    tiny_raw["iris"]["model"].update(epochs=15, patience=15)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_raw))
    command = [sys.executable, "-m", "dlpipe"]
    for stage in ("fetch", "split"):
        subprocess.run([*command, stage, "iris"], cwd=tmp_path, check=True, capture_output=True)

    def study() -> optuna.Study:
        storage = optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / JOURNAL)))
        return optuna.load_study(study_name=storage.get_all_studies()[0].study_name,
                                 storage=storage)

    victim = subprocess.Popen([*command, "tune_worker", "iris", "--worker", "0"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (tmp_path / JOURNAL).exists() and shared_study.finished(study()) >= 2,
                 240, every=0.5)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    killed = study()
    assert 2 <= shared_study.finished(killed) < 5
    interrupted = killed.get_trials(states=(TrialState.RUNNING,))
    assert len(interrupted) <= 1

    for stage in (["tune_worker", "iris", "--worker", "0"], ["tune", "iris"]):
        subprocess.run([*command, *stage], cwd=tmp_path, check=True, capture_output=True)
    resumed = study()
    assert shared_study.finished(resumed) == 5
    assert not resumed.get_trials(states=(TrialState.RUNNING,))
    if interrupted:  # the trial that died mid-way was failed and its parameters run again
        assert [t.state for t in resumed.trials if t.number == interrupted[0].number] == [
            TrialState.FAIL]
        assert any(t.params == interrupted[0].params and t.state == TrialState.COMPLETE
                   for t in resumed.trials)
    assert (tmp_path / "data/tuning/iris/best_params.json").exists()
