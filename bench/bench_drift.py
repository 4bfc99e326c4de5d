"""The drift check against its targets on a finished pipeline's projects (read-only under ROOT).

For price and iris, over 20 seeds:

- false alarms: rows drawn from the test part (i.i.d. with the training part, so any alarm is
  false) checked against a reference built in-process by the reference stage's function from
  ROOT's training part and bundle. Target: at most 1 in 20 (alpha is 0.05).
- detection: the same rows with one informative column shifted by +0.5 training standard
  deviations. The column is the most important by permutation in ROOT's
  ``reports/<p>/explain/importance.csv`` when that file exists, else :data:`FALLBACK`.
  Target: at least 19 in 20, the column named.

How the rows are drawn (``--sampling``):

- ``split`` (default): per seed the test part is split in two halves; one half is the new
  rows, the model's outputs on the other half are the output reference. No row is both, so
  every test sees two independent samples, as the p-values assume. Halves are small (iris: 15
  rows, below drift.min_rows, which gates only the CLI and the server: the bench calls the
  report directly).
- ``bootstrap``: per seed the new rows are a bootstrap sample of the test part (its size), and
  the output reference is the model's outputs on the whole test part. The output tests then
  compare a sample with its own source (conservative: fewer alarms), while the input tests see
  duplicated rows, whose empirical distribution wanders further from the population than a
  fresh sample's (anti-conservative: more alarms).

Then, for price and mnist, the wall time of one check of 10 000 rows drawn with replacement
from the test part (schema check, model outputs, every test), the network run as a graph as
the drift command and the server run it: median and range of 3 repeats.
Target: under 5 s. Nothing is written; nothing is asserted.

    python bench/bench_drift.py --root /work/main [--params params.yaml] [--sampling both]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import REPO  # noqa: E402  (it puts src/ on the path)
import dlpipe  # noqa: E402,F401  (pins the CPU kernels before NumPy loads)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from dlpipe.bundle.graph import as_graph  # noqa: E402
from dlpipe.bundle.inference import load_bundle  # noqa: E402
from dlpipe.insight.drift import SUMMARY, build_reference, drift_report  # noqa: E402
from dlpipe.cli.options import drift_params, read_params  # noqa: E402

SEEDS = 20
SHIFT = 0.5  # training standard deviations
FALLBACK = {"price": "ram", "iris": "petal length"}  # a column name, or a part of one
TIMED_ROWS, REPEATS = 10_000, 3


def parts(root: Path, project: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    where = root / "data" / "interim" / project
    return pd.read_parquet(where / "train.parquet"), pd.read_parquet(where / "test.parquet")


def informative(root: Path, project: str, names: list[str]) -> tuple[str, str]:
    """The column to shift and where its choice comes from."""
    path = root / "reports" / project / "explain" / "importance.csv"
    if path.is_file():
        table = pd.read_csv(path)
        if "method" in table.columns:
            table = table[table["method"] == "permutation"]
        if {"feature", "mean"} <= set(table.columns) and len(table):
            top = str(table.sort_values("mean", ascending=False)["feature"].iloc[0])
            if top in names:
                return top, f"{path} (permutation)"
    wanted = FALLBACK[project]
    return next(n for n in names if wanted in n), "fallback (no usable importance file)"


def draws(test: pd.DataFrame, seed: int, sampling: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(new rows, rows whose model outputs are the output reference) for one seed."""
    rng = np.random.default_rng(seed)
    if sampling == "bootstrap":
        return test.iloc[rng.integers(0, len(test), len(test))].reset_index(drop=True), test
    order = rng.permutation(len(test))
    half = len(test) // 2
    return (test.iloc[order[:half]].reset_index(drop=True),
            test.iloc[order[half:]].reset_index(drop=True))


def alarms(root: Path, project: str, params, sampling: str) -> None:
    bundle = load_bundle(project, root)
    train, test = parts(root, project)
    column, source = informative(root, project, bundle.schema.names)
    false_alarms = detected = named = 0
    sizes = []
    for seed in range(SEEDS):
        new, held_out = draws(test, seed, sampling)
        reference = build_reference(bundle, train, held_out, seed, params)
        false_alarms += drift_report(bundle, reference, new, params)["drift"]
        shifted = new.assign(**{column: new[column] + SHIFT * reference[SUMMARY]["std"][column]})
        report = drift_report(bundle, reference, shifted, params)
        detected += report["drift"]
        named += column in report["drifted"]
        sizes.append(len(new))
    print(f"{project:<6} {sampling:<9} rows {sizes[0]:>4}  false alarms {false_alarms:>2}/{SEEDS} "
          f"(target <= 1)  detected {detected:>2}/{SEEDS}, {column!r} named {named:>2}/{SEEDS} "
          f"(target >= 19)  [column: {source}]")


def timing(root: Path, project: str, params) -> None:
    bundle = as_graph(load_bundle(project, root))  # as `dlpipe drift` and the server run it
    train, test = parts(root, project)
    reference = build_reference(bundle, train, test, 0, params)
    rng = np.random.default_rng(0)
    seconds, tests = [], 0
    for _ in range(REPEATS):
        rows = test.iloc[rng.integers(0, len(test), TIMED_ROWS)].reset_index(drop=True)
        start = time.perf_counter()
        assert not bundle.check(rows)
        report = drift_report(bundle, reference, rows, params)
        seconds.append(time.perf_counter() - start)
        tests = report["tests"]
    print(f"{project:<6} one check of {TIMED_ROWS} rows ({tests} tests, reference "
          f"{len(reference['rows.parquet'])} rows): median {np.median(seconds):.2f} s, range "
          f"{min(seconds):.2f}-{max(seconds):.2f} s over {REPEATS} repeats (target < 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a repository with trained bundles")
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    parser.add_argument("--sampling", choices=["split", "bootstrap", "both"], default="both")
    args = parser.parse_args()
    root = Path(args.root)
    params = drift_params(read_params(args.params), ["iris", "price", "mnist"])
    print(f"drift params: {params['price'].model_dump()}")
    for sampling in (["split", "bootstrap"] if args.sampling == "both" else [args.sampling]):
        for project in ("price", "iris"):
            alarms(root, project, params[project], sampling)
    for project in ("price", "mnist"):
        timing(root, project, params[project])


if __name__ == "__main__":
    main()
