"""A tuned key's search space: integers, floats (log-scaled if asked; a grid for grid search)
or a list of choices. The network's tuning and the gradient-boosted trees' draw from these."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from dlpipe.params.base import PosInt, Strict


class IntSpace(Strict):
    type: Literal["int"]
    low: int
    high: int
    step: PosInt
    log: bool


class FloatSpace(Strict):
    type: Literal["float"]
    low: float
    high: float
    log: bool
    grid: list[float]


class CategoricalSpace(Strict):
    type: Literal["categorical"]
    choices: list[Union[str, int, float, bool]] = Field(min_length=1)


SearchSpace = Annotated[Union[IntSpace, FloatSpace, CategoricalSpace], Field(discriminator="type")]
