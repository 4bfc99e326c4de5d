"""THE stage table: each stage's command, deps, params keys and outputs, declared once.

Snakemake's rules (``workflow/rules/*.smk``) read their input/output/params from here, and
``dvc.yaml`` is rendered from here (``python -m dlpipe dag``); ``tests/test_dag.py`` fails if the
committed ``dvc.yaml`` or Snakemake's resolved jobs drift from this table.

A stage runs once per enabled project (scope ``project``), once per project and tuning worker
(scope ``worker``), or once for the whole pipeline (scope ``all``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import yaml

from dlpipe.errors import ParamsError
from dlpipe.params import Params, load_params
from dlpipe.paths import TEMPLATES

PKG = "src/dlpipe"
ALL = "all"  # the project argument of cross-project stages
Scope = Literal["project", "worker", "all"]


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
    uncached: tuple[str, ...] = ()  # small text outputs (plot data, tables): in git, not the cache
    results: str | None = None  # the artefact holding this stage's tidy score rows, if any
    scope: Scope = "project"
    only: tuple[str, ...] | None = None  # projects the stage exists for (None: every project)
    module: str = ""  # dlpipe.stages.<module> holds run() (run_worker() for scope "worker")

    @property
    def entry(self) -> str:
        return f"dlpipe.stages.{self.module or self.name}"


_COMMON = ("cli.py", "params.py", "paths.py", "io.py", "logs.py")
_TUNING = ("tuning.py", "features.py", "keras_model.py", "training.py", "evaluation.py")

STAGES: tuple[Stage, ...] = (
    Stage("fetch", "load the dataset (cache, mirror or online), verify its checksum",
          deps=(), code=("stages/fetch.py", "datasets.py"), params=("{project}.data",),
          outs=("raw",)),
    Stage("split", "seeded train/test split",
          deps=("raw",), code=("stages/split.py",), params=("{project}.split",),
          outs=("interim_train", "interim_test")),
    Stage("preprocess", "fit scaling/encoding on train only; transform train and test",
          deps=("interim_train", "interim_test"), code=("stages/preprocess.py", "features.py"),
          params=("{project}.features",),
          outs=("processed_train", "processed_test", "transformer")),
    Stage("tune_worker", "run trials of the project's Optuna study (tune.workers run at once)",
          deps=("interim_train",), code=("stages/tune.py", *_TUNING),
          params=("seed", "{project}.features", "{project}.cv", "{project}.model",
                  "{project}.tune"),
          outs=("worker_done",), scope="worker", module="tune"),
    Stage("tune", "collect the study: best params, trials table, figures",
          deps=("workers_dir",), code=("stages/tune.py", *_TUNING),
          params=("seed", "{project}.features", "{project}.cv", "{project}.model",
                  "{project}.tune"),
          outs=("best_params", "tuning_history_png", "tuning_importance_png"),
          uncached=("trials",)),
    Stage("train", "k-fold CV of the tuned model, then the final fit on all training data",
          deps=("interim_train", "processed_train", "best_params"),
          code=("stages/train.py", "features.py", "keras_model.py", "training.py",
                "evaluation.py", "plots.py"),
          params=("seed", "{project}.features", "{project}.cv"),
          outs=("model", "learning_curves_png"), metrics=("cv",), uncached=("history",)),
    Stage("evaluate", "test-set metrics, confusion matrix, tidy score rows",
          deps=("processed_test", "model", "cv"),
          code=("stages/evaluate.py", "evaluation.py", "plots.py", "keras_model.py"),
          params=("{project}.evaluate",),
          outs=("confusion_png",), metrics=("metrics",), uncached=("confusion", "scores"),
          results="scores"),
    Stage("report", "one tidy cross-project table of every result",
          deps=(), code=("stages/report.py",), params=(),
          outs=(), uncached=("summary_csv", "summary_md"), scope="all"),
)
BY_NAME = {stage.name: stage for stage in STAGES}


def load(path: str = "params.yaml") -> Params:
    """Validated params whose ``resources`` name exactly the stages of the table."""
    params = load_params(path)
    names = [stage.name for stage in STAGES]
    if sorted(params.resources) != sorted(names):
        missing = sorted(set(names) - set(params.resources))
        extra = sorted(set(params.resources) - set(names))
        raise ParamsError(f"{params.source}: resources: expected one entry per stage {names}, got "
                          f"{'missing ' + str(missing) if missing else ''}"
                          f"{' unknown ' + str(extra) if extra else ''}".rstrip())
    return params


# --- jobs -----------------------------------------------------------------------------------------
def projects_of(stage: Stage, params: Params) -> list[str]:
    return [p for p in params.projects if stage.only is None or p in stage.only]


def instances(stage: Stage, params: Params) -> list[dict[str, Any]]:
    """The wildcard values of every job of ``stage``."""
    if stage.scope == "all":
        return [{"project": ALL}]
    if stage.scope == "worker":
        return [{"project": p, "worker": k} for p in projects_of(stage, params)
                for k in range(params.project(p).tune.workers)]
    return [{"project": p} for p in projects_of(stage, params)]


def command(stage: Stage, wildcards: dict[str, Any]) -> str:
    """The shell command both front ends run (no redirection: the CLI writes its own log)."""
    worker = f" --worker {wildcards['worker']}" if stage.scope == "worker" else ""
    return f"python -m dlpipe {stage.name} {wildcards['project']}{worker}"


def code_paths(stage: Stage) -> list[str]:
    return [f"{PKG}/{name}" for name in (*_COMMON, *stage.code)]


def _fill(name: str, wildcards: dict[str, Any]) -> str:
    return TEMPLATES[name].format(project=wildcards["project"], worker=wildcards.get("worker", ""))


def result_files(params: Params) -> list[str]:
    """Every tidy score-row file of the enabled jobs: what ``report`` reads."""
    return [_fill(stage.results, wc) for stage in STAGES if stage.results
            for wc in instances(stage, params)]


def worker_files(project: str, params: Params) -> list[str]:
    return [_fill("worker_done", {"project": project, "worker": k})
            for k in range(params.project(project).tune.workers)]


def concrete_deps(stage: Stage, wildcards: dict[str, Any], params: Params) -> list[str]:
    """Input files of one job. DVC tracks the workers' directory, Snakemake its files."""
    deps: list[str] = []
    for name in stage.deps:
        if name == "workers_dir":
            deps += worker_files(wildcards["project"], params)
        else:
            deps.append(_fill(name, wildcards))
    if stage.name == "report":
        deps += result_files(params)
    return deps + code_paths(stage)


