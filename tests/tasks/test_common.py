"""What the tasks share: estimators from specs, training rows, out-of-fold scores, thinning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.params.tasks import KnnModel, SVCModel
from dlpipe.tasks.common import (Images, build_estimator, out_of_fold_scores, thin,
                                 training_set)

KNN = {"kind": "knn", "n_neighbors": 3, "weights": "uniform", "tune": None, "train_rows": None,
       "n_jobs": 1, "augment": False, "deskew": False, "scaler": "pixel"}
SVC = {"kind": "svc", "strategy": "ovr", "kernel": "rbf", "C": 1.0, "gamma": "scale",
       "degree": 3, "pca_components": 20, "cache_mb": 100, "train_rows": None, "n_jobs": 1,
       "augment": False, "deskew": False, "scaler": "standard"}


def test_the_estimator_follows_the_spec():
    svc = build_estimator(SVCModel.model_validate(SVC), 0)
    assert [name for name, _ in svc.steps] == ["pixels", "standard", "pca", "model"]
    assert type(svc["model"]).__name__ == "OneVsRestClassifier"
    knn = build_estimator(KnnModel.model_validate(KNN), 0, regression=True)
    assert [name for name, _ in knn.steps] == ["pixels", "model"]
    assert type(knn["model"]).__name__ == "KNeighborsRegressor"
    with pytest.raises(ValueError, match="only knn"):
        build_estimator(SVCModel.model_validate(SVC), 0, regression=True)


def test_training_rows_are_deskewed_once_or_augmented(mnist_small):
    X, y = mnist_small[0][:40], mnist_small[1][:40]
    images = Images(X)
    index = np.arange(0, 40, 2)
    deskewed = KnnModel.model_validate(dict(KNN, deskew=True))
    X_fit, y_fit = training_set(images, y, index, deskewed)
    assert X_fit.dtype == np.float32 and (y_fit == y[index]).all()
    assert images.get(True) is images.get(True)
    X_aug, y_aug = training_set(images, y, index, KnnModel.model_validate(dict(KNN, augment=True)))
    assert len(X_aug) == 5 * len(index) and (X_aug[:len(index)] == X[index]).all()


def test_out_of_fold_scores_cover_every_row_once(mnist_small):
    X, y = mnist_small[0][:300], mnist_small[1][:300] == 5
    index = np.arange(0, 300, 2)
    spec = KnnModel.model_validate(KNN)
    scores, cut = out_of_fold_scores(spec, Images(X), y, index, 3, 0)
    assert scores.shape == (len(index),) and cut == 0.5
    assert ((scores > cut) == y[index]).mean() > 0.9


def test_thin_keeps_the_ends_and_at_most_the_cap():
    frame = pd.DataFrame({"x": np.arange(5000)})
    thinned = thin(frame, 100)
    assert len(thinned) <= 100 and thinned["x"].iloc[0] == 0 and thinned["x"].iloc[-1] == 4999
    assert thin(frame.head(50), 100).equals(frame.head(50))
