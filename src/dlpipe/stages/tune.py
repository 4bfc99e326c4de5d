"""tune: an Optuna study over the project's search space, scored by k-fold CV on the training part.

Writes ``best_params.json`` (the full tuned model spec the train stage consumes), the trials table
and two figures (optimisation history, parameter importances).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from dlpipe import dag, plots
from dlpipe.models import tuning
from dlpipe.errors import DlpipeError
from dlpipe.features import split_xy, subsample
from dlpipe.io import file_sha256, read_parquet, write_csv, write_json
from dlpipe.params import KerasModel, Params, ProjectParams
from dlpipe.paths import journal, path

log = logging.getLogger(__name__)


def with_overrides(model: KerasModel, drawn: dict[str, Any]) -> KerasModel:
    """The model spec with tuned values in place (validated like params.yaml)."""
    return KerasModel.model_validate({**model.model_dump(), **drawn})


def make_objective(cfg: ProjectParams, X: pd.DataFrame, y: np.ndarray, seed: int):
    from dlpipe.models.training import cross_validate

    metric = cfg.tune.metric

    def objective(drawn: dict[str, Any], trial: optuna.Trial) -> float:
        spec = with_overrides(cfg.model, drawn)

        def on_fold(results) -> None:
            trial.set_user_attr("epochs", sum(r.epochs for r in results))
            trial.report(float(np.mean([r.scores[metric] for r in results])), len(results) - 1)
            if trial.should_prune():
                raise optuna.TrialPruned()

        results = cross_validate(spec, cfg.features, X, y, cfg.cv.folds, seed, [metric], on_fold)
        return float(np.mean([r.scores[metric] for r in results]))

    return objective


def code_digest(files: list[Path]) -> str:
    """One digest of the files' contents, in order."""
    return hashlib.sha256("".join(map(file_sha256, files)).encode()).hexdigest()[:12]


def trial_code() -> list[Path]:
    """The source a trial's score comes from: the tune stage's code in the stage table, which
    Snakemake and DVC re-run the stage on. Without its digest in the study name, a re-run after an
    edit would find the old code's trials in the journal and stop at once, keeping stale scores."""
    package = Path(__file__).resolve().parents[1]
    return [package / name for name in dag.BY_NAME["tune_worker"].code]


def study_config(cfg: ProjectParams, seed: int, n_rows: int) -> dict[str, Any]:
    """Everything trial results depend on, and nothing else: changing a train-only or
    evaluate-only setting (cv.metrics, cv.max_rows, model.verbose, timeout, workers) keeps the
    study and its finished trials; editing the code that scores a trial starts a new one."""
    tune = cfg.tune.model_dump(exclude={"timeout", "workers", "n_trials"})
    return {"seed": seed, "rows": n_rows, "features": cfg.features.model_dump(),
            "folds": cfg.cv.folds, "model": cfg.model.model_dump(exclude={"verbose"}),
            "tune": tune, "code": code_digest(trial_code())}


def open_project_study(params: Params, project: str, worker: int = 0):
    """(study, its config, training rows, n_trials) for the project's tuning configuration.

    Worker ``k`` samples with seed ``seed + k``: one worker reproduces the single-process study.
    """
    cfg = params.project(project)
    train = subsample(read_parquet(path("interim_train", project)), cfg.tune.max_rows,
                      params.seed)
    name = tuning.study_name(project, study_config(cfg, params.seed, len(train)))
    study = tuning.open_study(journal(project), name, cfg.tune, params.seed + worker)
    n_trials = tuning.grid_size(cfg.tune) if cfg.tune.mode == "grid" else cfg.tune.n_trials
    return study, cfg, train, n_trials


def run_worker(params: Params, project: str, worker: int) -> None:
    """Run trials until the shared study has ``n_trials`` finished ones (resuming a killed run)."""
    started = time.perf_counter()
    study, cfg, train, n_trials = open_project_study(params, project, worker)
    tuning.recover_stale(study)
    before = tuning.finished(study)
    log.info("study %s (worker %d of %d): %s, %d trials, %d-fold CV on %d rows, metric %s",
             study.study_name, worker, cfg.tune.workers, cfg.tune.mode, n_trials, cfg.cv.folds,
             len(train), cfg.tune.metric)
    X, y = split_xy(train)
    tuning.optimise(study, cfg.tune, make_objective(cfg, X, y, params.seed), n_trials,
                    progress_bar=sys.stderr.isatty())
    write_json(path("worker_done", project, worker=worker), {
        "study": study.study_name, "worker": worker, "finished_before": before,
        "finished_after": tuning.finished(study),
        "seconds": round(time.perf_counter() - started, 1)})


def run(params: Params, project: str) -> None:
    """Collect the finished study into best_params.json, the trials table and the figures."""
    study, cfg, _, n_trials = open_project_study(params, project)
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        raise DlpipeError(f"{project}: study {study.study_name} has no completed trial "
                          f"(timeout {cfg.tune.timeout} s too short, or every trial failed)")
    if tuning.finished(study) < n_trials:
        log.warning("study %s: %d of %d trials finished (timeout reached)", study.study_name,
                    tuning.finished(study), n_trials)
    collect(study, cfg, project)


def collect(study: optuna.Study, cfg: ProjectParams, project: str) -> None:
    """Write best_params.json, the trials table and the figures from a finished study."""
    best = study.best_trial
    trials = tuning.trials_table(study)
    spec = with_overrides(cfg.model, best.params)
    write_json(path("best_params", project), {
        "study": study.study_name, "metric": cfg.tune.metric, "best_value": best.value,
        "best_trial": best.number, "tuned": best.params, "model": spec.model_dump(),
        "n_complete": int((trials["state"] == "COMPLETE").sum()),
        "n_pruned": int((trials["state"] == "PRUNED").sum()),
        "epochs_total": int(trials.get("epochs", pd.Series(dtype=float)).fillna(0).sum())})
    write_csv(path("trials", project), trials)
    plots.tuning_history(trials, cfg.tune.metric, f"{project}: {cfg.tune.mode} tuning",
                         path("tuning_history_png", project))
    try:
        values = optuna.importance.get_param_importances(study) if cfg.tune.search_space else {}
    except (RuntimeError, ValueError, ZeroDivisionError):
        values = {}  # fewer than two completed trials, or no parameter varied
    plots.importances(values, f"{project}: parameter importances",
                      path("tuning_importance_png", project))
    log.info("best trial %d: %s=%.4f %s", best.number, cfg.tune.metric, best.value, best.params)
