"""Optuna tuning: grid mode covers the grid, pruning stops trials, workers share a budget (a
killed study resuming is tests/dag/test_tuning_resume.py)."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dlpipe.models import shared_study, tuning
from dlpipe.params import TuneParams


def every_grid_point(tune: TuneParams) -> list[dict]:
    values = tuning.grid(tune)
    return [dict(zip(values, combo)) for combo in itertools.product(*values.values())]


def tune_params(**kw) -> TuneParams:
    base = dict(mode="grid", sampler_startup_trials=0, n_trials=1, timeout=None, pruner="none",
                pruner_startup_trials=0,
                pruner_warmup_steps=0, max_rows=None, metric="accuracy", workers=1,
                search_space={
                    "units": {"type": "int", "low": 8, "high": 24, "step": 8, "log": False},
                    "learning_rate": {"type": "float", "low": 0.001, "high": 0.1, "log": True,
                                      "grid": [0.001, 0.01]},
                    "activation": {"type": "categorical", "choices": ["relu", "tanh"]}})
    return TuneParams(**{**base, **kw})


def test_grid_mode_runs_the_whole_grid(tmp_path):
    tune = tune_params()
    assert tuning.grid_size(tune) == 3 * 2 * 2 == len(every_grid_point(tune))
    study = tuning.open_study(tmp_path / "j.log", "grid", tune, seed=0)
    tuning.optimise(study, tmp_path / "j.log", tune, lambda drawn, trial: drawn["units"] / 100,
                    tuning.grid_size(tune), progress_bar=False)
    seen = sorted(tuple(sorted(t.params.items())) for t in study.trials)
    expected = sorted(tuple(sorted(p.items())) for p in every_grid_point(tune))
    assert seen == expected
    assert study.best_params["units"] == 24


def test_an_error_metric_is_minimised(tmp_path):
    tune = tune_params().model_copy(update={"metric": "rmse"})
    study = tuning.open_study(tmp_path / "j.log", "rmse", tune, seed=0)
    tuning.optimise(study, tmp_path / "j.log", tune, lambda drawn, trial: drawn["units"] / 100,
                    tuning.grid_size(tune), progress_bar=False)
    assert study.best_params["units"] == 8


def test_median_pruner_prunes_bad_trials(tmp_path):
    tune = tune_params(mode="tpe", pruner="median", pruner_startup_trials=2)
    study = tuning.open_study(tmp_path / "j.log", "prune", tune, seed=0)

    def objective(drawn, trial):
        value = 1.0 if trial.number < 2 else 0.1  # later trials are worse at every step
        for step in range(3):
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    tuning.optimise(study, tmp_path / "j.log", tune, objective, 5, progress_bar=False)
    states = [t.state for t in study.trials]
    assert states[:2] == [TrialState.COMPLETE] * 2
    assert states[2:] == [TrialState.PRUNED] * 3


def test_finished_trials_are_not_run_again(tmp_path):
    tune = tune_params(mode="random")
    calls = []
    for _ in range(2):
        study = tuning.open_study(tmp_path / "j.log", "again", tune, seed=0)
        tuning.optimise(study, tmp_path / "j.log", tune, lambda d, t: calls.append(1) or 0.5, 3, progress_bar=False)
    assert len(calls) == 3 and shared_study.finished(study) == 3


@pytest.mark.timeout(60)
def test_a_lock_left_by_a_killed_writer_is_taken_over(tmp_path, monkeypatch):
    """A worker killed while it writes to the journal (the runner passes a relative path)
    leaves the lock behind: the next worker takes it over after the grace period, and its
    trials run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tuning, "LOCK_GRACE_SECONDS", 3)
    tune = tune_params(mode="random")
    killed = tuning.open_study(Path("data/tuning/j.log"), "stale", tune, seed=0)
    assert killed._storage._backend._lock.acquire()  # and never released: the writer died
    lock = Path("data/tuning/j.log.lock")
    assert lock.is_symlink() and lock.exists(), "the lock's link must point at the journal"
    started = time.monotonic()
    study = tuning.open_study(Path("data/tuning/j.log"), "stale", tune, seed=0)
    tuning.optimise(study, Path("data/tuning/j.log"), tune, lambda drawn, trial: 0.5, 2,
                    progress_bar=False)
    assert shared_study.finished(study) == 2
    assert 3 <= time.monotonic() - started < 30


def test_two_workers_run_exactly_the_budget(tmp_path):
    """A worker stops when the budget is finished or running elsewhere (no surplus trial)."""
    tune = tune_params(mode="random")

    def worker(seconds: float, seed: int) -> None:
        study = tuning.open_study(tmp_path / "j.log", "shared", tune, seed=seed)
        tuning.optimise(study, tmp_path / "j.log", tune, lambda d, t: time.sleep(seconds) or 0.5, 5,
                        progress_bar=False)

    # fast finishes at 0.2, 0.4, 0.6, 0.8 s, slow at 0.7 s: at 0.7 s four trials are finished
    # and one is running, so the slow worker must not start a sixth.
    threads = [threading.Thread(target=worker, args=(0.2, 0)),
               threading.Thread(target=worker, args=(0.7, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    study = tuning.open_study(tmp_path / "j.log", "shared", tune, seed=0)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 5


def test_workers_finishing_together_never_overshoot(tmp_path):
    """Four workers whose trials take no time finish trials at the same moments again and
    again: counting the claimed trials and asking for one is a single step, so none starts a
    trial beyond the budget."""
    tune = tune_params(mode="random")
    budget = 9
    start = threading.Barrier(4)

    def worker(seed: int) -> None:
        study = tuning.open_study(tmp_path / "j.log", "race", tune, seed=seed)
        start.wait()
        tuning.optimise(study, tmp_path / "j.log", tune, lambda d, t: 0.5, budget,
                        progress_bar=False)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    study = tuning.open_study(tmp_path / "j.log", "race", tune, seed=0)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * budget
