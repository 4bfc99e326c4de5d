"""How stable the explain stage's feature ranking is, on price and iris of a finished pipeline.

Two kinds of seed change, each printed per project and method as the Spearman rank correlation
of the top 5 features (the top 5 of the first run, ranked again in the second; iris has 4):
- the explanation's seed (which rows are explained, the shuffles, SHAP's background and
  permutations), same model: the stage's own noise;
- with ``--retrain``, also the model's seed: the train node fits the project's tuned network
  again with seed + 1 (CV and final fit, a minute or two on price), then explains it with the
  first seed: does a model trained the same way depend on the same inputs?
Target: rho >= 0.9. Also prints each run's wall seconds. Nothing is written to ROOT.

    python bench/bench_explain.py [--root ROOT] [--projects price iris] [--retrain]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import REPO  # noqa: E402  (it puts src/ on the path)
import dlpipe  # noqa: E402,F401  (pins the CPU kernels before NumPy loads)
from dlpipe.params import load_params  # noqa: E402
from dlpipe.pipeline import catalog  # noqa: E402

TOP, TARGET = 5, 0.9


def spearman_top(first, second) -> float:
    """Spearman's rho between the first run's top features' ranks in both runs."""
    from scipy.stats import spearmanr

    order_a = list(first.sort_values(["mean", "feature"], ascending=[False, True])["feature"])
    order_b = list(second.sort_values(["mean", "feature"], ascending=[False, True])["feature"])
    top = order_a[:TOP]
    return float(spearmanr(range(len(top)), [order_b.index(f) for f in top]).statistic)


def retrained(root: Path, project: str, section, seed: int) -> dict:
    """The project's bundle fitted again by the train node with ``seed``."""
    from dlpipe.stages.train import train

    where = root / "data"
    out = train(catalog.read(where / f"interim/{project}/train.parquet"),
                catalog.read(where / f"processed/{project}/train.parquet"),
                catalog.read(where / f"processed/{project}/preprocess.skops"),
                catalog.read(where / f"processed/{project}/names.json"),
                catalog.read(where / f"tuning/{project}/best_params.json"), seed=seed,
                features=section.features, cv=section.cv, target=section.data.target,
                project=project)
    return out["bundle"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--projects", nargs="+", default=["price", "iris"])
    parser.add_argument("--retrain", action="store_true")
    args = parser.parse_args()
    from dlpipe.stages.explain import explain

    params = load_params(str(REPO / "params.yaml"))
    for project in args.projects:
        section, seed = params.project(project), params.seed
        train = catalog.read(args.root / f"data/interim/{project}/train.parquet")
        test = catalog.read(args.root / f"data/interim/{project}/test.parquet")
        bundle = catalog.read(args.root / f"models/{project}")
        runs = {}
        variants = [("seed", seed, bundle), ("explanation seed + 1", seed + 1, bundle)]
        if args.retrain:
            started = time.perf_counter()
            variants.append(("model seed + 1", seed,
                             retrained(args.root, project, section, seed + 1)))
            print(f"{project}: retrained with seed {seed + 1} in "
                  f"{time.perf_counter() - started:.0f} s")
        for name, run_seed, model in variants:
            started = time.perf_counter()
            runs[name] = explain(train, test, model, run_seed, section.explain,
                                 section.tune.metric, project)["importance"]
            print(f"{project}: explain ({name}) {time.perf_counter() - started:.1f} s")
        base = runs["seed"]
        for name in list(runs)[1:]:
            for method in dict.fromkeys(base["method"]):
                a, b = (run[run["method"] == method] for run in (base, runs[name]))
                rho = spearman_top(a, b)
                top = ", ".join(a.sort_values("mean", ascending=False)["feature"][:TOP])
                print(f"{project:6s} {method:11s} vs {name:21s} rho {rho:+.3f} "
                      f"({'met' if rho >= TARGET else 'MISSED'}: >= {TARGET}); top: {top}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
