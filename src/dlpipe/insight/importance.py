"""Which input columns drive a model: permutation importance and SHAP values, both on the raw
columns, so a categorical column is one feature however many one-hot columns it becomes.

A free-text column is one feature to both; :func:`word_importance` ranks its words.
``predict`` maps raw rows (a DataFrame of the schema's columns) to class probabilities (a numeric
target: its predicted values); the transformer inside it sees every permuted or masked row
exactly as it would see new data.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from dlpipe.encoders import texts_of
from dlpipe.metrics import ARGMAX, Decision, score
from dlpipe.params.scoring import LOWER_IS_BETTER

Predict = Callable[[pd.DataFrame], np.ndarray]
COLUMNS = ["feature", "method", "mean", "std"]  # importance.csv
VALUE = "value"  # the per-class table's one class for a numeric target
WORD = "word"  # the method of a text column's words (features <column>:<word>)


class _Scored:
    """What ``permutation_importance`` calls: an estimator whose score is ``metric`` of the
    rows' model outputs, negated for an error (scikit-learn's scores are higher-is-better, so
    an importance is the worsening of the metric either way)."""

    def __init__(self, predict: Predict, metric: str, decision: Decision):
        self.predict_proba, self.metric, self.decision = predict, metric, decision
        self.sign = -1.0 if metric in LOWER_IS_BETTER else 1.0

    def fit(self, *_):  # scikit-learn's estimator protocol; the model is already trained
        return self

    def __call__(self, _, X: pd.DataFrame, y: np.ndarray) -> float:
        return self.sign * score(self.metric, y, self.predict_proba(X), self.decision)


def permutation(predict: Predict, X: pd.DataFrame, y: np.ndarray, metric: str, repeats: int,
                seed: int, decision: Decision = ARGMAX) -> pd.DataFrame:
    """The worsening of ``metric`` (a drop in a score, a rise in an error) when one column's
    values are shuffled among the rows: mean and std over ``repeats`` seeded shuffles, one row
    per column."""
    from sklearn.inspection import permutation_importance

    scorer = _Scored(predict, metric, decision)
    result = permutation_importance(scorer, X, y, scoring=scorer, n_repeats=repeats,
                                    random_state=seed, n_jobs=1)
    return pd.DataFrame({"feature": list(X.columns), "method": "permutation",
                         "mean": result.importances_mean, "std": result.importances_std})


class Coded:
    """Raw rows as a float matrix SHAP can mask: numbers as they are, each categorical column
    as the index of its value in that column's list of values (missing stays NaN)."""

    def __init__(self, frames: Sequence[pd.DataFrame], categorical: Sequence[str]):
        self.columns = list(frames[0].columns)
        self.values = {c: sorted({str(v) for f in frames for v in f[c].dropna()})
                       for c in categorical}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for j, column in enumerate(self.columns):
            if column in self.values:
                index = {v: float(i) for i, v in enumerate(self.values[column])}
                out[:, j] = [np.nan if pd.isna(v) else index[str(v)] for v in frame[column]]
            else:
                out[:, j] = pd.to_numeric(frame[column], errors="coerce")
        return out

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(matrix, columns=self.columns)
        for column, values in self.values.items():
            lookup = np.asarray(values + [None], dtype=object)
            codes = frame[column].to_numpy()
            frame[column] = lookup[np.where(np.isnan(codes), len(values), codes).astype(int)]
        return frame


def shap_values(predict: Predict, background: pd.DataFrame, rows: pd.DataFrame,
                categorical: Sequence[str], permutations: int, seed: int) -> np.ndarray:
    """SHAP values [rows, features, classes] of each row's class probabilities, from shap's
    PermutationExplainer: hidden features take the values of the ``background`` rows, and each
    row's values average ``permutations`` feature orders."""
    shap = _shap()
    coded = Coded([background, rows], categorical)
    masker = shap.maskers.Independent(coded.encode(background), max_samples=len(background))
    explainer = shap.explainers.Permutation(lambda m: predict(coded.decode(m)), masker,
                                            seed=seed)
    # a permutation is a forward and a backward pass over the features (2F + 1 masked rows),
    # evaluated in one model call: the transformer costs milliseconds per call whatever its size
    evals = permutations * (2 * len(coded.columns) + 1)
    return np.asarray(explainer(coded.encode(rows), max_evals=evals, batch_size=evals,
                                silent=True).values)


def _shap():
    """shap, its masking helpers left as plain Python: numba compiles them anew in every process
    (~5 s, longer than explaining with them uncompiled takes at these sizes; the values agree to
    1e-15, the order of their sums aside)."""
    import sys

    if "shap" not in sys.modules:
        import numba

        jit, numba.config.DISABLE_JIT = numba.config.DISABLE_JIT, True
        try:
            import shap  # noqa: F401  (its @njit functions are decorated now, as Python)
        finally:
            numba.config.DISABLE_JIT = jit
    return sys.modules["shap"]


def shap_summary(values: np.ndarray, features: Sequence[str], classes: Sequence[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Global rows (mean |SHAP| over rows and classes, std over rows) and one row per feature
    and class (mean |SHAP| of that class's probability; a numeric target: of its value, the
    one class ``value``)."""
    magnitude = np.abs(values)  # [rows, features, classes]
    if magnitude.ndim == 2:  # one output: shap drops its axis
        magnitude = magnitude[:, :, None]
    per_row = magnitude.mean(axis=2)
    overall = pd.DataFrame({"feature": list(features), "method": "shap",
                            "mean": per_row.mean(axis=0), "std": per_row.std(axis=0)})
    per_class = pd.DataFrame(
        [{"feature": f, "class": c, "method": "shap", "mean": float(magnitude[:, j, k].mean())}
         for j, f in enumerate(features) for k, c in enumerate(classes)])
    return overall, per_class


def word_importance(predict: Predict, X: pd.DataFrame, y: np.ndarray, metric: str,
                    column: str, words: Sequence[str], decision: Decision = ARGMAX
                    ) -> pd.DataFrame:
    """The worsening of ``metric`` when one word is taken out of the text column ``column``
    of every row that has it, for each of ``words``: rows ``<column>:<word>``, method
    ``word`` (std 0: one deterministic pass)."""
    scored = _Scored(predict, metric, decision)
    base = scored(None, X, y)
    text = X[column].astype(object).where(X[column].notna(), "").astype(str)
    found = []
    for word in words:
        pattern = re.compile(rf"(?i)\b{re.escape(word)}\b")
        without = X.assign(**{column: [pattern.sub(" ", t) for t in text]})
        found.append(base - scored(None, without, y))
    return pd.DataFrame({"feature": [f"{column}:{w}" for w in words], "method": WORD,
                         "mean": found, "std": 0.0})


def frequent_words(values: pd.Series, analyzer, vocabulary: set, count: int) -> list[str]:
    """The ``count`` single words of ``vocabulary`` in most of ``values``' texts (ties by
    word)."""
    rows = Counter(word for text in texts_of(values) for word in set(analyzer(text))
                   if word in vocabulary and " " not in word)
    return [w for w, _ in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


def ranked(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """``method``'s rows, most important first (ties by name, so the order is stable)."""
    rows = table[table["method"] == method]
    return rows.sort_values(["mean", "feature"], ascending=[False, True]).reset_index(drop=True)
