"""resolve: the project's params section, merged over ``defaults`` and validated, as one file
for people to read, and for each of its stages the values it reads and its code digest (from
the code stage), one small file per stage.

DVC tracks each stage's own file whole, so a stage re-runs exactly when a value it reads
changes, whether the project states it or inherits it from ``defaults``, or when a source file
its jobs run changes; a file of a few keys per stage keeps a no-op ``dvc status`` cheap. The
top-level keys the project's stages read (``seed``) are copied in too, so DVC needs no other
params file for them.
"""

from __future__ import annotations

from typing import Any

from dlpipe.params import ProjectParams

PROJECT_FILE = "project.json"  # the whole merged section; no stage tracks it


def _picked(values: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The dotted ``keys`` of ``values``, nested as they are there."""
    picked: dict[str, Any] = {}
    for key in keys:
        *parents, last = key.split(".")
        source, target = values, picked
        for part in parents:
            source, target = source[part], target.setdefault(part, {})
        target[last] = source[last]
    return picked


def resolve(section: ProjectParams, digests: dict[str, dict], seed: int) -> dict:
    """``digests``: the code stage's ``code`` digest and params ``keys`` of each stage, by
    name."""
    values = {"seed": seed, **section.model_dump(mode="json")}
    files = {f"{stage}.json": {**_picked(values, keys), "code": digests["code"][stage]}
             for stage, keys in digests["keys"].items()}
    return {"params": {PROJECT_FILE: values, **files}}
