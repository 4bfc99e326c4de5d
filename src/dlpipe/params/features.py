"""How a project's columns become the features its models see: the column kinds, imputation,
and free text as TF-IDF weights or as word ids."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from dlpipe.params.base import PosInt, Strict
from dlpipe.params.data import ColumnNames


class ImputeParams(Strict):
    """How missing values are filled, per column kind (``constant`` uses the ``*_fill``)."""

    numeric: Literal["median", "mean", "constant"]
    categorical: Literal["most_frequent", "constant"]
    numeric_fill: float
    categorical_fill: str


class TfidfParams(Strict):
    """The vocabulary of each free-text column, fitted on the training rows: at most
    ``max_features`` words (n-grams up to ``ngrams`` words) found in at least ``min_df`` rows."""

    max_features: PosInt
    min_df: PosInt
    ngrams: Annotated[int, Field(ge=1, le=3, strict=True)]


class TokenParams(Strict):
    """Each free-text column as word ids for a network that embeds them (``text_encoding:
    tokens``): a vocabulary of the ``vocabulary - 2`` most frequent training words (0 pads, 1
    is a word outside it), the first ``length`` words of each text."""

    vocabulary: Annotated[int, Field(ge=3, le=1_000_000, strict=True)]
    length: Annotated[int, Field(ge=1, le=1024, strict=True)]


class FeatureParams(Strict):
    """The columns a model sees and how they are prepared. ``numeric`` and ``categorical``
    name the columns of each kind (null: detected from the dtypes); ``text`` and ``datetime``
    name free-text and date columns (never detected at run time: ``dlpipe add`` finds them);
    ``drop`` leaves columns out (IDs, index columns). Categorical columns are one-hot encoded,
    numeric ones scaled, text becomes TF-IDF weights, a date calendar features."""

    scaler: Literal["standard", "minmax", "pixel", "none"]
    label_encoding: Literal["onehot", "integer"]
    numeric: Union[ColumnNames, None]
    categorical: Union[ColumnNames, None]
    text: ColumnNames
    datetime: ColumnNames
    drop: ColumnNames
    impute: ImputeParams
    tfidf: TfidfParams
    # tfidf: TF-IDF weights for every family; tokens: word ids for model.kind transformer (the
    # scikit-learn families beside it still get TF-IDF weights)
    text_encoding: Literal["tfidf", "tokens"]
    tokens: TokenParams

    @property
    def vocabulary(self) -> int | None:
        """The size of the word-id vocabulary a network embeds (None: no word ids)."""
        return self.tokens.vocabulary if self.text_encoding == "tokens" else None

    def as_tfidf(self) -> "FeatureParams":
        """These features with free text as TF-IDF weights (the scikit-learn families')."""
        return self.model_copy(update={"text_encoding": "tfidf"})

    @model_validator(mode="after")
    def _disjoint(self) -> "FeatureParams":
        named = [*(self.numeric or []), *(self.categorical or []), *self.text, *self.datetime,
                 *self.drop]
        twice = sorted({c for c in named if named.count(c) > 1})
        if twice:
            raise ValueError(f"columns {twice} are named in more than one of numeric, "
                             "categorical, text, datetime and drop")
        return self
