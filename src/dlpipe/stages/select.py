"""select: the champion among the model families scored on the same CV folds (the linear
baseline, the gradient-boosted trees, the network), and the project's inference bundle holding
the family served: the champion, or the one ``serve_family`` pins.

The rule (the one-standard-error rule of Hastie, Tibshirani and Friedman): the family with the
best mean CV score on ``tune.metric`` is the best; every family whose mean is within one
standard error of the best's mean ties with it, and the simplest of those is the champion
(linear, then gbdt, then network), as a simpler model that scores the same is the safer one to
serve.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd

from dlpipe.bundle import files as bundle_files
from dlpipe.bundle.input_schema import Schema
from dlpipe.metrics import direction, score_rows
from dlpipe.models.families import model_name
from dlpipe.params import CVParams
from dlpipe.params.families import FAMILIES

log = logging.getLogger(__name__)
SELECT = "select"  # the task of the selection's score rows (summary.md's "Model families")
RULE = ("best: the family with the best mean CV {metric}; a family within one standard error "
        "(std / sqrt(folds - 1)) of the best's mean ties with it, and a tie goes to the "
        "simpler family (linear, then gbdt, then network)")


def champion(cv: dict[str, dict[str, float]], metric: str, folds: int) -> tuple[str, str]:
    """The best family and the champion, from each family's CV mean and population std of
    ``metric`` over ``folds`` folds."""
    sign = -1.0 if direction(metric) == "minimize" else 1.0
    best = max(cv, key=lambda f: (sign * cv[f]["mean"], -FAMILIES.index(f)))
    error = cv[best]["std"] / math.sqrt(folds - 1)
    ties = [f for f in FAMILIES if f in cv and sign * (cv[best]["mean"] - cv[f]["mean"]) <= error]
    return best, ties[0]


def select(network: dict, network_cv: dict, network_test: dict, linear: dict,
           linear_model: dict, gbdt: dict, gbdt_model: dict, cv: CVParams,
           serve_family: str, metric: str, project: str) -> dict:
    """The selection (every family's CV and test scores, the rule, best, champion, served)
    and the bundle of the family served."""
    scored = {"linear": linear, "network": {"cv": network_cv["summary"],
                                            "test": network_test["test"]}}
    if gbdt:
        scored["gbdt"] = gbdt
    means = {family: s["cv"][metric] for family, s in scored.items()}
    best, chosen = champion(means, metric, cv.folds)
    served = chosen if serve_family == "auto" else serve_family
    log.info("%s: best %s, champion %s, served %s (%s)", project, best, chosen, served,
             ", ".join(f"{f} {m['mean']:.4f} ± {m['std']:.4f}" for f, m in means.items()))
    models = {"linear": linear_model, "gbdt": gbdt_model}
    bundle = (network if served == "network" else
              family_bundle(network, models[served], served))
    selection = {"metric": metric, "direction": direction(metric), "folds": cv.folds,
                 "rule": RULE.format(metric=metric), "best": best, "champion": chosen,
                 "serve_family": serve_family, "served": served,
                 "families": {f: {"cv": scored[f]["cv"][metric], "test": scored[f]["test"]}
                              for f in FAMILIES if f in scored}}
    rows = [score_rows(project, SELECT, f, "cv", {metric: m["mean"]}, {metric: m["std"]})
            for f, m in means.items()]
    rows.append(score_rows(project, SELECT, served, "served", {"served": 1.0}))
    return {"bundle": bundle, "selection": selection,
            "scores": pd.concat(rows, ignore_index=True)}


def family_bundle(network: dict, pipeline: Any, family: str) -> dict[str, Any]:
    """The bundle of a scikit-learn family's fitted pipeline: its transformer and estimator,
    the network's input schema (the same columns) with the estimator's input width."""
    fitted = pipeline[bundle_files.ESTIMATOR]
    schema = Schema.from_dict(network[bundle_files.SCHEMA]).to_dict()
    name = model_name(family, values=not schema["classes"])
    estimator = fitted[-1]
    schema["input_width"] = int(estimator.n_features_in_)
    return {bundle_files.ESTIMATOR: estimator, bundle_files.TRANSFORMER: fitted[0],
            bundle_files.SCHEMA: schema,
            bundle_files.FAMILY: {"family": family, "model": name}}
