"""The transformers of the column kinds beyond numbers and categories: free text as TF-IDF
weights or as word ids, dates as calendar features. Each reads one raw column and is fitted on
the training rows only, inside the project's feature transformer
(:func:`dlpipe.features.make_transformer`), so predict, serve, explain and drift see new rows
exactly as training did.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from dlpipe.errors import DataError

DATE_PARTS = ("year", "month", "day", "weekday")  # and hour, if training had times of day
SECONDS_PER_DAY = 86400.0


def one_column(X) -> pd.Series:
    """The single column a per-column transformer reads."""
    frame = pd.DataFrame(X)
    return frame.iloc[:, 0]


def texts_of(values: pd.Series) -> np.ndarray:
    """Free text as str, a missing value as the empty text."""
    return np.asarray(["" if pd.isna(v) else str(v) for v in values], dtype=object)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates and times as naive UTC timestamps (a zone is converted to UTC); text that is not a
    date becomes NaT, as does a missing value."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values, utc=True)
    else:
        parsed = pd.to_datetime(values.astype(object).where(values.notna(), None),
                                errors="coerce", utc=True, format="mixed")
    return parsed.dt.tz_localize(None)


def unparsed(values: pd.Series) -> np.ndarray:
    """Positions of the values that are present but not a date."""
    return np.flatnonzero(values.notna().to_numpy() & parse_dates(values).isna().to_numpy())


def date_problems(values: pd.Series, nan: bool) -> list[tuple[int, str]]:
    """(position, problem) of each value that is not a date, and of each missing value unless
    training had some (``nan``)."""
    found = [(r, f"{values.iat[r]!r} is not a date") for r in unparsed(values)]
    if not nan:
        found += [(r, "missing value (training had none)")
                  for r in np.flatnonzero(values.isna().to_numpy())]
    return sorted(found)


class TextTfidf(TransformerMixin, BaseEstimator):
    """A free-text column as the TF-IDF weights of a vocabulary fitted on the training rows:
    at most ``max_features`` words (or word n-grams up to ``ngrams``) found in at least
    ``min_df`` rows; a missing text is the empty text. Outputs ``<column>:<word>``."""

    def __init__(self, max_features: int = 1000, min_df: int = 2, ngrams: int = 1):
        self.max_features, self.min_df, self.ngrams = max_features, min_df, ngrams

    def fit(self, X, y=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        values = one_column(X)
        self.column_ = str(values.name)
        text = texts_of(values)
        if not any(t.strip() for t in text):
            raise DataError(f"features.text: column {self.column_!r} is empty in every "
                            "training row")
        self.vectorizer_ = TfidfVectorizer(max_features=self.max_features, min_df=self.min_df,
                                           ngram_range=(1, self.ngrams), dtype=np.float32)
        try:
            self.vectorizer_.fit(text)
        except ValueError as error:  # no word left after min_df
            raise DataError(f"features.text: column {self.column_!r}: no word appears in "
                            f"{self.min_df} training rows (features.tfidf.min_df)") from error
        self.n_features_in_ = 1
        return self

    def transform(self, X) -> np.ndarray:
        return self.vectorizer_.transform(texts_of(one_column(X))).toarray()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        words = self.vectorizer_.get_feature_names_out()
        return np.asarray([f"{self.column_}:{word}" for word in words], dtype=object)


WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """A text's words, lower-cased (letters, digits and underscores; punctuation splits)."""
    return WORD.findall(text.lower())


