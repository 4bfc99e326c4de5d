"""preprocess: fit scaling on the training part only, transform both parts, keep the transformer.

The tune and train stages refit the same transformer inside every CV fold; this stage's fit on
the whole training part is the one the final model and the test evaluation use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlpipe.features import encode_labels, make_scaler
from dlpipe.frames import split_xy
from dlpipe.params import FeatureParams


def preprocess(train: pd.DataFrame, test: pd.DataFrame, features: FeatureParams) -> dict:
    """Processed train and test tables and the fitted transformer; the scaler only sees
    ``train``."""
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    scaler = make_scaler(features).fit(X_train)
    n_classes = int(max(y_train.max(), y_test.max())) + 1

    def processed(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        values = np.asarray(scaler.transform(X), dtype=np.float32)
        frame = pd.DataFrame(values, columns=list(X.columns))
        return pd.concat([frame, encode_labels(y, n_classes, features.label_encoding)], axis=1)

    transformer = {"scaler": scaler, "n_classes": n_classes, "columns": list(X_train.columns)}
    return {"train": processed(X_train, y_train), "test": processed(X_test, y_test),
            "transformer": transformer}
