"""The compiled predictor against the bundle it is compiled from, on every project of a
finished run: the same labels and the largest probability difference on the project's whole
test part, and the time of a single-row call of each (median and p99).

Both predict through the schema check, as the server does (``predict_proba``); the bundle runs
as the server ran it before (its network as a traced graph). Rows are the projects' test rows
(``<root>/data/interim/<project>/test.parquet``, label column dropped).

    python bench/bench_compiled.py --root /path/to/finished/run [--calls 300]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import finished_run_args
from dlpipe.bundle.compiled import TOLERANCE, compile_bundle
from dlpipe.bundle.graph import as_graph
from dlpipe.bundle.inference import load_bundle


def test_rows(root: Path, project: str) -> pd.DataFrame:
    frame = pd.read_parquet(root / "data" / "interim" / project / "test.parquet")
    return frame.drop(columns=["target"], errors="ignore")


def call_times(predict, frame: pd.DataFrame, calls: int) -> tuple[float, float]:
    """Median and p99 milliseconds of ``calls`` single-row calls (rows taking turns)."""
    singles = [frame.iloc[[k % len(frame)]] for k in range(calls)]
    for one in singles[:20]:
        predict(one)
    seconds = []
    for one in singles:
        started = time.perf_counter()
        predict(one)
        seconds.append(time.perf_counter() - started)
    return float(np.median(seconds) * 1e3), float(np.quantile(seconds, 0.99) * 1e3)


def main() -> int:
    args, root, projects = finished_run_args(__doc__, 300, "single-row calls of each")
    print(f"tolerance: max |dp| <= {TOLERANCE:g} (relative to a value's size)")
    for project in projects:
        bundle = as_graph(load_bundle(project, root))
        compiled = compile_bundle(bundle)
        frame = test_rows(root, project)
        expected, got = bundle.predict_proba(frame), compiled.predict_proba(frame)
        gap = float(np.max(np.abs(expected - got)))
        same = (not bundle.classes
                or bool(np.array_equal(bundle.label_names(expected), bundle.label_names(got))))
        ref50, ref99 = call_times(bundle.predict_proba, frame, args.calls)
        new50, new99 = call_times(compiled.predict_proba, frame, args.calls)
        print(f"{project:10s} {compiled.path}")
        print(f"{'':10s} {len(frame)} test rows: labels equal {same}, max |dp| {gap:.2g}; "
              f"one row: bundle median {ref50:.3f} ms p99 {ref99:.3f}, compiled median "
              f"{new50:.3f} ms p99 {new99:.3f} ({ref50 / new50:.1f}x)")
        for note in compiled.notes:
            print(f"{'':10s} not compiled: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
