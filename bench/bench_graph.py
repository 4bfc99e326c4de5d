"""The served graph against the eager network, on every network bundle of a finished run: does
the graph give the eager call's numbers bit for bit on the project's whole test part and on
single rows, and what a call of each costs (median milliseconds, one row and 64 rows), for the
graph as it is served (Grappler's arithmetic optimizer and remapper off) and for the graph with
TensorFlow's default rewrites.

Rows are the projects' test rows (``<root>/data/interim/<project>/test.parquet``), through the
bundle's transformer; the calls take turns, so a drift in the machine hits every variant.

    python bench/bench_graph.py --root /path/to/finished/run [--calls 200]
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from _common import finished_run_args
from dlpipe.bundle.files import NETWORK
from dlpipe.bundle.graph import Graph
from dlpipe.bundle.inference import load_bundle


def with_default_rewrites(model) -> Graph:
    """The graph as TensorFlow would optimise it, left to its defaults."""
    from tensorflow.python.eager import context

    graph = Graph(model)
    graph._options = context.context().function_call_options  # noqa: SLF001 (the comparison)
    return graph


def same(call, eager, X: np.ndarray) -> bool:
    return np.array_equal(np.asarray(call(X)), np.asarray(eager(X, training=False))) and all(
        np.array_equal(np.asarray(call(X[k:k + 1])), np.asarray(eager(X[k:k + 1],
                                                                      training=False)))
        for k in range(min(20, len(X))))


def main() -> int:
    args, root, projects = finished_run_args(__doc__, 200, "calls of each size and variant")
    print(f"{'project':10s} {'variant':18s} {'equal':>6s} {'1 row ms':>9s} {'64 rows ms':>11s}")
    for project in projects:
        bundle = load_bundle(project, root)
        if bundle.family != NETWORK:
            continue
        frame = pd.read_parquet(root / "data" / "interim" / project / "test.parquet")
        X = bundle.features(frame)
        eager = bundle.model
        variants = {"eager": lambda x: eager(x, training=False), "served graph": Graph(eager),
                    "default rewrites": with_default_rewrites(eager)}
        equal = {name: same(call, eager, X) for name, call in variants.items()}
        seconds = {(name, rows): [] for name in variants for rows in (1, 64)}
        for k in range(args.calls):
            for rows in (1, 64):
                start = (k * rows) % max(1, len(X) - rows)
                batch = X[start:start + rows]
                for name, call in variants.items():
                    started = time.perf_counter()
                    np.asarray(call(batch))
                    seconds[name, rows].append(time.perf_counter() - started)
        for name in variants:
            print(f"{project:10s} {name:18s} {str(equal[name]):>6s} "
                  f"{np.median(seconds[name, 1]) * 1e3:9.2f} "
                  f"{np.median(seconds[name, 64]) * 1e3:11.2f}")
        served = dataclasses.replace(bundle, model=variants["served graph"])
        assert np.array_equal(served.probabilities(frame), bundle.probabilities(frame))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
