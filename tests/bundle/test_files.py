"""The feature transformer in a skops file: the project's own types load, anything else is
refused before a byte of it runs."""

from __future__ import annotations

import os

import numpy as np
import pytest
import skops.io
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from dlpipe.errors import DataError
from dlpipe.features import make_transformer
from dlpipe.bundle.files import ALLOWED, dump_transformer, load_transformer
from pets import raw_rows
from support import feature_params


@pytest.mark.parametrize("scaler", ["standard", "minmax", "pixel", "none"])
def test_the_project_transformer_round_trips(tmp_path, scaler):
    X = raw_rows().drop(columns="kind")
    transformer = make_transformer(feature_params(scaler=scaler, drop=["id"]), X).fit(X)
    dump_transformer(tmp_path / "t.skops", transformer)
    assert set(skops.io.get_untrusted_types(file=tmp_path / "t.skops")) <= ALLOWED
    loaded = load_transformer(tmp_path / "t.skops")
    np.testing.assert_array_equal(loaded.transform(X), transformer.transform(X))


class Sneaky(StandardScaler):
    """A type of nobody's allow-list (could run anything in ``__setstate__``)."""


@pytest.mark.parametrize("step, named", [
    (FunctionTransformer(os.system), "posix.system"),
    (Sneaky(), "test_files.Sneaky")])
def test_a_type_outside_the_allow_list_is_refused(tmp_path, step, named):
    path = tmp_path / "crafted.skops"
    skops.io.dump(Pipeline([("step", step)]), path)
    with pytest.raises(DataError, match=rf"crafted\.skops: refused to load: .*'{named}'"):
        load_transformer(path)


def test_a_file_that_is_not_skops_is_refused(tmp_path):
    path = tmp_path / "preprocess.skops"
    path.write_bytes(b"\x80\x04 a pickle, say")
    with pytest.raises(DataError, match="preprocess.skops: not a readable skops file"):
        load_transformer(path)
