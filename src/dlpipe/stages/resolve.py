"""resolve: the project's params section, merged over ``defaults`` and validated, as a file.

DVC tracks each stage's params keys in this file, so a stage re-runs exactly when a value it
reads changes, whether the project states it or inherits it from ``defaults``.
"""

from __future__ import annotations

from dlpipe.params import ProjectParams


def resolve(section: ProjectParams) -> dict:
    return {"params": section.model_dump(mode="json")}
