"""preprocess: fit scaling on the training part only, transform both parts, save the transformer.

The tune and train stages refit the same transformer inside every CV fold; this stage's fit on
the whole training part is the one the final model and the test evaluation use.
"""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd

from dlpipe.features import encode_labels, make_scaler, split_xy
from dlpipe.io import atomic_path, read_parquet, write_parquet
from dlpipe.params import FeatureParams, Params
from dlpipe.paths import path


def fit_transform(train: pd.DataFrame, test: pd.DataFrame, features: FeatureParams):
    """(processed train, processed test, fitted transformer); the scaler only sees ``train``."""
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    scaler = make_scaler(features).fit(X_train)
    n_classes = int(max(y_train.max(), y_test.max())) + 1

    def processed(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        values = np.asarray(scaler.transform(X), dtype=np.float32)
        frame = pd.DataFrame(values, columns=list(X.columns))
        return pd.concat([frame, encode_labels(y, n_classes, features.label_encoding)], axis=1)

    state = {"scaler": scaler, "n_classes": n_classes, "columns": list(X_train.columns)}
    return processed(X_train, y_train), processed(X_test, y_test), state


def run(params: Params, project: str) -> None:
    train, test, state = fit_transform(read_parquet(path("interim_train", project)),
                                       read_parquet(path("interim_test", project)),
                                       params.project(project).features)
    write_parquet(path("processed_train", project), train)
    write_parquet(path("processed_test", project), test)
    with atomic_path(path("transformer", project)) as tmp:
        joblib.dump(state, tmp)
