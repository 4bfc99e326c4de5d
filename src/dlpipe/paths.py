"""Where every artefact lives. Templates use ``{project}``, the Snakemake wildcard name.

The stage table (:mod:`dlpipe.dag`) is built from these templates, so a path is spelt once.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES: dict[str, str] = {
    "raw": "data/raw/{project}.parquet",
    "interim_train": "data/interim/{project}/train.parquet",
    "interim_test": "data/interim/{project}/test.parquet",
    "processed_train": "data/processed/{project}/train.parquet",
    "processed_test": "data/processed/{project}/test.parquet",
    "transformer": "models/{project}/preprocess.joblib",
    "worker_done": "data/tuning/{project}/workers/{worker}.json",
    "workers_dir": "data/tuning/{project}/workers",
    "best_params": "models/{project}/best_params.json",
    "trials": "reports/{project}/tuning/trials.csv",
    "tuning_history_png": "reports/{project}/figures/tuning_history.png",
    "tuning_importance_png": "reports/{project}/figures/tuning_importance.png",
    "model": "models/{project}/model.keras",
    "cv": "reports/{project}/cv.json",
    "history": "reports/{project}/plots/history.csv",
    "learning_curves_png": "reports/{project}/figures/learning_curves.png",
    "metrics": "reports/{project}/metrics.json",
    "confusion": "reports/{project}/plots/confusion.csv",
    "confusion_png": "reports/{project}/figures/confusion.png",
    "scores": "reports/{project}/scores.csv",
    # the MNIST study: one directory per task (= stage name)
    "task_metrics": "reports/{project}/{stage}/metrics.json",
    "task_scores": "reports/{project}/{stage}/scores.csv",
    "task_plots": "reports/{project}/{stage}/plots",
    "task_figures": "reports/{project}/{stage}/figures",
    "models_csv": "reports/{project}/models.csv",
    "models_md": "reports/{project}/models.md",
    "summary_csv": "reports/summary.csv",
    "summary_md": "reports/summary.md",
    "log": "logs/{project}/{stage}.log",
}

# Artefacts that are directories (their file names depend on the models in params).
DIRECTORIES = {"task_plots", "task_figures"}

# Not a stage output: an append-only Optuna journal that must survive re-runs so that a killed
# study resumes (both front ends delete declared outputs before running a stage).
JOURNAL = "data/tuning/{project}/journal.log"
EXTERNAL_DIR = "data/external"


def path(name: str, project: str = "", stage: str = "", worker: int | str = "",
         root: str | Path = ".") -> Path:
    """The concrete path of artefact ``name`` for ``project`` (and tuning ``worker``)."""
    return Path(root) / TEMPLATES[name].format(project=project, stage=stage, worker=worker)


def journal(project: str, root: str | Path = ".") -> Path:
    return Path(root) / JOURNAL.format(project=project)
