"""A pytest plugin for bench_dag_workers.py: on pytest-xdist's controller, the span of every
test file (its first setup's start to its last teardown's end) and the worker that ran it,
written as JSON to the path in ``DLPIPE_BENCH_TIMELINE`` when the session ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

SPANS: dict[str, dict] = {}


def pytest_runtest_logreport(report) -> None:
    node = getattr(report, "node", None)  # set on the controller only
    if node is None:
        return
    span = SPANS.setdefault(report.nodeid.split("::")[0],
                            {"start": report.start, "end": report.stop, "worker": node.gateway.id})
    span["start"], span["end"] = min(span["start"], report.start), max(span["end"], report.stop)


def pytest_sessionfinish(session) -> None:
    if SPANS and "DLPIPE_BENCH_TIMELINE" in os.environ:
        Path(os.environ["DLPIPE_BENCH_TIMELINE"]).write_text(json.dumps(SPANS))
