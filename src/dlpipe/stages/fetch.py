"""fetch: the verified raw table of a project (cache, mirror or online source)."""

from __future__ import annotations

from dlpipe import datasets
from dlpipe.params import DataParams


def fetch(data: DataParams, class_names: dict | None, unlabelled_rows: str, task: str,
          image_shape: list[int] | None, project: str) -> dict:
    """The raw table, its content checksum verified against ``data.sha256``, the label's
    values named by ``class_names`` (a regression ``task``: read as numbers), rows without a
    label refused or dropped as ``unlabelled_rows`` says; a folder of images as pixel columns
    at ``image_shape``, the network's input."""
    return {"raw": datasets.load(project, data, class_names=class_names,
                                 unlabelled_rows=unlabelled_rows, task=task,
                                 image_shape=image_shape)}
