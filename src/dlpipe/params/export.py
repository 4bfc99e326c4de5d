"""The export stage's params: which LiteRT files to write, the rows that calibrate the int8
file, and how many single-row runs time each file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dlpipe.params.base import PosInt, Strict

FORMATS = ("float32", "int8")


class ExportParams(Strict):
    """``float32``: the network as trained; ``int8``: weights and activations quantised after
    training, calibrated on a seeded sample of ``calibration_rows`` training rows (inputs and
    outputs stay float32, so both files take the same features)."""

    calibration_rows: PosInt
    latency_runs: PosInt
    formats: list[Literal[FORMATS]] = Field(min_length=1)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _each_format_once(self) -> "ExportParams":
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"each format once, got {self.formats}")
        return self
