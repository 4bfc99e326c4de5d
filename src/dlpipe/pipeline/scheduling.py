"""What the scheduler gets for each job: the resources params.yaml gives its stage (threads,
memory, runtime) and the priority it starts with among ready jobs."""

from __future__ import annotations

from dlpipe.params import Params
from dlpipe.params.schema import StageResources
from dlpipe.pipeline.stage import Stage
from dlpipe.pipeline.table import BY_NAME, STAGES

DEFAULT_RESOURCES = "default"  # the resources of a stage params.yaml gives none of its own


def resources(params: Params, stage: Stage) -> StageResources:
    """What a job of ``stage`` reserves: its own entry, else ``resources.default``."""
    return params.resources.get(stage.name, params.resources[DEFAULT_RESOURCES])


def memory(params: Params, stage: Stage, project: str) -> int:
    """The MB ``project``'s job of ``stage`` reserves."""
    return resources(params, stage).memory(project)


def priority(params: Params, stage: Stage, project: str) -> int:
    """The scheduler's priority of ``project``'s job of ``stage``: the highest of its own and of
    every stage that reads its outputs, directly or further down. Snakemake does not pass a
    priority on to the jobs a prioritised job waits for, so a job takes its readers' itself."""
    return max(resources(params, BY_NAME[name]).rank(project)
               for name in _with_readers(stage.name))


def _with_readers(name: str) -> set[str]:
    """``name`` and the names of every stage that reads its outputs, directly or further
    down."""
    found, pending = set(), [name]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending += [other.name for other in STAGES if current in _read_stages(other)]
    return found


def _read_stages(stage: Stage) -> set[str]:
    """The names of the stages whose outputs ``stage`` reads ("stage.output" inputs)."""
    return {reference.partition(".")[0] for reference in stage.inputs.values()
            if isinstance(reference, str)}
