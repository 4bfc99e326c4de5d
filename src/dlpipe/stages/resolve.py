"""resolve: the project's params section, merged over ``defaults`` and validated, and the code
digest of each of its stages (from the code stage), as one file.

DVC tracks each stage's params keys and its code digest (``code.<stage>``) in this file, so a
stage re-runs exactly when a value it reads changes, whether the project states it or inherits
it from ``defaults``, or when a source file its jobs run changes. The top-level keys the
project's stages read (``seed``) are copied in too, so DVC needs no other params file for them.
"""

from __future__ import annotations

from dlpipe.params import ProjectParams


def resolve(section: ProjectParams, digests: dict[str, str], seed: int) -> dict:
    """``digests``: the code stage's digest of each stage, by name."""
    return {"params": {"seed": seed, **section.model_dump(mode="json"), "code": digests}}
