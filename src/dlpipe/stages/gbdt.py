"""gbdt: gradient-boosted trees (scikit-learn's HistGradientBoosting) through the project's
preprocessing, tuned by Optuna on the network's CV folds by ``tune.metric``, then fitted on the
whole training part and scored on the test part. A project with ``gbdt: null`` trains none."""

from __future__ import annotations

import pandas as pd

from dlpipe.frames import has_values
from dlpipe.metrics import SCORE_COLUMNS
from dlpipe.models import families
from dlpipe.models.tuning import tuned_trees
from dlpipe.params import CVParams, DecisionParams, EvaluateParams, FeatureParams
from dlpipe.params.families import GbdtParams

ABSENT = "absent.json"  # the model output of a project that trains no trees


def gbdt(train: pd.DataFrame, test: pd.DataFrame, seed: int, features: FeatureParams,
         cv: CVParams, evaluate: EvaluateParams, decision: DecisionParams,
         gbdt: GbdtParams | None, metric: str, project: str) -> dict:
    """The tuned trees' CV and test scores, settings, trials and fitted pipeline."""
    if gbdt is None:
        return {"model": {ABSENT: {"trained": False, "why": "gbdt: null in params"}},
                "metrics": {}, "info": {"trained": False}, "trials": pd.DataFrame({"trial": []}),
                "scores": pd.DataFrame(columns=SCORE_COLUMNS)}
    decided, folds = families.prepared(train, features, cv, decision, seed)
    make = families.trees(seed, has_values(train))
    settings, per_fold, trials = tuned_trees(gbdt, make, list(folds), metric, cv.metrics,
                                             decided, seed)  # every trial scores every fold
    out = families.evaluated("gbdt", make, settings, per_fold, train, test, features, evaluate,
                             decided, project)
    return {**out, "trials": trials,
            "info": {"trained": True, "settings": settings, "trials": len(trials),
                     "model": families.model_name("gbdt", has_values(train))}}
