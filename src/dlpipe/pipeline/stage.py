"""How a stage is declared: one row of the stage table (:mod:`dlpipe.pipeline.table`).

A row names the node (a pure function), what it reads (outputs of other stages), the params keys
it is given and what it returns (each output with its path and kind, plot data with how to draw
it). Everything else (paths, reading, writing, logging, both front ends) follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal, Mapping, Union

Scope = Literal["project", "worker", "all"]


@dataclass(frozen=True)
class PlotProps:
    """How ``dvc plots`` draws a plot-data output: ``y`` against ``x``; the ``series`` template
    (``.dvc/plots/series.json``) draws one line per value of the file's ``series`` column."""

    x: str
    y: str
    title: str
    template: str = "series"


@dataclass(frozen=True)
class Output:
    """One thing a node returns, written to ``path`` (``{project}``, ``{worker}`` filled in).

    The suffix picks the format (``.parquet``, ``.csv``, ``.json``, ``.yaml``, ``.png``,
    ``.keras``, ``.skops``, ``.tflite``, ``.md``); a path without one is a directory,
    returned as a mapping of file name to content (and read back as one).
    """

    path: str
    cache: bool = True  # False: a small text file kept in git (metrics, plot data, tables)
    metric: bool = False  # a `dvc metrics` file: metrics only, no settings or seconds
    scores: bool = False  # score rows, gathered by the stages that tabulate them
    figure: bool = False  # PNG figure(s): in Snakemake's report and a DVC image plot
    plot: PlotProps | None = None  # plot data `dvc plots` draws
    project_params: bool = False  # the project's params after merging defaults

    @property
    def is_directory(self) -> bool:
        return not PurePosixPath(self.path).suffix

    @property
    def verified(self) -> bool:
        """A cached directory (a model bundle, LiteRT files, a drift reference) carries a
        manifest of its files' sha256, checked when a model is loaded from it."""
        return self.is_directory and self.cache and not self.figure


def data(path: str) -> Output:
    """A data set, model or other large artefact: in the DVC cache."""
    return Output(path)


def text(path: str) -> Output:
    """A small text artefact (a table, run information): kept in git."""
    return Output(path, cache=False)


def metrics(path: str) -> Output:
    return Output(path, cache=False, metric=True)


def scores(path: str) -> Output:
    return Output(path, cache=False, scores=True)


def figure(path: str) -> Output:
    return Output(path, figure=True)


def plot(path: str, x: str, y: str, title: str, template: str = "series") -> Output:
    return Output(path, cache=False, plot=PlotProps(x, y, title, template))


def project_params(path: str) -> Output:
    return Output(path, cache=False, project_params=True)


@dataclass(frozen=True)
class Gather:
    """An input holding every ``scores`` output of the enabled jobs: those of the job's own
    project, or with ``across_projects`` those of the whole pipeline. The node gets a list of
    tables."""

    across_projects: bool = False


@dataclass(frozen=True)
class Section:
    """An input holding the project's params section, merged over ``defaults`` and validated:
    the stage reads the params file itself (and re-runs when any of it changes)."""


# "stage.output" (of a per-worker stage: the list of every worker's output), a gathering, or
# the project's params section
Input = Union[str, Gather, Section]


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
    outputs: Mapping[str, Output]
    inputs: Mapping[str, Input] = field(default_factory=dict)
    params: tuple[str, ...] = ()  # params.yaml key paths; "{project}" is the job's project
    scope: Scope = "project"  # per project, per project and tuning worker, or once
    state: str | None = None  # a file kept across runs, not an output (the Optuna journal)
    # source files (below src/dlpipe) the results depend on beyond what the node imports;
    # the imports are followed by dlpipe.pipeline.code
    code: tuple[str, ...] = ()
    # its node trains networks, on the Keras backend its params name (every other stage loads
    # saved networks with TensorFlow)
    trains: bool = False

    @property
    def function(self) -> str:
        return self.node.partition(":")[2]
