from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.frames import class_names, split_xy, with_target
from dlpipe.params import SplitParams
from dlpipe.stages.split import split_frame


def _split(**kw) -> SplitParams:
    return SplitParams(**{"method": "stratified", "test_size": 0.2, "seed": 1, "max_rows": None,
                          "bins": 10, "order_by": None, **kw})


def test_stratified_keeps_class_balance(three_class_frame):
    train, test = split_frame(three_class_frame, _split())
    assert len(train) == 48 and len(test) == 12
    assert test["target"].value_counts().tolist() == [4, 4, 4]


def test_seeded_and_seed_sensitive(three_class_frame):
    first = split_frame(three_class_frame, _split())[1]
    assert first.equals(split_frame(three_class_frame, _split())[1])
    assert not first.equals(split_frame(three_class_frame, _split(seed=2))[1])


def test_ordered_takes_the_last_rows(three_class_frame):
    train, test = split_frame(three_class_frame, _split(method="ordered", test_size=10))
    assert test.equals(three_class_frame.iloc[-10:].reset_index(drop=True))
    assert len(train) == 50


def test_max_rows_subsamples_stratified(three_class_frame):
    train, test = split_frame(three_class_frame, _split(max_rows=30))
    assert len(train) + len(test) == 30
    assert train["target"].value_counts().tolist() == [8, 8, 8]


def test_test_size_larger_than_data(three_class_frame):
    with pytest.raises(DataError, match="leaves no train or test rows"):
        split_frame(three_class_frame, _split(test_size=60))


def test_categorical_labels_select_the_same_rows_as_their_integer_codes():
    rng = np.random.default_rng(3)
    labels = rng.permutation(np.repeat(np.arange(12), 10))  # "10" sorts before "2" as text
    ints = pd.DataFrame({"a": rng.normal(size=120), "target": labels})
    named = with_target(ints.rename(columns={"target": "label"}), "label", "test")
    assert class_names(named)[:3] == ["0", "1", "2"]
    for params in (_split(), _split(max_rows=60, test_size=0.25)):
        for by_int, by_name in zip(split_frame(ints, params), split_frame(named, params)):
            assert by_int["a"].equals(by_name["a"])
            assert np.array_equal(split_xy(by_name)[1], by_int["target"].to_numpy())


def test_a_numeric_target_is_split_stratified_on_its_quantile_bins():
    values = np.random.default_rng(0).lognormal(3, 1, 500)
    frame = with_target(pd.DataFrame({"x": np.arange(500), "y": values}), "y", "t.csv",
                        values=True)
    train, test = split_frame(frame, _split(test_size=0.2, bins=5))
    assert len(test) == 100 and test["target"].dtype == np.float64
    edges = np.quantile(values, [0.2, 0.4, 0.6, 0.8])
    assert np.bincount(np.searchsorted(edges, test["target"]), minlength=5).tolist() == [20] * 5
    again, _ = split_frame(frame, _split(test_size=0.2, bins=5))
    assert train.equals(again)


def test_a_subsample_of_a_numeric_target_is_a_plain_seeded_sample():
    frame = with_target(pd.DataFrame({"x": np.arange(50), "y": np.arange(50.0)}), "y", "t.csv",
                        values=True)
    train, test = split_frame(frame, _split(test_size=10, max_rows=30))
    assert len(train) + len(test) == 30
    assert set(train["x"]) | set(test["x"]) < set(range(50))


def _dated(rows: int = 40) -> pd.DataFrame:
    """Rows in random order of their sale date; one row has no date and one a number."""
    rng = np.random.default_rng(3)
    sold = (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.permutation(rows), unit="D"))
    frame = pd.DataFrame({"sold": sold.strftime("%Y-%m-%d"), "x": rng.normal(size=rows),
                          "target": np.arange(rows) % 2})
    frame.loc[0, "sold"] = None
    return frame


def test_ordered_by_a_date_column_tests_the_latest_rows():
    frame = _dated()
    train, test = split_frame(frame, _split(method="ordered", test_size=10, order_by="sold"))
    latest = frame.dropna().sort_values("sold")["sold"].iloc[-10:].tolist()
    assert test["sold"].tolist() == latest  # the ten latest dates, oldest first
    assert train["sold"].isna().sum() == 1  # the row without a date trains
    assert train["sold"].dropna().max() < test["sold"].min()
    numbers = split_frame(frame, _split(method="ordered", test_size=10, order_by="x"))[1]
    assert numbers["x"].tolist() == sorted(frame["x"])[-10:]


@pytest.mark.parametrize("column, message", [
    ("when", "split.order_by: no column 'when' in the data (its columns: ['sold', 'x', "
             "'target'])"),
    ("kind", "split.order_by: column 'kind' holds neither numbers nor dates (e.g. 'red')")])
def test_order_by_a_column_that_cannot_order_the_rows_is_refused(column, message):
    frame = _dated().assign(kind="red")
    if column == "when":
        frame = frame.drop(columns="kind")
    with pytest.raises(DataError) as info:
        split_frame(frame, _split(method="ordered", order_by=column))
    assert str(info.value) == message