class TextTokens(TransformerMixin, BaseEstimator):
    """A free-text column as the ids of its first ``length`` words, for a network that embeds
    them (``model.kind: transformer``): the ``vocabulary - 2`` most frequent words of the
    training rows get ids 2, 3, ... by frequency (ties alphabetically), any other word 1, and a
    shorter text is padded with 0; a missing text is the empty text. Outputs
    ``<column>:1`` .. ``<column>:<length>`` (ids are exact in float32)."""

    def __init__(self, vocabulary: int = 10000, length: int = 48):
        self.vocabulary, self.length = vocabulary, length

    def fit(self, X, y=None):
        values = one_column(X)
        self.column_ = str(values.name)
        counts = Counter(word for text in texts_of(values) for word in words(text))
        if not counts:
            raise DataError(f"features.text: column {self.column_!r} is empty in every "
                            "training row")
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        self.words_ = {word: k for k, (word, _) in enumerate(ranked[:self.vocabulary - 2], 2)}
        self.n_features_in_ = 1
        return self

    def transform(self, X) -> np.ndarray:
        out = np.zeros((len(X), self.length), dtype=np.float32)
        for row, text in enumerate(texts_of(one_column(X))):
            ids = [self.words_.get(word, 1) for word in words(text)[:self.length]]
            out[row, :len(ids)] = ids
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"{self.column_}:{k}" for k in range(1, self.length + 1)],
                          dtype=object)


class DateParts(TransformerMixin, BaseEstimator):
    """A date column as calendar features: year, month, day of month, day of week, the hour
    where training had times of day, and the time itself in days since 1970 (the trend).
    A value that is not a date is refused in training; in new rows the input schema check
    refuses it first. Outputs ``<column>:<part>``; a missing date gives NaN (imputed next)."""

    def fit(self, X, y=None):
        values = one_column(X)
        self.column_ = str(values.name)
        bad = unparsed(values)
        if len(bad):
            raise DataError(f"features.datetime: column {self.column_!r}: {len(bad)} of "
                            f"{len(values)} training values are not dates (e.g. "
                            f"{values.iloc[bad[0]]!r} in row {bad[0] + 1})")
        parsed = parse_dates(values).dropna()
        if parsed.empty:
            raise DataError(f"features.datetime: column {self.column_!r} is empty in every "
                            "training row")
        self.hours_ = bool((parsed != parsed.dt.normalize()).any())
        self.n_features_in_ = 1
        return self

    def parts(self) -> list[str]:
        return [*DATE_PARTS, *(["hour"] if self.hours_ else []), "days"]

    def transform(self, X) -> np.ndarray:
        when = parse_dates(one_column(X))
        columns = [when.dt.year, when.dt.month, when.dt.day, when.dt.dayofweek]
        if self.hours_:
            columns.append(when.dt.hour + when.dt.minute / 60.0)
        return np.column_stack([c.to_numpy(dtype=np.float64, na_value=np.nan)
                                for c in [*columns, since_1970(when)]])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"{self.column_}:{part}" for part in self.parts()], dtype=object)


def since_1970(when: pd.Series) -> pd.Series:
    """Parsed dates as days since 1970 (fractions for times of day)."""
    return (when - pd.Timestamp(0)).dt.total_seconds() / SECONDS_PER_DAY


def days(values: pd.Series) -> np.ndarray:
    """Dates as days since 1970 (float64; NaN where missing or not a date)."""
    return since_1970(parse_dates(values)).to_numpy(dtype=np.float64, na_value=np.nan)


def vocabularies(transformer) -> dict[str, tuple]:
    """Each text column's word splitter and fitted vocabulary in a fitted feature transformer
    (column -> (analyzer, words))."""
    columns = transformer.named_steps["columns"]
    found = {}
    for step in columns.named_transformers_.values():
        if isinstance(step, TextTfidf):
            found[step.column_] = (step.vectorizer_.build_analyzer(),
                                   set(step.vectorizer_.vocabulary_))
        elif isinstance(step, TextTokens):
            found[step.column_] = (words, set(step.words_))
    return found


def known_share(values: pd.Series, analyzer, words: set) -> np.ndarray:
    """Per text: the share of its words (n-grams) in the vocabulary; NaN for a text with none."""
    out = np.full(len(values), np.nan)
    for k, text in enumerate(texts_of(values)):
        tokens = analyzer(text)
        if tokens:
            out[k] = sum(token in words for token in tokens) / len(tokens)
    return out
