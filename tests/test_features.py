"""The feature transformer: column kinds, imputation, one-hot encoding, errors, and the same
float32 numbers as the plain scalers on complete numeric tables."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from dlpipe.errors import DataError
from dlpipe.features import (ColumnBlockImputer, PixelScaler, column_kinds, decode_labels, feature_names,
                             make_transformer)
from support import feature_params


@pytest.fixture
def mixed() -> pd.DataFrame:
    """One column of every kind, in an order that mixes them."""
    return pd.DataFrame({
        "id": np.arange(6, dtype=np.int64),
        "colour": pd.Series(["red", "blue", "red", None, "green", "red"], dtype=object),
        "size": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
        "flag": [True, False, True, True, False, False],
        "grade": pd.Categorical(["a", "b", "a", "b", "a", "a"]),
        "count": pd.array([3, 1, 4, 1, 5, 9], dtype="Int64"),
    })


def fitted(frame: pd.DataFrame, **overrides):
    transformer = make_transformer(feature_params(**overrides), frame).fit(frame)
    return transformer, feature_names(transformer)


# --- column kinds ---------------------------------------------------------------------------------
def test_kinds_are_detected_from_dtypes_in_column_order(mixed):
    assert column_kinds(feature_params(), mixed) == (["id", "size", "count"],
                                                     ["colour", "flag", "grade"])


def test_text_columns_as_pandas_reads_them_are_categorical():
    frame = pd.DataFrame({"city": pd.array(["x", None, "y", "x"], dtype="string"),
                          "town": pd.Series(["p", "q", None, "q"], dtype="str"), "n": [1, 2, 3, 4]})
    assert column_kinds(feature_params(), frame) == (["n"], ["city", "town"])
    transformer, names = fitted(frame)
    assert names == ["n", "city_x", "city_y", "town_p", "town_q"]
    assert transformer.transform(frame)[1:3, 1:].tolist() == [[1, 0, 0, 1], [0, 1, 0, 1]]


def test_drop_leaves_columns_out(mixed):
    numeric, categorical = column_kinds(feature_params(drop=["id", "flag"]), mixed)
    assert (numeric, categorical) == (["size", "count"], ["colour", "grade"])
    _, names = fitted(mixed, drop=["id", "flag"])
    assert "id" not in names and not any(n.startswith("flag") for n in names)


def test_declared_kinds_are_taken_as_named_and_the_other_kind_detected(mixed):
    # an integer column declared categorical leaves detection of the numeric ones
    assert column_kinds(feature_params(categorical=["count", "colour"]), mixed) == (
        ["id", "size"], ["colour", "count"])
    # declared numeric: other numeric columns are not used; categorical still detected
    assert column_kinds(feature_params(numeric=["size"]), mixed) == (
        ["size"], ["colour", "flag", "grade"])
    assert column_kinds(feature_params(numeric=["size"], categorical=["grade"]), mixed) == (
        ["size"], ["grade"])


@pytest.mark.parametrize("overrides, message", [
    ({"numeric": ["size", "weight"]}, r"columns \['weight'\] are named in params but not in"),
    ({"drop": ["nope"]}, r"columns \['nope'\] are named"),
    ({"categorical": ["shade"]}, r"\['shade'\]"),
    ({"numeric": ["colour"]}, r"numeric columns \['colour'\] do not hold numbers"),
    ({"drop": ["id", "colour", "size", "flag", "grade", "count"]}, "no feature column left"),
    ({"numeric": [], "categorical": []}, "no feature column left"),
])
def test_params_the_data_cannot_meet_are_data_errors(mixed, overrides, message):
    with pytest.raises(DataError, match=message):
        make_transformer(feature_params(**overrides), mixed)


def test_a_column_of_another_dtype_must_be_dropped(mixed):
    frame = mixed.assign(when=pd.date_range("2024-01-01", periods=6))
    with pytest.raises(DataError, match=r"columns \['when'\] are neither numeric nor categorical"):
        column_kinds(feature_params(), frame)
    assert "when" not in sum(column_kinds(feature_params(drop=["when"]), frame), [])


def test_a_feature_named_like_a_label_column_is_renamed_in_the_processed_table(mixed):
    table = mixed.rename(columns={"size": "y"})
    names = feature_names(make_transformer(feature_params(), table).fit(table))
    assert "y (feature)" in names and "y" not in names
    processed = pd.DataFrame(np.zeros((2, len(names)), dtype=np.float32), columns=names)
    X, y = decode_labels(pd.concat([processed, pd.DataFrame({"y": [0, 1]})], axis=1))
    assert X.shape == (2, len(names)) and y.tolist() == [0, 1]
    clash = mixed.rename(columns={"size": "y", "count": "y (feature)"})
    with pytest.raises(DataError, match=r"\['y \(feature\)'\] twice"):
        feature_names(make_transformer(feature_params(), clash).fit(clash))


# --- the transformer ------------------------------------------------------------------------------
def test_output_is_float32_numeric_names_kept_categories_one_hot(mixed):
    transformer, names = fitted(mixed, scaler="none")
    out = transformer.transform(mixed)
    assert out.dtype == np.float32 and out.shape == (6, len(names))
    assert names == ["id", "size", "count", "colour_blue", "colour_green", "colour_red",
                     "flag_False", "flag_True", "grade_a", "grade_b"]
    table = pd.DataFrame(out, columns=names)
    assert table["id"].tolist() == list(range(6))
    assert table["colour_red"].tolist() == [1, 0, 1, 1, 0, 1]  # the missing one: most frequent
    assert (table.filter(like="grade_").sum(axis=1) == 1).all()


@pytest.mark.parametrize("strategy, filled", [("median", 4.0), ("mean", 3.6),
                                              ("constant", -1.0)])
def test_numeric_imputation(mixed, strategy, filled):
    impute = dict(feature_params().impute.model_dump(), numeric=strategy, numeric_fill=-1.0)
    transformer, names = fitted(mixed, scaler="none", impute=impute)
    assert transformer.transform(mixed)[2, names.index("size")] == pytest.approx(filled)


def test_categorical_imputation_with_a_constant(mixed):
    impute = dict(feature_params().impute.model_dump(), categorical="constant",
                  categorical_fill="unknown")
    transformer, names = fitted(mixed, impute=impute)
    assert "colour_unknown" in names
    assert transformer.transform(mixed)[3, names.index("colour_unknown")] == 1.0


def test_an_integer_column_declared_categorical_takes_a_text_fill(mixed):
    frame = mixed.assign(code=[7.0, 7.0, np.nan, 8.0, 7.0, 9.0])
    impute = dict(feature_params().impute.model_dump(), categorical="constant",
                  categorical_fill="missing")
    transformer, names = fitted(frame, categorical=["code"], numeric=["size"], impute=impute)
    assert names == ["size", "code_7.0", "code_8.0", "code_9.0", "code_missing"]
    assert transformer.transform(frame)[2].tolist()[1:] == [0, 0, 0, 1]


def test_a_category_unseen_in_fit_is_all_zeros(mixed):
    transformer, names = fitted(mixed)
    new = mixed.assign(colour=["purple"] * 6)
    colour = [names.index(n) for n in names if n.startswith("colour_")]
    assert not transformer.transform(new)[:, colour].any()


def test_a_fitted_transformer_pickles(mixed):
    transformer, _ = fitted(mixed)
    again = pickle.loads(pickle.dumps(transformer))
    assert np.array_equal(again.transform(mixed), transformer.transform(mixed))


def test_decode_labels_ignores_feature_columns_that_start_with_y():
    frame = pd.DataFrame({"y_axis": [1.0, 2.0], "y_0": [1.0, 0.0], "y_1": [0.0, 1.0]})
    X, y = decode_labels(frame)
    assert X.tolist() == [[1.0], [2.0]] and y.tolist() == [0, 1]


# --- the same numbers as the scalers alone --------------------------------------------------------
def numbers(rng: np.random.Generator) -> pd.DataFrame:
    """A complete numeric table like iris and price: float and integer columns mixed."""
    return pd.DataFrame({"a": rng.normal(5.0, 2.0, 300), "b": rng.integers(0, 2000, 300),
                         "c": rng.normal(-1.0, 0.01, 300), "d": rng.integers(0, 2, 300)})


@pytest.mark.parametrize("scaler, reference", [("standard", StandardScaler),
                                               ("minmax", MinMaxScaler)])
def test_complete_numeric_tables_give_the_scalers_numbers_bit_for_bit(scaler, reference):
    frame = numbers(np.random.default_rng(3))
    train, rest = frame.iloc[:240], frame.iloc[240:]
    expected = np.asarray(reference().fit(train).transform(rest), dtype=np.float32)
    got = make_transformer(feature_params(scaler=scaler), train).fit(train).transform(rest)
    assert got.dtype == np.float32 and np.array_equal(got, expected)
    assert got.tobytes() == expected.tobytes()


def test_pixels_give_x_over_255_bit_for_bit():
    rng = np.random.default_rng(4)
    pixels = pd.DataFrame(rng.integers(0, 256, (200, 49), dtype=np.uint8),
                          columns=[f"pixel{k}" for k in range(1, 50)])
    expected = PixelScaler().fit(pixels).transform(pixels)
    transformer = make_transformer(feature_params(scaler="pixel"), pixels).fit(pixels.iloc[:150])
    got = transformer.transform(pixels)
    assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()
    assert feature_names(transformer) == list(pixels.columns)


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
@pytest.mark.parametrize("keep_empty", [False, True])
@pytest.mark.parametrize("strategy", ["median", "mean"])
def test_the_block_imputer_fills_as_scikit_learns(keep_empty, strategy):
    """Medians found a block of columns at a time are scikit-learn's, an empty column kept or
    dropped as it does, across more columns than a block."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2 * ColumnBlockImputer.BLOCK + 5))
    X[rng.random(X.shape) < 0.3] = np.nan
    X[:, 70] = np.nan
    made = {kind: kind(strategy=strategy, keep_empty_features=keep_empty)
            for kind in (ColumnBlockImputer, SimpleImputer)}
    out = {kind: imputer.fit_transform(X) for kind, imputer in made.items()}
    ours, theirs = made[ColumnBlockImputer], made[SimpleImputer]
    np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
    np.testing.assert_array_equal(out[ColumnBlockImputer], out[SimpleImputer])
    assert out[SimpleImputer].shape[1] == X.shape[1] - (not keep_empty)
