"""What the tasks share: training rows per model, estimators from specs, positive-class scores,
timing and plot-data thinning."""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from dlpipe.features import PixelScaler
from dlpipe.tasks.augment import augment_shifts, deskew
from dlpipe.params.tasks import (DummyModel, ForestModel, KnnModel, ModelSpec, SGDModel,
                                 SVCModel)

MAX_CURVE_POINTS = 1000
N_CLASSES = 10  # the digits
DIGITS = [str(digit) for digit in range(N_CLASSES)]  # their class names


class Images:
    """Training or test images with their deskewed copy computed at most once (deskewing is a
    per-image function, so it is applied outside any CV split without leaking)."""

    def __init__(self, X: np.ndarray):
        self.raw = np.asarray(X)
        self._deskewed: np.ndarray | None = None

    def get(self, deskewed: bool) -> np.ndarray:
        if not deskewed:
            return self.raw
        if self._deskewed is None:
            self._deskewed = deskew(self.raw)
        return self._deskewed


def training_set(images: Images, targets: np.ndarray, index: np.ndarray, spec: ModelSpec
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``index`` of the training images as ``spec`` wants them (deskewed or augmented)."""
    X = images.get(spec.deskew)[index]
    y = targets[index]
    if spec.augment:
        X, y = augment_shifts(X, y)
    return X, y


def build_estimator(spec: ModelSpec, seed: int, regression: bool = False) -> Pipeline:
    """An unfitted pipeline: pixel scaling [-> StandardScaler] [-> PCA] -> estimator."""
    steps: list[tuple[str, Any]] = [("pixels", PixelScaler())]
    if spec.scaler == "standard":
        steps.append(("standard", StandardScaler()))
    if isinstance(spec, SVCModel) and spec.pca_components is not None:
        steps.append(("pca", PCA(spec.pca_components, random_state=seed)))
    steps.append(("model", _estimator(spec, seed, regression)))
    return Pipeline(steps)


def _estimator(spec: ModelSpec, seed: int, regression: bool) -> Any:
    if regression and not isinstance(spec, KnnModel):
        raise ValueError(f"{spec.kind}: only knn is used for regression here")
    if isinstance(spec, SGDModel):
        return SGDClassifier(loss=spec.loss, alpha=spec.alpha, max_iter=spec.max_iter,
                             tol=spec.tol, random_state=seed, n_jobs=spec.n_jobs)
    if isinstance(spec, SVCModel):
        svc = SVC(kernel=spec.kernel, C=spec.C, gamma=spec.gamma, degree=spec.degree,
                  cache_size=spec.cache_mb, random_state=seed)
        return OneVsRestClassifier(svc, n_jobs=spec.n_jobs) if spec.strategy == "ovr" else svc
    if isinstance(spec, KnnModel):
        knn = KNeighborsRegressor if regression else KNeighborsClassifier
        return knn(n_neighbors=spec.n_neighbors, weights=spec.weights, n_jobs=spec.n_jobs)
    if isinstance(spec, ForestModel):
        return RandomForestClassifier(n_estimators=spec.n_estimators, max_depth=spec.max_depth,
                                      max_features=spec.max_features,
                                      min_samples_leaf=spec.min_samples_leaf,
                                      n_jobs=spec.n_jobs, random_state=seed)
    if isinstance(spec, DummyModel):
        return DummyClassifier(strategy=spec.strategy, random_state=seed)
    raise TypeError(f"unknown model spec {type(spec).__name__}")


def timed(func: Callable[[], Any]) -> tuple[Any, float]:
    """``func()`` and the seconds it took."""
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def decision_scores(model: Pipeline, X: np.ndarray) -> np.ndarray:
    """Continuous scores of the positive class: decision_function if the model has one, else the
    predicted probability."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float)
    return np.asarray(model.predict_proba(X)[:, 1], dtype=float)


def default_cut(model: Pipeline) -> float:
    """The score above which ``predict`` says positive (0 for decision functions, 0.5 for
    probabilities)."""
    return 0.0 if hasattr(model, "decision_function") else 0.5


def out_of_fold_scores(spec: ModelSpec, images: Images, y: np.ndarray, index: np.ndarray,
                       folds: int, seed: int) -> tuple[np.ndarray, float]:
    """Out-of-fold scores for the rows ``index`` (stratified k-fold, seeded).

    Augmentation is applied to each training fold only, so no shifted copy of a validation image
    is ever trained on. Returns the scores aligned with ``index`` and the cut ``predict`` uses.
    """
    out = np.empty(len(index), dtype=float)
    cut = 0.0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    template = build_estimator(spec, seed)
    for fit_rows, val_rows in splitter.split(index, y[index]):
        X_fit, y_fit = training_set(images, y, index[fit_rows], spec)
        model = clone(template).fit(X_fit, y_fit)
        out[val_rows] = decision_scores(model, images.get(spec.deskew)[index[val_rows]])
        cut = default_cut(model)
    return out, cut


def thin(frame: pd.DataFrame, max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    """At most ``max_points`` evenly spaced rows (first and last kept): curve CSVs stay small."""
    if len(frame) <= max_points:
        return frame.reset_index(drop=True)
    keep = np.unique(np.linspace(0, len(frame) - 1, max_points).round().astype(int))
    return frame.iloc[keep].reset_index(drop=True)
