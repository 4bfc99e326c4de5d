"""How a project is scored: the scorers a stage reports, and how a two-class project decides
which class it predicts."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from dlpipe.params.base import Strict

SCORERS = ("accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro",
           "recall_macro", "precision_weighted", "recall_weighted", "roc_auc_ovr", "neg_log_loss")
# about the positive class of a two-class project (see DecisionParams)
BINARY_SCORERS = ("f1", "precision", "recall", "roc_auc", "average_precision")
# a numeric target's: root mean squared, mean absolute and mean absolute percentage error, R^2
VALUE_SCORERS = ("rmse", "mae", "mape", "r2")
LOWER_IS_BETTER = frozenset({"rmse", "mae", "mape"})
AnyScorer = Literal[SCORERS + VALUE_SCORERS]  # type: ignore[valid-type]
# what tuning may maximise (or, for an error, minimise)
TuneScorer = Literal[("accuracy", "f1_macro", "balanced_accuracy",  # type: ignore[valid-type]
                      *VALUE_SCORERS)]


class EvaluateParams(Strict):
    """``metrics`` for every project; ``binary_metrics`` added for a two-class one; a numeric
    target's test rows are also scored per ``value_groups`` quantiles of their actual value."""

    metrics: list[AnyScorer] = Field(min_length=1)
    binary_metrics: list[Literal[BINARY_SCORERS]]  # type: ignore[valid-type]
    value_groups: Annotated[int, Field(ge=2, le=20, strict=True)]


class DecisionParams(Strict):
    """Two-class projects: the ``positive_class`` (a class name; null: the second class in
    sorted order) is predicted whenever its probability reaches ``threshold``. A project with
    more classes predicts its most probable class and must leave ``positive_class`` null."""

    positive_class: Union[str, None]
    threshold: Annotated[float, Field(gt=0.0, lt=1.0)]