def outputs(stage: Stage) -> tuple[str, ...]:
    return (*stage.outs, *stage.metrics, *stage.uncached)


def jobs(params: Params) -> list[dict[str, Any]]:
    """Every job of the pipeline for the enabled projects, resolved."""
    return [{"stage": stage.name, **wc, "cmd": command(stage, wc),
             "deps": concrete_deps(stage, wc, params),
             "params": [k.format(project=wc["project"]) for k in stage.params],
             "outs": [_fill(n, wc) for n in outputs(stage)],
             "log": log_path(stage, wc)}
            for stage in STAGES for wc in instances(stage, params)]


def log_path(stage: Stage, wildcards: dict[str, Any]) -> str:
    suffix = f"-{wildcards['worker']}" if stage.scope == "worker" else ""
    return TEMPLATES["log"].format(project=wildcards["project"], stage=stage.name + suffix)


# --- DVC ------------------------------------------------------------------------------------------
def _dvc(template: str, scope: Scope) -> str:
    if scope == "worker":
        return template.replace("{project}", "${item.project}").replace("{worker}",
                                                                        "${item.worker}")
    return template.replace("{project}", "${item}")


def render_dvc(params: Params) -> dict[str, Any]:
    """dvc.yaml as a dict: ``foreach`` over the enabled projects (or project/worker pairs)."""
    stages: dict[str, Any] = {}
    for stage in STAGES:
        if stage.scope == "all":
            wc = {"project": ALL}
            cmd, fill = command(stage, wc), (lambda name: _fill(name, wc))
        else:
            template = {"project": "{project}", "worker": "{worker}"}
            cmd = _dvc(command(stage, template), stage.scope)
            fill = (lambda name, scope=stage.scope: _dvc(TEMPLATES[name], scope))
        body: dict[str, Any] = {"cmd": cmd}
        deps = [fill(n) for n in stage.deps]
        if stage.name == "report":
            deps += result_files(params)
        body["deps"] = deps + code_paths(stage)
        if stage.params:
            body["params"] = [_dvc(k, stage.scope) for k in stage.params]
        outs: list[Any] = [fill(n) for n in stage.outs]
        outs += [{fill(n): {"cache": False}} for n in stage.uncached]
        if outs:
            body["outs"] = outs
        if stage.metrics:
            body["metrics"] = [{fill(n): {"cache": False}} for n in stage.metrics]
        if stage.scope == "all":
            stages[stage.name] = body
        elif stage.scope == "worker":
            items = {f"{wc['project']}-{wc['worker']}": wc for wc in instances(stage, params)}
            stages[stage.name] = {"foreach": items, "do": body}
        else:
            stages[stage.name] = {"foreach": projects_of(stage, params), "do": body}
    return {"stages": stages, "metrics": _dvc_metrics(params), "plots": _dvc_plots(params)}


