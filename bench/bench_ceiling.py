"""How high can any model go on iris and price? Classical references against the Keras targets.

The Keras targets (iris 5-fold CV mean >= 0.973, price test >= 0.98) are compared with
what well-understood linear and kernel models reach on exactly the data the pipeline uses: the
real fetch and split stages run in a throw-away directory (data from the offline mirror), then
each reference model is scored

- on the pipeline's own CV folds (StratifiedKFold, ``cv.folds``, shuffled with ``seed``; the
  project's scaler fitted inside each fold, as ``dlpipe.models.training.cross_validate`` does),
- on 10 repeats of the same k-fold with other shuffles (the mean says how much of a fold
  score is the luck of one partition), and
- on the test part after a fit on the whole training part.

A target that no reference reaches under repeated CV is at the data's ceiling rather than a
matter of tuning the network. Nothing here is fed back into the pipeline.

Usage: .venv/bin/python bench/bench_ceiling.py [--projects iris price] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

# the pipeline's own params, scaler and feature/label split (paths from the stage table: c.artefact)
from dlpipe.features import make_scaler  # noqa: E402
from dlpipe.frames import split_xy  # noqa: E402
from dlpipe.io import read_parquet  # noqa: E402
from dlpipe.pipeline import jobs  # noqa: E402

TARGETS = {"iris": ("cv", 0.973), "price": ("test", 0.98)}
REPEATS = 10


def references() -> dict[str, object]:
    return {
        "lda": LinearDiscriminantAnalysis(),
        "logreg C=1": LogisticRegression(C=1.0, max_iter=20000),
        "logreg C=100": LogisticRegression(C=100.0, max_iter=20000),
        "logreg C=1e4": LogisticRegression(C=1e4, max_iter=20000),
        "linear svc C=1": SVC(kernel="linear", C=1.0),
        "linear svc C=10": SVC(kernel="linear", C=10.0),
        "rbf svc C=10": SVC(kernel="rbf", C=10.0),
    }


def score_project(root: Path, project: str) -> pd.DataFrame:
    c.prepare_data(root, project, stages=("fetch", "split"))
    params = jobs.load(str(root / "params.yaml"))
    cfg, seed = params.project(project), params.seed
    folds = cfg.cv.folds
    X, y = split_xy(read_parquet(c.artefact(root, "split", "train", project)))
    X_test, y_test = split_xy(read_parquet(c.artefact(root, "split", "test", project)))
    rows = []
    for name, estimator in references().items():
        model = make_pipeline(make_scaler(cfg.features), estimator)
        own = cross_val_score(model, X, y, cv=StratifiedKFold(folds, shuffle=True,
                                                               random_state=seed))
        repeated = cross_val_score(model, X, y, cv=RepeatedStratifiedKFold(
            n_splits=folds, n_repeats=REPEATS, random_state=seed))
        test_acc = model.fit(X, y).score(X_test, y_test)
        rows.append({"project": project, "model": name, "cv_mean": own.mean(), "cv_std": own.std(),
                     "cv_errors": int(round((1 - own.mean()) * len(y))),
                     "repeated_cv_mean": repeated.mean(), "test": test_acc,
                     "test_errors": int(round((1 - test_acc) * len(y_test)))})
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--workdir")
    args = parser.parse_args()
    root = c.workdir("ceiling", args.workdir)
    c.write_params(root, c.read_raw(c.default_params()))
    for project in args.projects:
        table = score_project(root, project)
        kind, bound = TARGETS[project]
        column = "cv_mean" if kind == "cv" else "test"
        print(f"\n== {project}: target {kind} accuracy >= {bound}")
        print(table.drop(columns="project").to_string(index=False, float_format="%.4f"))
        best = table.loc[table[column].idxmax()]
        best_repeated = table["repeated_cv_mean"].max()
        print(f"best {column}: {best[column]:.4f} ({best['model']}); best repeated-CV mean "
              f"{best_repeated:.4f}; references reaching the target: "
              f"{int((table[column] >= bound).sum())} of {len(table)}")
    print(f"\n(work directory: {root})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
