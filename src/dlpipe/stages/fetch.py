"""fetch: the verified raw table of a project, as ``data/raw/<project>.parquet``."""

from __future__ import annotations

from dlpipe import datasets
from dlpipe.io import write_parquet
from dlpipe.params import Params
from dlpipe.paths import path


def run(params: Params, project: str) -> None:
    frame = datasets.load(project, params.project(project).data)
    write_parquet(path("raw", project), frame)
