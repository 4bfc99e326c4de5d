"""THE stage table: each stage's command, deps, params keys and outputs, declared once.

Snakemake's rules (``workflow/rules/*.smk``) read their input/output/params from here, and
``dvc.yaml`` is rendered from here (``python -m dlpipe dag``); ``tests/test_dag.py`` fails if the
committed ``dvc.yaml`` or Snakemake's resolved jobs drift from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from dlpipe.params import Params
from dlpipe.paths import TEMPLATES

PKG = "src/dlpipe"
ALL = "all"  # the project argument of cross-project stages


@dataclass(frozen=True)
class Stage:
    """One step of the DAG. Paths are artefact names from :data:`dlpipe.paths.TEMPLATES`."""

    name: str
    doc: str
    deps: tuple[str, ...]
    code: tuple[str, ...]
    params: tuple[str, ...]
    outs: tuple[str, ...]
    metrics: tuple[str, ...] = ()
    uncached: tuple[str, ...] = ()  # small text outputs (plot data, tables) kept in git, not the DVC cache
    threads: int = 1
    mem_mb: int = 2000
    runtime: int = 30
    per_project: bool = True


_COMMON = ("cli.py", "params.py", "paths.py", "io.py", "logs.py")

STAGES: tuple[Stage, ...] = (
    Stage("fetch", "load the dataset (cache, mirror or online), verify its checksum",
          deps=(), code=("stages/fetch.py", "datasets.py"), params=("{project}.data",),
          outs=("raw",), runtime=20),
    Stage("split", "seeded train/test split",
          deps=("raw",), code=("stages/split.py",), params=("{project}.split",),
          outs=("interim_train", "interim_test"), runtime=10),
    Stage("preprocess", "fit scaling/encoding on train only; transform train and test",
          deps=("interim_train", "interim_test"), code=("stages/preprocess.py", "features.py"),
          params=("{project}.features",),
          outs=("processed_train", "processed_test", "transformer"), runtime=10),
    Stage("tune", "Optuna study with k-fold CV on the training part",
          deps=("interim_train",),
          code=("stages/tune.py", "tuning.py", "features.py", "keras_model.py", "training.py"),
          params=("seed", "{project}.features", "{project}.cv", "{project}.model",
                  "{project}.tune"),
          outs=("best_params", "tuning_history_png", "tuning_importance_png"),
          uncached=("trials",), threads=2, mem_mb=4000, runtime=120),
    Stage("train", "k-fold CV of the tuned model, then the final fit on all training data",
          deps=("interim_train", "processed_train", "best_params"),
          code=("stages/train.py", "features.py", "keras_model.py", "training.py"),
          params=("seed", "{project}.features", "{project}.cv"),
          outs=("model", "learning_curves_png"), metrics=("cv",), uncached=("history",),
          threads=2, mem_mb=4000, runtime=60),
    Stage("evaluate", "test-set metrics, confusion matrix, tidy score rows",
          deps=("processed_test", "model", "cv"),
          code=("stages/evaluate.py", "evaluation.py", "plots.py"),
          params=("{project}.evaluate",),
          outs=("confusion_png",), metrics=("metrics",), uncached=("confusion", "scores"),
          runtime=10),
    Stage("report", "one tidy cross-project table of every result",
          deps=("scores",), code=("stages/report.py",), params=(),
          outs=(), metrics=(), uncached=("summary_csv", "summary_md"), runtime=5,
          per_project=False),
)
BY_NAME = {stage.name: stage for stage in STAGES}


def command(stage: str, project: str) -> str:
    """The shell command both front ends run (no redirection: the CLI writes its own log)."""
    return f"python -m dlpipe {stage} {project}"


def code_paths(stage: Stage) -> list[str]:
    return [f"{PKG}/{name}" for name in (*_COMMON, *stage.code)]


def _paths(names: tuple[str, ...], project: str) -> list[str]:
    return [TEMPLATES[name].format(project=project) for name in names]


def resolve(stage: Stage, project: str, params: Params) -> dict[str, Any]:
    """Concrete deps/outs/params of ``stage`` for ``project`` (``all`` for cross-project stages)."""
    projects = params.projects if not stage.per_project else [project]
    deps = [path for p in projects for path in _paths(stage.deps, p)]
    return {
        "cmd": command(stage.name, project),
        "deps": deps + code_paths(stage),
        "params": [key.format(project=project) for key in stage.params],
        "outs": _paths(stage.outs, project),
        "metrics": _paths(stage.metrics, project),
        "uncached": _paths(stage.uncached, project),
        "log": TEMPLATES["log"].format(project=project, stage=stage.name),
    }


def jobs(params: Params) -> list[dict[str, Any]]:
    """Every (stage, project) job of the pipeline for the enabled projects."""
    out = []
    for stage in STAGES:
        for project in params.projects if stage.per_project else [ALL]:
            out.append({"stage": stage.name, "project": project, **resolve(stage, project, params)})
    return out


# --- DVC ------------------------------------------------------------------------------------------
def _dvc_item(path: str) -> str:
    return path.replace("{project}", "${item}")


def render_dvc(params: Params) -> dict[str, Any]:
    """dvc.yaml as a dict: ``foreach`` over the enabled projects for per-project stages."""
    stages: dict[str, Any] = {}
    for stage in STAGES:
        project = "{project}" if stage.per_project else ALL
        body: dict[str, Any] = {"cmd": _dvc_item(command(stage.name, project))}
        deps = [TEMPLATES[n] for n in stage.deps] if stage.per_project else [
            TEMPLATES[n].format(project=p) for p in params.projects for n in stage.deps]
        body["deps"] = [_dvc_item(d) for d in deps] + code_paths(stage)
        if stage.params:
            body["params"] = [_dvc_item(k) for k in stage.params]
        outs = [_dvc_item(TEMPLATES[n].format(project=project)) for n in stage.outs]
        outs += [{_dvc_item(TEMPLATES[n].format(project=project)): {"cache": False}}
                 for n in stage.uncached]
        if outs:
            body["outs"] = outs
        if stage.metrics:
            body["metrics"] = [{_dvc_item(TEMPLATES[n].format(project=project)): {"cache": False}}
                               for n in stage.metrics]
        stages[stage.name] = {"foreach": list(params.projects), "do": body} if stage.per_project \
            else body
    return {
        "stages": stages,
        "metrics": [TEMPLATES["metrics"].format(project=p) for p in params.projects]
        + [TEMPLATES["cv"].format(project=p) for p in params.projects],
        "plots": _dvc_plots(params.projects),
    }


def _dvc_plots(projects: list[str]) -> list[dict[str, Any]]:
    plots: list[dict[str, Any]] = []
    for p in projects:
        plots.append({f"{p}_confusion": {
            "template": "confusion", "x": "predicted", "y": {
                TEMPLATES["confusion"].format(project=p): "actual"},
            "title": f"{p}: confusion matrix (test)"}})
        plots.append({f"{p}_accuracy": {
            "x": "epoch", "y": {TEMPLATES["history"].format(project=p): ["accuracy",
                                                                          "val_accuracy"]},
            "title": f"{p}: accuracy per epoch (final fit)"}})
        plots.append({f"{p}_loss": {
            "x": "epoch", "y": {TEMPLATES["history"].format(project=p): ["loss", "val_loss"]},
            "title": f"{p}: loss per epoch (final fit)"}})
    return plots


HEADER = ("# Generated by `python -m dlpipe dag` from src/dlpipe/dag.py (the one stage table).\n"
          "# Do not edit by hand: tests/test_dag.py fails when this file drifts from the table.\n")


def dvc_yaml_text(params: Params) -> str:
    return HEADER + yaml.safe_dump(render_dvc(params), sort_keys=False, default_flow_style=False,
                                   width=100)


# --- Snakemake ------------------------------------------------------------------------------------
def snakemake_inputs(stage: Stage, projects: list[str]) -> list[str]:
    """Rule inputs: templates with the ``{project}`` wildcard (expanded for cross-project stages)."""
    if stage.per_project:
        deps = [TEMPLATES[n] for n in stage.deps]
    else:
        deps = [TEMPLATES[n].format(project=p) for p in projects for n in stage.deps]
    return deps + code_paths(stage)


def snakemake_outputs(stage: Stage) -> list[str]:
    project = "{project}" if stage.per_project else ALL
    names = (*stage.outs, *stage.metrics, *stage.uncached)
    return [TEMPLATES[n].replace("{project}", project) for n in names]


def param_values(stage: Stage, project: str, config: dict[str, Any]) -> dict[str, Any]:
    """The params.yaml values a stage declares, by key path (Snakemake re-runs when they change)."""
    values = {}
    for key in stage.params:
        node: Any = config
        for part in key.format(project=project).split("."):
            node = node[part]
        values[key.format(project=project)] = node
    return values
