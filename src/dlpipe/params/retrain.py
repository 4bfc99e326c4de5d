"""The ``retrain:`` section of params.yaml: how ``dlpipe retrain`` turns labelled served rows into
a new version of a project's data and model, and when it promotes that model."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dlpipe.params.base import PosInt, Strict

Share = Annotated[float, Field(gt=0, lt=1)]


class TriggerParams(Strict):
    """``dlpipe retrain --when-needed`` retrains only when one of these holds of the latest
    served rows (``serve.monitor.live_window_rows`` of them)."""

    on_drift: bool  # the project's drift check (its drift: params) finds drift in them
    accuracy_below: Share | None  # their accuracy is below this: measured on those labelled,
    # if at least min_rows are, else estimated from the model's confidence; null: not a trigger


class RetrainParams(Strict):
    """How ``dlpipe retrain`` adds labelled served rows to a project's data, which of them it
    keeps out to judge the new model on, and what runs the project's stages."""

    holdout_share: Share  # of the labelled rows, by a hash of request id and row: never trained
    # on; both models are scored on them
    alpha: Share  # the paired test's level: promoted only if the new model is better at it
    min_rows: PosInt  # fewer labelled holdout rows: no retraining
    runner: Literal["snakemake", "dvc"]  # what runs the project's stages
    cores: PosInt  # snakemake --cores
    data_dir: str = Field(min_length=1)  # a project whose data is not a CSV file in the
    # repository gets one here on its first retraining
    trigger: TriggerParams
