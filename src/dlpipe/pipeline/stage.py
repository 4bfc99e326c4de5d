"""How a stage is declared: one row of the stage table (:mod:`dlpipe.pipeline.table`).

A row names the node (a pure function), what it reads (outputs of other stages), the params keys
it is given, what it returns (each output with its path and kind) and the ``dvc plots`` drawn from
its outputs. Everything else (paths, reading, writing, logging, both front ends) follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal, Mapping, Union

Scope = Literal["project", "worker", "all"]


@dataclass(frozen=True)
class Output:
    """One thing a node returns, written to ``path`` (``{project}``, ``{worker}`` filled in).

    The suffix picks the format (``.parquet``, ``.csv``, ``.json``, ``.png``, ``.keras``, ``.md``);
    a path without one is a directory, returned as a mapping of file name to content.
    """

    path: str
    cache: bool = True  # False: a small text file kept in git (metrics, plot data, tables)
    metric: bool = False  # a `dvc metrics` file: metrics only, no settings or seconds
    results: bool = False  # tidy score rows, gathered by the stages that tabulate results
    figure: bool = False  # PNG figure(s): in Snakemake's report and a DVC image plot

    @property
    def is_directory(self) -> bool:
        return not PurePosixPath(self.path).suffix


def data(path: str) -> Output:
    """A data set, model or other large artefact: in the DVC cache."""
    return Output(path)


def text(path: str) -> Output:
    """A small text artefact (plot data, a table, run information): kept in git."""
    return Output(path, cache=False)


def metrics(path: str) -> Output:
    return Output(path, cache=False, metric=True)


def results(path: str) -> Output:
    return Output(path, cache=False, results=True)


def figure(path: str) -> Output:
    return Output(path, figure=True)


@dataclass(frozen=True)
class Gather:
    """An input holding every ``results`` output of the enabled jobs: those of the job's own
    project, or with ``across_projects`` those of the whole pipeline. The node gets a list of
    tables."""

    across_projects: bool = False


# "stage.output" (of a per-worker stage: the list of every worker's output), or a gathering
Input = Union[str, Gather]


@dataclass(frozen=True)
class Plot:
    """A ``dvc plots`` definition drawn from this stage's outputs.

    ``y`` maps an output name (``name/file.csv`` for a file inside a directory output) to the
    column(s) drawn. With ``foreach``, a key of the stage's params section whose mapping keys
    each fill ``{item}`` in ``y``'s file names (one curve per model, say).
    """

    id: str
    x: str
    y: Mapping[str, Union[str, tuple[str, ...]]]
    title: str
    template: str | None = None
    foreach: str | None = None


@dataclass(frozen=True)
class Stage:
    """One step of the DAG.

    ``node`` is ``"module:function"``; the runner calls it with the loaded ``inputs`` (by
    argument name), the values of the ``params`` keys (by their last component: ``seed``,
    ``split``, ``binary`` ...) and whichever of ``project``, ``worker``, ``journal`` and
    ``code_digest`` its signature names. It returns a dict with one entry per output.
    """

    name: str
    doc: str
    node: str
    code: tuple[str, ...]  # source files below src/dlpipe the results depend on
    outputs: Mapping[str, Output]
    inputs: Mapping[str, Input] = field(default_factory=dict)
    params: tuple[str, ...] = ()  # params.yaml key paths; "{project}" is the job's project
    plots: tuple[Plot, ...] = ()
    scope: Scope = "project"  # per project, per project and tuning worker, or once
    requires: str | None = None  # a project section the stage needs (e.g. "tasks")
    state: str | None = None  # a file kept across runs, not an output (the Optuna journal)

    @property
    def function(self) -> str:
        return self.node.partition(":")[2]
