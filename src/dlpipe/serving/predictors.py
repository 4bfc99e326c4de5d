"""What the server predicts each project's rows with, worked out once at start: the compiled
predictor of every served bundle (:mod:`dlpipe.bundle.compiled`), whether a project's rows are
read into :class:`~dlpipe.row_columns.RowColumns` (every bundle that may see them is predicted
wholly in NumPy), and whether a small request is answered on the event loop."""

from __future__ import annotations

import logging

from dlpipe.bundle.compiled import compile_bundle
from dlpipe.bundle.inference import Bundle

log = logging.getLogger("dlpipe.serve")


def predictors(bundles: dict, challengers: dict) -> dict:
    """The compiled predictor of every served bundle (champions, challengers), by the bundle's
    id; the path each takes is logged once. Anything else with a ``predict_proba`` predicts
    as it is."""
    found = {}
    for bundle in [*bundles.values(), *(c.bundle for c in challengers.values())]:
        if not isinstance(bundle, Bundle):
            found[id(bundle)] = bundle
            continue
        compiled = compile_bundle(bundle)
        log.info("%s (version %s): predicting through %s", bundle.project,
                 bundle.version or "-", compiled.path)
        found[id(bundle)] = compiled
    return found


def numpy_only(state, project: str) -> bool:
    """Whether each bundle that may answer (or shadow) a request to ``project`` is predicted
    wholly in NumPy: its rows are read into RowColumns, not a table."""
    challenger = state.challengers.get(project)
    answering = [state.bundles[project], *([challenger.bundle] if challenger else [])]
    return all(getattr(state.predictors[id(b)], "fully_compiled", False) for b in answering)


def inline_ok(state, project: str) -> bool:
    """Whether a small request to ``project`` may be answered on the event loop: it is
    predicted wholly in NumPy, and its monitor does not wait for a disk flush."""
    fsync = project in state.monitors and state.limits.monitor.fsync
    return not fsync and state.numpy_only[project]


def inline(state, project: str, body: bytes) -> bool:
    """Whether this request is answered on the event loop (see :func:`inline_ok`)."""
    return len(body) <= state.limits.inline_body_bytes and state.inline[project]
