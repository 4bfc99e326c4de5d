"""From the stage table to jobs: which jobs the params enable and their concrete files.

Both front ends and the runner resolve a job's inputs, outputs, params keys, command and log
here, so the two front ends cannot disagree about what a job reads or writes.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any


from dlpipe.errors import ParamsError
from dlpipe.params import DEFAULT_PARAMS, Params, load_params
from dlpipe.pipeline import code
from dlpipe.pipeline.stage import Gather, Output, Section, Stage
from dlpipe.pipeline.scheduling import DEFAULT_RESOURCES
from dlpipe.pipeline.table import BY_NAME, STAGES

PKG = "src/dlpipe"
ALL = "all"  # the project argument of cross-project stages
CODE_STAGE = "code"  # writes every other stage's code digest (see code_digest)
Wildcards = dict[str, Any]


def load(path: str = DEFAULT_PARAMS) -> Params:
    """Validated params whose ``resources`` name stages of the table (and ``default``)."""
    params = load_params(path)
    names = [stage.name for stage in STAGES]
    unknown = sorted(set(params.resources) - set(names) - {DEFAULT_RESOURCES})
    if unknown or DEFAULT_RESOURCES not in params.resources:
        got = f"unknown {unknown}" if unknown else f"no {DEFAULT_RESOURCES!r} entry"
        raise ParamsError(f"{params.source}: resources: expected {DEFAULT_RESOURCES!r} and "
                          f"entries for stages of {names}, got {got}")
    return params


def instances(stage: Stage, params: Params) -> list[Wildcards]:
    """The wildcard values of every job of ``stage``: one per enabled project (and tuning
    worker), or one for the whole pipeline."""
    if stage.scope == "all":
        return [{"project": ALL}]
    if stage.scope == "worker":
        return [{"project": p, "worker": k} for p in params.projects
                for k in range(params.project(p).tune.workers)]
    return [{"project": p} for p in params.projects]


def fill(template: str, wildcards: Wildcards) -> str:
    return template.format(**{"worker": "", **wildcards})


def source(reference: str) -> tuple[Stage, Output]:
    """The stage and output a ``"stage.output"`` input names."""
    stage_name, _, output = reference.partition(".")
    stage = BY_NAME[stage_name]
    return stage, stage.outputs[output]


def score_outputs(stage: Stage, gather: Gather) -> list[tuple[Stage, str]]:
    """The (stage, output name) pairs a gathering input collects, enabled or not."""
    scopes = ("project", "all") if gather.across_projects else ("project",)
    return [(other, name) for other in STAGES if other.scope in scopes and other is not stage
            for name, out in other.outputs.items() if out.scores]


def input_paths(stage: Stage, wildcards: Wildcards, params: Params) -> dict[str, Any]:
    """Each node argument's file, or list of files (every worker's output, a gathering)."""
    paths: dict[str, Any] = {}
    for argument, reference in stage.inputs.items():
        if isinstance(reference, Section):
            continue  # params, not a file: its keys are the job's params keys
        if isinstance(reference, Gather):
            paths[argument] = [
                fill(other.outputs[name].path, wc) for other, name in
                score_outputs(stage, reference) for wc in instances(other, params)
                if reference.across_projects or wc["project"] == wildcards["project"]]
            continue
        other, output = source(reference)
        if other.scope == "worker" and stage.scope != "worker":
            paths[argument] = [fill(output.path, wc) for wc in instances(other, params)
                               if wc["project"] == wildcards["project"]]
        else:
            paths[argument] = fill(output.path, wildcards)
    return paths


def writes_project_params(stage: Stage) -> bool:
    """Whether ``stage`` writes the project params: the files DVC reads each job's params and
    code digest from."""
    return any(out.project_params for out in stage.outputs.values())


def project_params_writer() -> Stage:
    return next(stage for stage in STAGES if writes_project_params(stage))


def project_keys(stage: Stage) -> list[str]:
    """The keys of the project params a per-project stage reads: ``{project}.<key>`` as
    ``<key>``, a top-level key (``seed``) as itself, which the writer copies there."""
    writer = project_params_writer()
    missing = [key for key in stage.params if not key.startswith("{project}.")
               and key not in writer.params]
    if missing:
        raise ValueError(f"{stage.name} reads {missing}, which {writer.name} does not copy "
                         "into the project params: add them to its params")
    return [key.split(".", 1)[1] if key.startswith("{project}.") else key
            for key in stage.params]


def code_files(stage: Stage) -> tuple[str, ...]:
    """The source files (relative to ``src/dlpipe``) a job of ``stage`` runs (see
    :mod:`dlpipe.pipeline.code`); the code stage reads those of every stage."""
    own = code.code_files(stage, file_suffixes(stage))
    if stage.name != CODE_STAGE:
        return own
    return tuple(sorted(set(own).union(*(code_files(other) for other in STAGES
                                         if other is not stage))))


def code_paths(stage: Stage) -> list[str]:
    """:func:`code_files` as paths relative to the repository."""
    return [f"{PKG}/{name}" for name in code_files(stage)]


def code_digest(stage: Stage) -> str:
    """One digest of the source files a job of ``stage`` runs: the stage re-runs when it
    changes (a Snakemake param; for DVC a key of the stage's params file), and it names the
    Optuna study."""
    digests = "".join(hashlib.sha256((code.PACKAGE / name).read_bytes()).hexdigest()
                      for name in code_files(stage))
    return hashlib.sha256(digests.encode()).hexdigest()[:12]


def follows_digest(stage: Stage) -> bool:
    """Whether DVC follows ``stage``'s code through its digest (a per-project job: the code
    stage writes the digests, ``resolve`` copies them into each stage's params file) rather
    than through its source files (a once-only stage, the code stage among them)."""
    return stage.scope != "all"


def code_digests() -> dict[str, str]:
    """:func:`code_digest` of every stage that :func:`follows_digest`, by stage name."""
    return {stage.name: code_digest(stage) for stage in STAGES if follows_digest(stage)}


def has_own_params_file(stage: Stage) -> bool:
    """Whether DVC follows ``stage``'s params and code through a params file of its own, which
    the writer of the project params writes: every per-project stage but that writer."""
    return follows_digest(stage) and not writes_project_params(stage)


def digests() -> dict[str, dict[str, dict]]:
    """The code stage's node: what DVC follows of each per-project stage, its
    :func:`code_digests` and its :func:`project_keys` (a source file that changes neither
    leaves the file as it was, so DVC re-runs only what an edit reaches)."""
    return {"digests": {"code": code_digests(),
                        "keys": {stage.name: project_keys(stage) for stage in STAGES
                                 if has_own_params_file(stage)}}}


def file_suffixes(stage: Stage) -> frozenset[str]:
    """The suffixes of the files ``stage`` reads and writes ("" for a directory)."""
    paths = [out.path for out in stage.outputs.values()]
    for reference in stage.inputs.values():
        if isinstance(reference, str):
            paths.append(source(reference)[1].path)
        elif isinstance(reference, Gather):
            paths += [other.outputs[name].path for other, name in score_outputs(stage, reference)]
    return frozenset(PurePosixPath(path).suffix for path in paths)


def deps(stage: Stage, wildcards: Wildcards, params: Params) -> list[str]:
    """Every file the job reads: its inputs, then its source files unless it
    :func:`follows_digest` (one value per job instead of dozens of files)."""
    files: list[str] = []
    for value in input_paths(stage, wildcards, params).values():
        files += value if isinstance(value, list) else [value]
    return files + ([] if follows_digest(stage) else code_paths(stage))


def output_paths(stage: Stage, wildcards: Wildcards) -> dict[str, str]:
    return {name: fill(out.path, wildcards) for name, out in stage.outputs.items()}


def reads_section(stage: Stage) -> bool:
    """Whether the stage reads the project's whole params section (a ``Section()`` input)."""
    return any(isinstance(reference, Section) for reference in stage.inputs.values())


def param_keys(stage: Stage, project: str) -> list[str]:
    """The params.yaml keys the job depends on: its declared keys, and for a stage that reads
    the project's whole section, ``defaults``, ``task_defaults`` and the section."""
    section = ["defaults", "task_defaults", project] if reads_section(stage) else []
    return [key.format(project=project) for key in stage.params] + section


def param_arguments(stage: Stage, params: Params, project: str) -> dict[str, Any]:
    """The declared params keys' validated values, each by its last key component."""
    values: dict[str, Any] = {}
    for key in (key.format(project=project) for key in stage.params):
        parts = key.split(".")
        node: Any = params.project(parts[0]) if parts[0] == project else getattr(params, parts[0])
        for part in parts[1:]:
            node = getattr(node, part)
        values[parts[-1]] = node
    return values


def command(stage: Stage, wildcards: Wildcards, params_file: str = DEFAULT_PARAMS) -> str:
    """The shell command both front ends run (the CLI writes its own log)."""
    worker = f" --worker {wildcards['worker']}" if stage.scope == "worker" else ""
    other = f" --params {params_file}" if params_file != DEFAULT_PARAMS else ""
    return f"python -m dlpipe {stage.name} {wildcards['project']}{worker}{other}"


def log_path(stage: Stage, wildcards: Wildcards) -> str:
    suffix = f"-{wildcards['worker']}" if stage.scope == "worker" else ""
    return f"logs/{wildcards['project']}/{stage.name}{suffix}.log"


def jobs(params: Params) -> list[dict[str, Any]]:
    """Every job of the pipeline for the enabled projects, resolved."""
    return [{"stage": stage.name, **wc, "cmd": command(stage, wc, params.source),
             "deps": deps(stage, wc, params), "params": param_keys(stage, wc["project"]),
             "outs": list(output_paths(stage, wc).values()), "log": log_path(stage, wc)}
            for stage in STAGES for wc in instances(stage, params)]
