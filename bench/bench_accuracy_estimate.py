"""The accuracy estimated without labels (``/metrics``' ``dlpipe_estimated_accuracy``) against
the true accuracy, on 500-row chunks of a finished pipeline's test parts, for price and mnist.

Per seed the test part is split in two halves: one calibrates (the role the reference stage's
test-part outputs play in the server), the other gives the chunks (500 rows drawn with
replacement), so no row does both. Shifts: none; for price, bench_drift's +0.5 training
standard deviations added to its most informative column, the labels kept (for a column that
sets the class, a concept shift: the same inputs now carry other labels), and a covariate shift
of that column: rows drawn with weights exp(0.5 z) of its standardised value, so the inputs
move and each keeps its own label; for mnist, fainter ink (every pixel times 0.6) and the image
moved one pixel right (covariate shifts: what the pixels mean stays).
Target: the estimate within 2 accuracy points of the chunk's true accuracy on at least 90 % of
chunks. Beside it, the same fraction for the naive estimate, the calibration half's own
accuracy (what a shift would leave unnoticed). Nothing is written.

    python bench/bench_accuracy_estimate.py --root /path/to/finished/run [--seeds 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import REPO  # noqa: F401  (puts src/ on the path)
import dlpipe  # noqa: E402,F401  (pins the CPU kernels before NumPy loads)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench_drift import SHIFT, informative, parts  # noqa: E402
from dlpipe.bundle.inference import as_graph, load_bundle  # noqa: E402
from dlpipe.frames import split_xy  # noqa: E402
from dlpipe.insight.accuracy_estimate import calibrate, predicted_probability  # noqa: E402

CHUNK, CHUNKS_PER_SEED, POINTS, TARGET = 500, 20, 0.02, 0.90


def shifts(root: Path, project: str, bundle, train: pd.DataFrame) -> dict:
    """Name -> a function of the feature rows giving the shifted rows."""
    out = {"none": lambda x: x}
    if bundle.schema.image_shape is None:
        column, _ = informative(root, project, bundle.schema.names)
        step = SHIFT * float(train[column].std())
        out[f"+{SHIFT} sd {column}"] = lambda x: x.assign(**{column: x[column] + step})
        return out
    height, width = bundle.schema.image_shape[:2]
    names = bundle.schema.names

    def moved(x: pd.DataFrame) -> pd.DataFrame:
        images = x[names].to_numpy().reshape(len(x), height, width)
        images = np.roll(images, 1, axis=2)
        images[:, :, 0] = 0
        return pd.DataFrame(images.reshape(len(x), -1), columns=names, index=x.index)

    out["ink x0.6"] = lambda x: (x[names] * 0.6).round().astype(x[names].dtypes.iloc[0])
    out["moved 1 px"] = moved
    return out


def tilt(root: Path, project: str, bundle, train: pd.DataFrame, X: pd.DataFrame):
    """(name, row weights) of the covariate shift of a table's most informative column, or
    None for images."""
    if bundle.schema.image_shape is not None:
        return None
    column, _ = informative(root, project, bundle.schema.names)
    z = (X[column] - train[column].mean()) / train[column].std()
    return f"rows tilted exp({SHIFT} z) {column}", np.exp(SHIFT * z.to_numpy())


def run(root: Path, project: str, seeds: int) -> None:
    bundle = as_graph(load_bundle(project, root))
    train, test = parts(root, project)
    X, y = split_xy(test)
    proba = bundle.probabilities(X)
    labels = bundle.schema.decision.labels(proba)
    probability = predicted_probability(bundle, proba)
    cases = [(name, shift, None) for name, shift in shifts(root, project, bundle, train).items()]
    tilted = tilt(root, project, bundle, train, X)
    if tilted is not None:
        cases.append((tilted[0], lambda x: x, tilted[1]))
    for name, shift, weights in cases:
        shifted = bundle.probabilities(shift(X))
        shifted_right = bundle.schema.decision.labels(shifted) == y
        shifted_probability = predicted_probability(bundle, shifted)
        errors, truths, oracle = [], [], []
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            order = rng.permutation(len(X))
            fit, held = order[: len(X) // 2], order[len(X) // 2:]
            calibration = calibrate(probability[fit], labels[fit] == y[fit])
            chances = None if weights is None else weights[held] / weights[held].sum()
            known = float(np.mean(labels[fit] == y[fit]))  # the calibration rows' accuracy
            for _ in range(CHUNKS_PER_SEED):
                chunk = rng.choice(held, CHUNK, replace=True, p=chances)
                truth = float(shifted_right[chunk].mean())
                errors.append(calibration.estimate(shifted_probability[chunk])[0] - truth)
                oracle.append(abs(known - truth) <= POINTS)
                truths.append(truth)
        errors = np.abs(errors)
        within = float(np.mean(errors <= POINTS))
        print(f"{project:<6} {name:<22} chunks {len(errors):>4}  true accuracy "
              f"{min(truths):.3f}-{max(truths):.3f}  mean |error| {errors.mean() * 100:.2f} "
              f"points  within {POINTS * 100:.0f} points: {within:.1%} (target >= "
              f"{TARGET:.0%}: {'met' if within >= TARGET else 'MISSED'}); the test accuracy as the "
              f"estimate: {np.mean(oracle):.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(REPO), help="a finished pipeline (models/, data/)")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    for project in ("price", "mnist"):
        run(Path(args.root).resolve(), project, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
