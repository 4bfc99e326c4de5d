"""Optuna tuning with k-fold CV: samplers and pruning from params, a resumable journal study
for the network, an in-memory one for the gradient-boosted trees (seconds per trial).

The study lives in an Optuna JournalStorage file (``data/tuning/<project>/journal.log``), one
study per distinct tuning configuration, so a study killed mid-way resumes where it stopped:
completed and pruned trials are kept, a trial that was running in a dead process is marked failed
and its parameters re-queued, and only the missing trials run. A process killed while it
writes to the journal leaves the journal's lock behind; the next one takes it over after
``LOCK_GRACE_SECONDS`` without a write.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import optuna
import pandas as pd
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock, JournalStorage
from optuna.trial import TrialState
from tqdm.auto import tqdm

from dlpipe.metrics import Decision, direction
from dlpipe.models import families, shared_study
from dlpipe.params.families import GbdtParams
from dlpipe.params.schema import TuneParams
from dlpipe.params.search_space import CategoricalSpace, FloatSpace, IntSpace

log = logging.getLogger(__name__)

# Optuna's default: a live writer holds the lock for milliseconds.
LOCK_GRACE_SECONDS = 30

Objective = Callable[[dict[str, Any], optuna.Trial], float]


def study_name(project: str, config: dict[str, Any]) -> str:
    """A name that changes whenever anything the trials depend on changes."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
    return f"{project}-{digest[:12]}"


def grid(tune: TuneParams) -> dict[str, list[Any]]:
    """The exhaustive grid over the declared values of every search dimension."""
    values: dict[str, list[Any]] = {}
    for name, space in tune.search_space.items():
        if isinstance(space, CategoricalSpace):
            values[name] = list(space.choices)
        elif isinstance(space, IntSpace):
            values[name] = list(range(space.low, space.high + 1, space.step))
        else:
            values[name] = list(space.grid)
    return values


def grid_size(tune: TuneParams) -> int:
    return math.prod(len(v) for v in grid(tune).values())


def suggest(trial: optuna.Trial, tune: TuneParams) -> dict[str, Any]:
    """Draw one configuration from the search space."""
    drawn: dict[str, Any] = {}
    for name, space in tune.search_space.items():
        if isinstance(space, CategoricalSpace):
            drawn[name] = trial.suggest_categorical(name, space.choices)
        elif isinstance(space, IntSpace):
            drawn[name] = trial.suggest_int(name, space.low, space.high, step=space.step,
                                            log=space.log)
        elif isinstance(space, FloatSpace) and tune.mode == "grid":
            drawn[name] = trial.suggest_categorical(name, space.grid)
        else:
            drawn[name] = trial.suggest_float(name, space.low, space.high, log=space.log)
    return drawn


class GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler, without its stop once the grid is covered: the study's budget
    (the grid's size, claimed under a lock by ``optimise``) ends the study, and a trial told
    outside ``Study.optimize`` may not stop it."""

    def after_trial(self, study, trial, state, values) -> None:
        pass


def make_sampler(tune: TuneParams, seed: int) -> optuna.samplers.BaseSampler:
    if tune.mode == "grid":
        return GridSampler(grid(tune), seed=seed)
    if tune.mode == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=tune.sampler_startup_trials)


def make_pruner(tune: TuneParams) -> optuna.pruners.BasePruner:
    if tune.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=tune.pruner_startup_trials,
                                           n_warmup_steps=tune.pruner_warmup_steps)
    return optuna.pruners.NopPruner()


def open_study(journal: Path, name: str, tune: TuneParams, seed: int) -> optuna.Study:
    journal.parent.mkdir(parents=True, exist_ok=True)
    # The lock is a symbolic link to the journal, and Optuna times a stale lock by the age of
    # what the link points to: a relative path would dangle from the link's directory, and a
    # lock left by a killed writer would then block every later worker for ever.
    path = str(journal.resolve())
    storage = JournalStorage(JournalFileBackend(
        path, lock_obj=JournalFileSymlinkLock(path, grace_period=LOCK_GRACE_SECONDS)))
    return optuna.create_study(study_name=name, storage=storage,
                               direction=direction(tune.metric),  # an error is minimised
                               sampler=make_sampler(tune, seed), pruner=make_pruner(tune),
                               load_if_exists=True)


def optimise(study: optuna.Study, journal: Path, tune: TuneParams, objective: Objective,
             n_trials: int, progress_bar: bool) -> None:
    """Run trials of ``study`` (kept in ``journal``) until ``n_trials`` are finished or running
    (counting earlier runs and other workers), or until ``tune.timeout`` seconds have passed."""
    done, taken = shared_study.finished(study), shared_study.claimed(study)
    if taken >= n_trials:
        log.info("study %s already has %d finished and %d running trials", study.study_name,
                 done, taken - done)
        return
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    deadline = time.monotonic() + tune.timeout if tune.timeout else math.inf
    with tqdm(total=n_trials, initial=done, unit="trial", disable=not progress_bar) as bar:
        while time.monotonic() < deadline:
            trial = shared_study.ask_within_budget(study, journal, n_trials)
            if trial is None:
                break
            frozen = run_trial(study, trial, tune, objective)
            bar.update(1)
            _report(study, frozen, n_trials)
            gc.collect()


def run_trial(study: optuna.Study, trial: optuna.Trial, tune: TuneParams,
              objective: Objective) -> optuna.trial.FrozenTrial:
    """Run one trial and record its end: complete, pruned, or failed (and re-raised)."""
    trial.set_user_attr("owner", shared_study.owner())
    try:
        value = objective(suggest(trial, tune), trial)
    except optuna.TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED)
    except BaseException:
        study.tell(trial, state=TrialState.FAIL)
        raise
    return study.tell(trial, value)


def _report(study: optuna.Study, trial: optuna.trial.FrozenTrial, n_trials: int) -> None:
    best = study.best_value if any(t.state == TrialState.COMPLETE for t in study.trials) \
        else float("nan")
    log.info("trial %d %s: value=%s epochs=%s params=%s | best=%.4f | %d/%d finished",
             trial.number, trial.state.name.lower(), _fmt(trial.value),
             trial.user_attrs.get("epochs"), trial.params, best, shared_study.finished(study),
             n_trials)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def trials_table(study: optuna.Study):
    """One row per trial: number, state, value, epochs, seconds and every parameter."""
    frame = study.trials_dataframe(attrs=("number", "state", "value", "duration", "params",
                                          "user_attrs"))
    frame = frame.drop(columns=[c for c in frame.columns if c == "user_attrs_owner"])
    if "duration" in frame:
        frame["seconds"] = frame.pop("duration").dt.total_seconds()
    frame.columns = [c.replace("params_", "").replace("user_attrs_", "") for c in frame.columns]
    return frame


def importances(study: optuna.Study) -> dict[str, float]:
    """fANOVA importances of the tuned parameters; empty when they cannot be estimated (fewer
    than two completed trials, or no parameter varied)."""
    if not study.best_trial.params:
        return {}
    try:
        return optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}


def tuned_trees(gbdt: GbdtParams, make: families.Estimator, folds: list[families.Fold],
                metric: str, metrics: list[str], decision: Decision, seed: int
                ) -> tuple[dict[str, Any], dict[str, list[float]], pd.DataFrame]:
    """An in-memory Optuna study of ``gbdt.search_space`` (its mode, trials and timeout as
    the network's) maximising (an error: minimising) the mean of ``metric`` over ``folds``:
    the best settings, their per-fold scores of every metric, and the trials table. The folds
    are transformed once, so a trial costs only its trees."""
    wanted = list(dict.fromkeys([metric, *metrics]))
    study = optuna.create_study(direction=direction(metric), sampler=make_sampler(gbdt, seed))

    def objective(trial: optuna.Trial) -> float:
        per_fold = families.cross_validated(make, suggest(trial, gbdt), folds, wanted, decision)
        trial.set_user_attr("per_fold", per_fold)
        return float(np.mean(per_fold[metric]))

    study.optimize(objective, n_trials=gbdt.n_trials, timeout=gbdt.timeout)
    best = study.best_trial
    table = pd.DataFrame([{"trial": t.number, metric: t.value, **t.params}
                          for t in study.trials if t.value is not None])
    return dict(best.params), best.user_attrs["per_fold"], table
