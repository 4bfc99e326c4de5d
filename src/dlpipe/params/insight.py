"""Params of what explains and watches a trained model: the explain and audit stages, and the
drift check (``python -m dlpipe drift`` and the served ``/v2/models/<p>/drift``)."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, model_validator

from dlpipe.params.base import Fraction, PosInt, Strict

Probability = Annotated[float, Field(gt=0.0, lt=1.0)]


class ExplainParams(Strict):
    """Permutation importance and SHAP values for tables (and for a free-text column, the
    worsening when each of its frequent words is taken out); occlusion maps for images."""

    rows: Union[PosInt, None]  # seeded test rows permutation importance scores (None: all)
    repeats: Annotated[int, Field(ge=2, strict=True)]  # shuffles per feature: mean and std
    shap_rows: PosInt  # seeded test rows SHAP explains
    background_rows: PosInt  # seeded training rows SHAP fills hidden features from
    shap_permutations: PosInt  # feature orders each explained row's SHAP values average
    top: PosInt  # features per method in the score rows (summary.csv, summary.md)
    words: Annotated[int, Field(ge=0, strict=True)]  # text: the most frequent words scored
    image_rows: PosInt  # images: test images per class each class map averages
    patch: PosInt  # images: side of the occluded square, in pixels
    stride: PosInt  # images: step between occluded squares
    examples: Annotated[int, Field(ge=0, strict=True)]  # images: single images shown

    @model_validator(mode="after")
    def _stride_within_patch(self) -> "ExplainParams":
        if self.stride > self.patch:
            # a larger step leaves pixels no patch hides
            raise ValueError(f"stride ({self.stride}) <= patch ({self.patch})")
        return self


class AuditParams(Strict):
    """Accuracy per slice of the test part with bootstrap intervals; a slice is flagged when
    its accuracy is more than ``gap`` below the overall and its interval excludes the overall
    (a numeric target: RMSE per slice, flagged more than ``value_gap`` above the overall)."""

    bootstrap: Annotated[int, Field(ge=20, strict=True)]  # resamples per slice
    confidence: Fraction  # of the intervals (0.95: 2.5 % and 97.5 % quantiles)
    gap: Fraction  # accuracy points (as a fraction) below the overall that count
    value_gap: Annotated[float, Field(gt=0.0)]  # RMSE above the overall, a fraction of it
    numeric_features: Annotated[int, Field(ge=0, strict=True)]  # quartile slices of the top ones
    min_rows: PosInt  # a smaller slice is reported, never flagged


class DriftParams(Strict):
    """New rows against the training part, one test per column (and, for images, the pixel
    intensities and the model's confidence); drift when any p-value is below ``alpha`` divided
    by the number of tests (Bonferroni: ``alpha`` is the false-alarm rate of the whole check)."""

    alpha: Probability
    reference_rows: PosInt  # seeded training rows kept as the reference
    bins: Annotated[int, Field(ge=2, le=256, strict=True)]  # images: intensity histogram bins
    window_rows: PosInt  # serve: the latest rows served that the drift endpoint checks
    min_rows: PosInt  # fewer rows get no verdict
