"""preprocess: fit the feature transformer on the training part only, transform both parts, keep
the transformer and, beside it, the class names and feature columns.

The tune and train stages refit the same transformer inside every CV fold; this stage's fit on
the whole training part is the one the final model and the test evaluation use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlpipe.errors import DataError
from dlpipe.features import encode_labels, feature_names, make_transformer
from dlpipe.frames import TARGET, class_names, split_xy
from dlpipe.params import FeatureParams


def preprocess(train: pd.DataFrame, test: pd.DataFrame, features: FeatureParams) -> dict:
    """Processed train and test tables (transformed features, then the label columns), the
    fitted ``transformer`` and ``names``: {"classes": the class names in code order (none for
    a numeric target), "columns": the feature columns of the data}. The transformer only sees
    ``train``."""
    X_train, y_train = split_xy(train)
    X_test, y_test = split_xy(test)
    classes = class_names(pd.concat([train[[TARGET]], test[[TARGET]]], ignore_index=True))
    for y in (y_train, y_test) if classes else ():
        if len(y) and not (y.min() >= 0 and y.max() < len(classes)):
            raise DataError(f"preprocess: labels must be codes 0..{len(classes) - 1} of the "
                            f"classes {classes} (-1: a missing label); found codes "
                            f"{sorted(np.unique(y).tolist())}")
    transformer = make_transformer(features, X_train).fit(X_train)
    names = feature_names(transformer)

    def processed(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(transformer.transform(X), columns=names)
        return pd.concat([frame, encode_labels(y, len(classes), features.label_encoding)], axis=1)

    return {"train": processed(X_train, y_train), "test": processed(X_test, y_test),
            "transformer": transformer,
            "names": {"classes": classes, "columns": [str(c) for c in X_train.columns]}}