def _dvc_metrics(params: Params) -> list[str]:
    return [_fill(n, {"project": p}) for p in params.projects for n in ("metrics", "cv")]


def _dvc_plots(params: Params) -> list[dict[str, Any]]:
    plots: list[dict[str, Any]] = []
    for p in params.projects:
        history = _fill("history", {"project": p})
        plots += [
            {f"{p}_confusion": {"template": "confusion", "x": "predicted",
                                "y": {_fill("confusion", {"project": p}): "actual"},
                                "title": f"{p}: confusion matrix (test)"}},
            {f"{p}_accuracy": {"x": "epoch", "y": {history: ["accuracy", "val_accuracy"]},
                               "title": f"{p}: accuracy per epoch (final fit)"}},
            {f"{p}_loss": {"x": "epoch", "y": {history: ["loss", "val_loss"]},
                           "title": f"{p}: loss per epoch (final fit)"}}]
    return plots


def dvc_deps_view(deps: list[str]) -> set[str]:
    """Snakemake's inputs as DVC declares them: worker files stand for their directory."""
    workers = TEMPLATES["worker_done"].rsplit("/", 1)[0]
    prefix, suffix = workers.split("{project}")
    return {d.rsplit("/", 1)[0] if d.startswith(prefix) and d.rsplit("/", 1)[0].endswith(suffix)
            and d.endswith(".json") else d for d in deps}


HEADER = ("# Generated by `python -m dlpipe dag` from src/dlpipe/dag.py (the one stage table).\n"
          "# Do not edit by hand: tests/test_dag.py fails when this file drifts from the table.\n")


def dvc_yaml_text(params: Params) -> str:
    return HEADER + yaml.safe_dump(render_dvc(params), sort_keys=False, default_flow_style=False,
                                   width=100)


# --- Snakemake ------------------------------------------------------------------------------------
def snakemake_wildcards(stage: Stage) -> dict[str, str]:
    if stage.scope == "all":
        return {"project": ALL}
    if stage.scope == "worker":
        return {"project": "{project}", "worker": "{worker}"}
    return {"project": "{project}"}


def snakemake_outputs(stage: Stage) -> list[str]:
    wc = snakemake_wildcards(stage)
    return [TEMPLATES[n].replace("{project}", wc["project"]) for n in outputs(stage)]


def snakemake_shell(stage: Stage) -> str:
    wc = {k: f"{{wildcards.{k}}}" for k in snakemake_wildcards(stage)} \
        if stage.scope != "all" else {"project": ALL}
    return command(stage, wc)


def snakemake_log(stage: Stage) -> str:
    return log_path(stage, snakemake_wildcards(stage))


def snakemake_benchmark(stage: Stage) -> str:
    return snakemake_log(stage).replace("logs/", "benchmarks/", 1).replace(".log", ".tsv")


def param_values(stage: Stage, project: str, config: dict[str, Any]) -> dict[str, Any]:
    """The params.yaml values a stage declares, by key path (Snakemake re-runs when they change)."""
    values = {}
    for key in stage.params:
        node: Any = config
        for part in key.format(project=project).split("."):
            node = node[part]
        values[key.format(project=project)] = node
    return values
