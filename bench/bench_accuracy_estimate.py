"""The accuracy estimated without labels (``/metrics``' ``dlpipe_estimated_accuracy``) against
the true accuracy, on 500-row chunks of a finished pipeline's test parts, for price and mnist.

The reference is built in-process by the reference stage's function from ROOT's bundle and
parts. Per seed the test part is split in two halves: one half's reference outputs calibrate
(the role the whole test part's play in the server), the other half gives the chunks (500 rows
drawn with replacement), so no row does both. Shifts, applied to the chunk rows only:

- price: bench_drift's +0.5 training standard deviations added to its most informative column,
  each row keeping its label. For a column that sets the class this is a concept shift (the
  same inputs now carry other labels), which no estimate from inputs can follow. Beside it a
  covariate shift of that column: rows drawn with weights exp(0.5 z) of its standardised
  value, so the inputs move towards high values and each keeps its own, true label.
- mnist: the digit moved 2 pixels right and 2 down, and fainter ink (every pixel times 0.4, and
  times 0.25). What a digit is stays, so these are covariate shifts. The CNN hardly notices
  the move; the fainter ink lowers its accuracy, which the estimate has to follow.

Target: the estimate within 2 accuracy points of the chunk's true accuracy on at least 90 % of
the chunks of every project and shift. Beside it "reachable", the share an exact calibration
would get: a chunk's 500 outcomes scatter around their expectation by the estimate's own
standard error (up to sqrt(a (1 - a) / 500), 1.8 points at accuracy a = 0.8), so the lower the
accuracy, the less of the target any estimate can meet. And "naive", the share for the
calibration half's own accuracy taken as the estimate, which no shift moves. Nothing is
written; nothing is asserted.

    python bench/bench_accuracy_estimate.py --root /path/to/finished/run [--seeds 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import REPO  # noqa: E402  (it puts src/ on the path)
import dlpipe  # noqa: E402,F401  (pins the CPU kernels before NumPy loads)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.special import erf  # noqa: E402

from bench_drift import SHIFT, informative, parts  # noqa: E402
from dlpipe.bundle.graph import as_graph  # noqa: E402
from dlpipe.bundle.inference import load_bundle  # noqa: E402
from dlpipe.cli.options import drift_params, read_params  # noqa: E402
from dlpipe.insight.accuracy_estimate import from_reference, predicted_probability  # noqa: E402
from dlpipe.insight.drift import OUTPUTS, build_reference  # noqa: E402

CHUNK, CHUNKS_PER_SEED, POINTS, TARGET = 500, 20, 0.02, 0.90
MOVE, INKS = 2, (0.4, 0.25)  # pixels right and down; ink scales
HEADER = (f"{'project':<7} {'shift':<30} {'chunks':>6} {'true accuracy: mean, range':>27} "
          f"{'mean |err|':>10} {'mean err':>9} {'within 2':>8}  {'target >= 90 %':<14} "
          f"{'reachable':>9} {'naive':>6}")


def table_cases(root: Path, project: str, bundle, train: pd.DataFrame, test: pd.DataFrame
                ) -> list[tuple[str, pd.DataFrame, np.ndarray | None]]:
    """(name, shifted rows, chunk draw weights or None) of a table project."""
    column, _ = informative(root, project, bundle.schema.names)
    mean, std = float(train[column].mean()), float(train[column].std())
    moved = test.assign(**{column: test[column] + SHIFT * std})
    tilt = np.exp(SHIFT * (test[column].to_numpy(np.float64) - mean) / std)
    return [(f"+{SHIFT} sd {column}, labels kept", moved, None),
            (f"tilted to high {column}", test, tilt)]


def image_cases(bundle, test: pd.DataFrame) -> list[tuple[str, pd.DataFrame, None]]:
    """(name, shifted rows, None) of an image project (uint8 pixels, one channel)."""
    names = bundle.schema.names
    height, width = bundle.schema.image_shape[:2]
    images = test[names].to_numpy().reshape(len(test), height, width)

    def rows(pixels: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(pixels.reshape(len(test), -1).astype(np.uint8), columns=names)

    moved = np.zeros_like(images)
    moved[:, MOVE:, MOVE:] = images[:, :-MOVE, :-MOVE]
    return [(f"moved {MOVE} px right and down", rows(moved), None),
            *[(f"ink x {ink}", rows(np.round(images * ink)), None) for ink in INKS]]


def chunk_errors(outputs: pd.DataFrame, right: np.ndarray, probability: np.ndarray,
                 weights: np.ndarray | None, seeds: int) -> dict[str, np.ndarray]:
    """Per chunk: the estimate's error and standard error, the naive estimate's error and
    the true accuracy; ``right``
    and ``probability`` are the (shifted) rows' correctness and predicted-class probability."""
    errors, naive, truths, spreads = [], [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(outputs))
        fit, held = order[: len(outputs) // 2], order[len(outputs) // 2:]
        calibration = from_reference(outputs.iloc[fit])
        known = float((outputs["predicted"] == outputs["actual"]).iloc[fit].mean())
        chances = None if weights is None else weights[held] / weights[held].sum()
        for _ in range(CHUNKS_PER_SEED):
            chunk = rng.choice(held, CHUNK, replace=True, p=chances)
            truth = float(right[chunk].mean())
            estimate, spread = calibration.estimate(probability[chunk])
            errors.append(estimate - truth)
            spreads.append(spread)
            naive.append(known - truth)
            truths.append(truth)
    return {"error": np.array(errors), "naive": np.array(naive), "truth": np.array(truths),
            "spread": np.array(spreads)}


def line(project: str, name: str, found: dict[str, np.ndarray]) -> str:
    error, truth = found["error"], found["truth"]
    within = float(np.mean(np.abs(error) <= POINTS))
    naive = float(np.mean(np.abs(found["naive"]) <= POINTS))
    verdict = "met" if within >= TARGET else "MISSED"
    reachable = float(np.mean(erf(POINTS / (found["spread"] * np.sqrt(2)))))
    return (f"{project:<7} {name[:30]:<30} {len(error):>6} {truth.mean():>13.3f}, "
            f"{truth.min():.3f}-{truth.max():.3f} "
            f"{np.abs(error).mean() * 100:>10.2f} {error.mean() * 100:>+9.2f} {within:>8.1%}  "
            f"{verdict:<14} {reachable:>9.1%} {naive:>6.1%}")


def prepared(root: Path, project: str, params) -> tuple:
    """(bundle, the reference's outputs on the test part, the cases: no shift first)."""
    bundle = as_graph(load_bundle(project, root))  # as the server runs it
    train, test = parts(root, project)
    outputs = build_reference(bundle, train, test, 0, params)[OUTPUTS]
    cases = [("none", test, None)]
    cases += (image_cases(bundle, test) if bundle.schema.image_shape is not None
              else table_cases(root, project, bundle, train, test))
    return bundle, outputs, cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a finished pipeline (models/, data/)")
    parser.add_argument("--params", default=str(REPO / "params.yaml"))
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    params = drift_params(read_params(args.params), ["price", "mnist"])
    print(f"{CHUNK}-row chunks, {CHUNKS_PER_SEED} per seed, {args.seeds} seeds; errors in "
          f"accuracy points (estimate - truth); within 2: share of chunks within {POINTS * 100:.0f}"
          f" points; reachable: the share an exact calibration would get, its error being the "
          f"chunk's sampling error alone; naive: the share of the calibration half's own "
          f"accuracy as the estimate")
    print(HEADER)
    for project in ("price", "mnist"):
        bundle, outputs, cases = prepared(root, project, params[project])
        actual = outputs["actual"].to_numpy()
        for name, rows, weights in cases:
            proba = bundle.probabilities(rows)
            right = bundle.label_names(proba) == actual
            found = chunk_errors(outputs, right, predicted_probability(bundle, proba), weights,
                                 args.seeds)
            print(line(project, name, found), flush=True)


if __name__ == "__main__":
    main()
