"""tune: an Optuna study over the project's search space, scored by k-fold CV on the training part.

``run_trials`` (one job per ``tune.workers``) runs trials of the shared study in the project's
journal; ``collect`` writes ``best_params.json`` (the tuned model spec the train stage fits), the
trials table and two figures (optimisation history, parameter importances).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from dlpipe import plots
from dlpipe.errors import DlpipeError
from dlpipe.features import subsample
from dlpipe.frames import cv_xy
from dlpipe.models import shared_study, tuning
from dlpipe.params import CVParams, FeatureParams, KerasModel, TuneParams

log = logging.getLogger(__name__)


def with_overrides(model: KerasModel, drawn: dict[str, Any]) -> KerasModel:
    """The model spec with tuned values in place (validated like params.yaml)."""
    return KerasModel.model_validate({**model.model_dump(), **drawn})


def make_objective(model: KerasModel, features: FeatureParams, cv: CVParams, metric: str,
                   X: pd.DataFrame, y: np.ndarray, seed: int) -> tuning.Objective:
    """A trial's score: the mean of ``metric`` over k folds, reported after each fold so the
    pruner can stop a poor trial early."""
    from dlpipe.models.training import cross_validate

    def objective(drawn: dict[str, Any], trial: optuna.Trial) -> float:
        spec = with_overrides(model, drawn)

        def on_fold(results) -> None:
            trial.set_user_attr("epochs", sum(r.epochs for r in results))
            trial.report(float(np.mean([r.scores[metric] for r in results])), len(results) - 1)
            if trial.should_prune():
                raise optuna.TrialPruned()

        results = cross_validate(spec, features, X, y, cv.folds, cv.method, seed, [metric],
                                 on_fold)
        return float(np.mean([r.scores[metric] for r in results]))

    return objective


def study_config(seed: int, n_rows: int, features: FeatureParams, cv: CVParams,
                 model: KerasModel, tune: TuneParams, code_digest: str) -> dict[str, Any]:
    """Everything trial results depend on, and nothing else: changing a train-only or
    evaluate-only setting (cv.metrics, cv.max_rows, model.verbose, timeout, workers) keeps the
    study and its finished trials; editing the code that scores a trial starts a new one."""
    return {"seed": seed, "rows": n_rows, "features": features.model_dump(), "folds": cv.folds,
            "cv_method": cv.method, "model": model.model_dump(exclude={"verbose"}),
            "tune": tune.model_dump(exclude={"timeout", "workers", "n_trials"}),
            "code": code_digest}


def budget(tune: TuneParams) -> int:
    return tuning.grid_size(tune) if tune.mode == "grid" else tune.n_trials


def run_trials(train: pd.DataFrame, seed: int, features: FeatureParams, cv: CVParams,
               model: KerasModel, tune: TuneParams, project: str, worker: int, journal: Path,
               code_digest: str) -> dict:
    """Run trials until the shared study has its budget of finished ones (resuming a killed
    run). Worker ``k`` samples with seed ``seed + k``: one worker reproduces the single-process
    study."""
    started = time.perf_counter()
    train = subsample(train, tune.max_rows, seed)
    name = tuning.study_name(project, study_config(seed, len(train), features, cv, model, tune,
                                                   code_digest))
    study = tuning.open_study(journal, name, tune, seed + worker)
    shared_study.recover_stale(study)
    before = shared_study.finished(study)
    log.info("study %s (worker %d of %d): %s, %d trials, %d-fold CV on %d rows, metric %s",
             name, worker, tune.workers, tune.mode, budget(tune), cv.folds, len(train),
             tune.metric)
    X, y = cv_xy(train, cv.folds)
    objective = make_objective(model, features, cv, tune.metric, X, y, seed)
    tuning.optimise(study, journal, tune, objective, budget(tune), progress_bar=sys.stderr.isatty())
    return {"done": {"study": name, "worker": worker, "finished_before": before,
                     "finished_after": shared_study.finished(study),
                     "seconds": round(time.perf_counter() - started, 1)}}


def collect(workers: list[dict], seed: int, model: KerasModel, tune: TuneParams, project: str,
            journal: Path) -> dict:
    """The best trial's spec, the trials table and the figures of the workers' study."""
    names = {done["study"] for done in workers}
    if len(names) != 1:
        raise DlpipeError(f"{project}: the tuning workers ran different studies {sorted(names)}")
    study = tuning.open_study(journal, names.pop(), tune, seed)
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        raise DlpipeError(f"{project}: study {study.study_name} has no completed trial "
                          f"(timeout {tune.timeout} s too short, or every trial failed)")
    if shared_study.finished(study) < budget(tune):
        log.warning("study %s: %d of %d trials finished (timeout reached)", study.study_name,
                    shared_study.finished(study), budget(tune))
    best = study.best_trial
    trials = tuning.trials_table(study)
    log.info("best trial %d: %s=%.4f %s", best.number, tune.metric, best.value, best.params)
    return {
        "best_params": {
            "study": study.study_name, "metric": tune.metric, "best_value": best.value,
            "best_trial": best.number, "tuned": best.params,
            "model": with_overrides(model, best.params).model_dump(),
            "n_complete": int((trials["state"] == "COMPLETE").sum()),
            "n_pruned": int((trials["state"] == "PRUNED").sum()),
            "epochs_total": int(trials.get("epochs", pd.Series(dtype=float)).fillna(0).sum())},
        "trials": trials,
        "history_png": plots.tuning_history(trials, tune.metric,
                                            f"{project}: {tune.mode} tuning"),
        "importance_png": plots.importances(tuning.importances(study),
                                            f"{project}: parameter importances")}
