"""baseline: a logistic regression (a numeric target: a ridge regression) beside every network,
through the same preprocessing and on the same CV folds, so a user sees at once whether deep
learning earns its cost on their data. It is the linear family the select stage may serve."""

from __future__ import annotations

import pandas as pd

from dlpipe.frames import has_values
from dlpipe.models import families
from dlpipe.params import CVParams, DecisionParams, EvaluateParams, FeatureParams
from dlpipe.params.schema import BaselineParams


def baseline(train: pd.DataFrame, test: pd.DataFrame, seed: int, features: FeatureParams,
             cv: CVParams, evaluate: EvaluateParams, decision: DecisionParams,
             baseline: BaselineParams, project: str) -> dict:
    """CV scores on the training part's folds (the preprocessing fitted on each training fold
    only), then a fit on all of it scored on the test part (a two-class project's positive
    class and threshold as the network's)."""
    decided, folds = families.prepared(train, features, cv, decision, seed)
    make = families.linear(baseline, seed, has_values(train))
    per_fold = families.cross_validated(make, {}, folds, cv.metrics, decided)
    return families.evaluated("linear", make, {}, per_fold, train, test, features, evaluate,
                              decided, project)
