"""The model families a project trains on the same CV folds, and which one it serves.

The network (the study's subject) and the linear baseline are always trained; ``gbdt``
(gradient-boosted trees, scikit-learn's HistGradientBoosting) is tuned by Optuna when its
section is set. The select stage names the champion and ``serve_family`` may pin it.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from dlpipe.params.base import PosInt, Strict
from dlpipe.params.search_space import SearchSpace

FAMILIES = ("linear", "gbdt", "network")  # simplest first: a tie goes to the earlier one
SERVE_FAMILIES = ("auto", *FAMILIES)
ServeFamily = Literal[SERVE_FAMILIES]  # type: ignore[valid-type]
# the HistGradientBoosting settings a search space may tune
GBDT_KEYS = ("learning_rate", "max_iter", "max_leaf_nodes", "max_depth", "min_samples_leaf",
             "l2_regularization", "max_features", "max_bins")


class GbdtParams(Strict):
    """Optuna's study of the trees, under the network's budget rules: ``n_trials`` trials (or
    until ``timeout`` seconds), TPE after ``sampler_startup_trials`` random ones (or random, or
    every grid value), each scored by the project's
    ``tune.metric`` on the network's CV folds."""

    mode: Literal["tpe", "random", "grid"]
    n_trials: PosInt
    timeout: Union[PosInt, None]
    sampler_startup_trials: Annotated[int, Field(ge=0, strict=True)]
    search_space: dict[str, SearchSpace]

    @model_validator(mode="after")
    def _ranges(self) -> "GbdtParams":
        for name, space in self.search_space.items():
            if getattr(space, "low", 0) > getattr(space, "high", 0):
                raise ValueError(f"search_space.{name}: low must be <= high")
        return self


def unknown_keys(gbdt: GbdtParams | None) -> list[str]:
    """The search space's keys HistGradientBoosting does not take."""
    return [] if gbdt is None else sorted(set(gbdt.search_space) - set(GBDT_KEYS))


def trained(gbdt: GbdtParams | None) -> tuple[str, ...]:
    """The families a project trains, simplest first."""
    return tuple(f for f in FAMILIES if f != "gbdt" or gbdt is not None)
