"""The label column: class names and codes from every kind of label, and the checks on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe import frames
from dlpipe.errors import DataError
from dlpipe.frames import TARGET, check_classes, class_names, split_xy, with_target


def _labelled(values, names=None) -> pd.DataFrame:
    raw = pd.DataFrame({"x": np.arange(len(values), dtype=float), "label": values})
    return with_target(raw, "label", "file.csv", names)


def test_string_labels_are_sorted_names():
    frame = _labelled(["dog", "cat", "emu", "cat"])
    assert list(frame.columns) == ["x", TARGET]
    assert isinstance(frame[TARGET].dtype, pd.CategoricalDtype)
    assert class_names(frame) == ["cat", "dog", "emu"]
    assert frame[TARGET].astype(str).tolist() == ["dog", "cat", "emu", "cat"]
    assert split_xy(frame)[1].tolist() == [1, 0, 2, 0]


def test_boolean_labels_are_false_and_true():
    frame = _labelled([True, False, True])
    assert class_names(frame) == ["False", "True"]
    assert split_xy(frame)[1].tolist() == [1, 0, 1]


def test_categorical_labels_keep_their_values_and_drop_unused_categories():
    values = pd.Categorical(["b", "a", "b"], categories=["c", "b", "a", "unused"])
    frame = _labelled(values)
    assert class_names(frame) == ["a", "b"]
    assert split_xy(frame)[1].tolist() == [1, 0, 1]


def test_integer_labels_sort_numerically_so_codes_equal_the_integers():
    frame = _labelled(np.array([2, 0, 1, 10, 2], dtype=np.uint8))
    assert class_names(frame) == ["0", "1", "2", "10"]
    assert split_xy(frame)[1].tolist() == [2, 0, 1, 3, 2]
    digits = _labelled(np.array([5, 0, 4, 1, 9, 2, 3, 6, 7, 8]))
    assert np.array_equal(split_xy(digits)[1], [5, 0, 4, 1, 9, 2, 3, 6, 7, 8])


def test_whole_numbers_as_text_or_categories_sort_numerically():
    assert class_names(_labelled(["10", "9", "10"])) == ["9", "10"]
    assert class_names(_labelled(pd.Categorical([3, 1, 3]))) == ["1", "3"]


def test_whole_floats_are_integers_and_fractions_are_refused():
    assert class_names(_labelled([1.0, 0.0, 1.0])) == ["0", "1"]
    with pytest.raises(DataError, match=r"file.csv: target column 'label': 1 of 3 labels are "
                                        r"not whole numbers \(e.g. 0.5\)"):
        _labelled([1.0, 0.5, 2.0])


def test_sklearn_target_names_name_the_codes_in_code_order():
    frame = _labelled([2, 0, 1, 0], names=np.array(["setosa", "versicolor", "virginica"]))
    assert class_names(frame) == ["setosa", "versicolor", "virginica"]
    assert split_xy(frame)[1].tolist() == [2, 0, 1, 0]
    with pytest.raises(DataError, match="codes 0..2 do not index its 2 class names"):
        _labelled([2, 0, 1], names=["a", "b"])


def test_missing_labels_are_refused_with_their_count():
    with pytest.raises(DataError, match=r"file.csv: target column 'label' has no label in 2 of 4 "
                                        "rows"):
        _labelled(["a", None, "b", np.nan])


def test_missing_labels_can_be_dropped_and_the_rest_keep_their_order():
    frame = with_target(pd.DataFrame({"x": [1, 2, 3, 4], "label": ["a", None, "b", np.nan]}),
                        "label", "file.csv", unlabelled_rows="drop")
    assert frame["x"].tolist() == [1, 3] and class_names(frame) == ["a", "b"]
    assert frame.index.tolist() == [0, 1]


def test_a_table_without_any_label_is_refused_even_when_dropping():
    with pytest.raises(DataError, match="target column 'label' has no label in any of its 2 rows"):
        with_target(pd.DataFrame({"x": [1, 2], "label": [None, None]}), "label", "file.csv",
                    unlabelled_rows="drop")


def test_a_single_class_is_refused():
    with pytest.raises(DataError, match=r"target column 'label' has a single class \['a'\]"):
        _labelled(["a", "a", "a"])


def test_unknown_target_column_lists_the_columns():
    raw = pd.DataFrame({"x": [1.0], "y": [2.0]})
    with pytest.raises(DataError, match=r"file.csv: no target column 'label'; its columns are "
                                        r"\['x', 'y'\]"):
        with_target(raw, "label", "file.csv")


def test_a_feature_named_target_is_refused():
    raw = pd.DataFrame({"target": [1.0, 2.0], "label": ["a", "b"]})
    with pytest.raises(DataError, match="column 'target' is reserved for the label"):
        with_target(raw, "label", "file.csv")


def test_split_xy_gives_features_and_int64_codes():
    frame = _labelled(["b", "a", "b"])
    X, y = split_xy(frame)
    assert list(X.columns) == ["x"] and y.dtype == np.int64 and y.tolist() == [1, 0, 1]


def test_an_integer_target_is_taken_as_codes(three_class_frame):
    X, y = split_xy(three_class_frame)
    assert y.dtype == np.int64 and np.array_equal(y, three_class_frame[TARGET].to_numpy())
    assert class_names(three_class_frame) == ["0", "1", "2"]


def test_a_text_target_column_is_not_codes():
    with pytest.raises(DataError, match="expected categorical or integer class labels"):
        frames.label_codes(pd.DataFrame({TARGET: ["a", "b"]}))


def test_check_classes_names_each_class_below_the_fold_count():
    names = ["cat", "dog", "emu"]
    check_classes(np.array([0, 0, 1, 1, 2, 2]), names, 2)
    with pytest.raises(DataError) as info:
        check_classes(np.array([0, 0, 0, 1, 1, 2]), names, 3)
    message = str(info.value)
    assert "'dog' has 2 rows" in message and "'emu' has 1 rows" in message
    assert "'cat'" not in message and "3-fold CV" in message


def test_a_quantity_read_as_classes_is_refused_with_the_task_to_set():
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    table = with_target(frame, "target", "diabetes.csv")  # 214 classes of a quantity
    codes = split_xy(table)[1]
    with pytest.raises(DataError) as info:
        check_classes(codes, class_names(table), 5)
    message = str(info.value)
    assert message.startswith("209 of 214 class(es) too small for 5-fold CV: ")
    assert message.count(" has ") == 5 and " rows, ...; every class" in message  # not 209
    assert message.endswith("(numbers most of which are this rare are a quantity to predict: "
                            "set task: regression in the project's section)")


def test_check_classes_counts_a_class_with_no_rows():
    with pytest.raises(DataError, match="'emu' has 0 rows"):
        check_classes(np.array([0, 0, 1, 1]), ["cat", "dog", "emu"], 2)


def _values(values) -> pd.DataFrame:
    raw = pd.DataFrame({"x": np.arange(len(values), dtype=float), "price": values})
    return with_target(raw, "price", "file.csv", values=True)


def test_a_numeric_target_keeps_its_values_as_float64():
    frame = _values(["3", 1, 2.5, "4e2"])
    assert frame[TARGET].dtype == np.float64 and frame[TARGET].tolist() == [3, 1, 2.5, 400]
    X, y = split_xy(frame)
    assert list(X.columns) == ["x"] and y.tolist() == [3, 1, 2.5, 400]
    assert frames.has_values(frame) and class_names(frame) == []


@pytest.mark.parametrize("values, message", [
    ([1.0, "n/a", 2.0], r"1 of 3 values are not finite numbers \(e.g. 'n/a'\)"),
    ([1.0, np.inf, 2.0], r"1 of 3 values are not finite numbers \(e.g. inf\)"),
    ([7, 7, 7], r"target column 'price' is constant \(7.0 in every row\)")])
def test_a_numeric_target_refuses_text_infinity_and_a_constant(values, message):
    with pytest.raises(DataError, match=message):
        _values(values)


def test_a_numeric_target_is_stratified_by_its_quantile_bins():
    frame = _values(np.arange(100, dtype=float) ** 2)
    bins = frames.strata(frame, 4)
    assert np.bincount(bins).tolist() == [25, 25, 25, 25]
    assert bins[:25].tolist() == [0] * 25 and bins[-1] == 3  # in the order of the values
    repeated = _values([1.0] * 90 + [2.0] * 10)
    assert sorted(set(frames.strata(repeated, 10))) == [0, 1]  # repeats merge the bins


def test_cv_of_a_numeric_target_needs_a_row_per_fold():
    X, y = frames.cv_xy(_values([1.0, 2.0, 3.0]), 3)
    assert y.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match="3 rows cannot make 5 CV folds"):
        frames.cv_xy(_values([1.0, 2.0, 3.0]), 5)
