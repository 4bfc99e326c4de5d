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
    requires: str | None = None  # a project section the stage needs (e.g. "study")
    module: str = ""  # dlpipe.stages.<module> holds run() (run_worker() for scope "worker")

    @property
    def entry(self) -> str:
        return f"dlpipe.stages.{self.module or self.name}"

    @property
    def function(self) -> str:
        """The function of :attr:`entry` the CLI calls."""
        if self.scope == "worker":
            return "run_worker"
        return f"run_{self.name}" if self.module else "run"


_COMMON = ("cli.py", "params.py", "params_base.py", "study/params.py", "paths.py", "io.py",
           "logs.py")
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
    *(Stage(task, doc, deps=("interim_train", "interim_test"),
            code=("stages/study.py", "study/__init__.py", "study/params.py", "study/common.py",
                  "study/augment.py", *extra, "evaluation.py", "plots.py"),
            params=("seed", f"{{project}}.study.{task}"), outs=("task_figures",),
            metrics=("task_metrics",), uncached=("task_scores", "task_plots"),
            results="task_scores", requires="study", module="study")
      for task, doc, extra in (
          ("binary", "'is it a 5': CV scores, PR/ROC curves, threshold for a target precision",
           ("study/binary.py",)),
          ("multiclass", "SVC, OneVsRest SVC, SGD with/without scaling, tuned KNN",
           ("study/multiclass.py", "study/tuning.py")),
          ("multilabel", "KNN on [digit >= 7, digit is odd]", ("study/multilabel.py",)),
          ("denoise", "multi-output KNN mapping noisy to clean images", ("study/denoise.py",)),
          ("mlp", "a Keras MLP on x/255 pixels (same builder as the main model)",
           ("keras_model.py", "training.py")))),
    Stage("models", "every model of the project: its metrics, fit and predict seconds",
          deps=("scores",), code=("stages/study.py",), params=(), outs=(),
          uncached=("models_csv", "models_md"), requires="study", module="study"),
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
    return [p for p in params.projects
            if stage.requires is None or getattr(params.project(p), stage.requires) is not None]


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


def _fill(name: str, wildcards: dict[str, Any], stage: str = "") -> str:
    return TEMPLATES[name].format(project=wildcards["project"], worker=wildcards.get("worker", ""),
                                  stage=stage)


def result_files(params: Params, project: str | None = None) -> list[str]:
    """Every tidy score-row file of the enabled jobs (of one project): what reports read."""
    return [_fill(stage.results, wc, stage.name) for stage in STAGES if stage.results
            for wc in instances(stage, params) if project in (None, wc["project"])]


def worker_files(project: str, params: Params) -> list[str]:
    return [_fill("worker_done", {"project": project, "worker": k})
            for k in range(params.project(project).tune.workers)]


def concrete_deps(stage: Stage, wildcards: dict[str, Any], params: Params) -> list[str]:
    """Input files of one job. DVC tracks the workers' directory, Snakemake its files."""
    deps: list[str] = []
    for name in stage.deps:
        if name == "workers_dir":
            deps += worker_files(wildcards["project"], params)
        elif stage.name == "models" and name == "scores":  # the project's every result file
            deps += result_files(params, wildcards["project"])
        else:
            deps.append(_fill(name, wildcards, stage.name))
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
             "outs": [_fill(n, wc, stage.name) for n in outputs(stage)],
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
        if not instances(stage, params):
            continue
        if stage.scope == "all":
            wc = {"project": ALL}
            cmd = command(stage, wc)
            fill = (lambda name, st=stage.name: _fill(name, wc, st))
        else:
            cmd = _dvc(command(stage, {"project": "{project}", "worker": "{worker}"}), stage.scope)
            fill = (lambda name, st=stage: _dvc(TEMPLATES[name].replace("{stage}", st.name),
                                                st.scope))
        deps = [fill(n) for n in stage.deps if not (stage.name == "models" and n == "scores")]
        if stage.name == "report":
            deps += result_files(params)
        if stage.name == "models":  # every result file of the project, as templates
            deps += [_dvc(TEMPLATES[s.results].replace("{stage}", s.name), "project")
                     for s in STAGES if s.results and s.scope == "project"]
        body: dict[str, Any] = {"cmd": cmd, "deps": deps + code_paths(stage)}
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
    files = [_fill(n, {"project": p}) for p in params.projects for n in ("metrics", "cv")]
    return files + [_fill(stage.metrics[0], wc, stage.name) for stage in STAGES
                    if stage.requires for wc in instances(stage, params) if stage.metrics]


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
        study = params.project(p).study
        if study is None:
            continue
        task_plots = {t: _fill("task_plots", {"project": p}, t) for t in
                      ("binary", "multiclass", "mlp")}
        models = [m for m, spec in study.binary.models.items() if spec.kind != "dummy"]
        plots += [
            {f"{p}_binary_pr": {"x": "recall", "y": {
                f"{task_plots['binary']}/pr_{m}.csv": "precision" for m in models},
                "title": f"{p}: precision-recall curves (CV scores, 'is it a "
                         f"{study.binary.positive_digit}')"}},
            {f"{p}_binary_roc": {"x": "fpr", "y": {
                f"{task_plots['binary']}/roc_{m}.csv": "tpr" for m in models},
                "title": f"{p}: ROC curves (CV scores)"}},
            {f"{p}_binary_confusion": {"template": "confusion", "x": "predicted", "y": {
                f"{task_plots['binary']}/confusion.csv": "actual"},
                "title": f"{p}: binary confusion matrix, best model (test)"}},
            {f"{p}_multiclass_confusion": {"template": "confusion", "x": "predicted", "y": {
                f"{task_plots['multiclass']}/confusion.csv": "actual"},
                "title": f"{p}: multiclass confusion matrix, best model (test)"}},
            {f"{p}_mlp_accuracy": {"x": "epoch", "y": {
                f"{task_plots['mlp']}/history.csv": ["accuracy", "val_accuracy"]},
                "title": f"{p}: Keras MLP accuracy per epoch"}}]
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
    return [TEMPLATES[n].replace("{project}", wc["project"]).replace("{stage}", stage.name)
            for n in outputs(stage)]


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
