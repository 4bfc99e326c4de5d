"""insight.slices: a degraded slice is flagged and a healthy one is not, a tiny slice never is;
intervals hold their point estimate and repeat with the seed; quartiles handle ties, few values
and missing values; images are sliced by ink; the importance table ranks the numeric features
and a wrong one is refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.errors import DataError
from dlpipe.insight import slices
from dlpipe.plots import Figure, plt

BOOT = 60  # resamples: enough for stable intervals on these clear cases, quick to run


def scrambled(y: np.ndarray, where: np.ndarray, seed: int) -> np.ndarray:
    """``y`` with the rows of ``where`` given a wrong class (three classes)."""
    out = y.copy()
    out[where] = (y[where] + np.random.default_rng(seed).integers(1, 3, where.sum())) % 3
    return out


@pytest.fixture
def colours():
    """605 rows: red 5 % wrong, green right, blue half wrong, grey (5 rows) all wrong."""
    colour = np.repeat(["red", "green", "blue", "grey"], [200, 200, 200, 5]).astype(object)
    y = np.random.default_rng(0).integers(0, 3, len(colour))
    wrong = ((colour == "blue") & (np.arange(len(colour)) % 2 == 0)) | (colour == "grey")
    wrong |= (colour == "red") & (np.arange(len(colour)) % 20 == 0)
    return pd.Series(colour, name="colour"), y, scrambled(y, wrong, seed=1)


def audited(cuts, y, y_pred, seed=0, gap=0.05, min_rows=10):
    table = slices.scores((y == y_pred).astype(float), cuts, BOOT, 0.95, seed)
    return slices.flag(table, table["score"][0] - gap, min_rows).set_index("slice")


def test_a_degraded_category_is_flagged_a_healthy_or_tiny_one_is_not(colours):
    colour, y, y_pred = colours
    table = audited([slices.by_category(colour, "colour")], y, y_pred)
    assert list(table.columns) == slices.COLUMNS[:2] + slices.COLUMNS[3:]
    assert table.loc["all", "score"] == pytest.approx(np.mean(y == y_pred))
    assert table.loc["blue", "score"] == pytest.approx(0.5)
    assert table.loc["blue", "flagged"]
    assert not table.loc["red", "flagged"] and not table.loc["green", "flagged"]
    assert table.loc["grey", "score"] == 0.0 and table.loc["grey", "rows"] == 5
    assert not table.loc["grey", "flagged"]  # far below, but under min_rows
    assert table.loc["blue", "gap"] == pytest.approx(table.loc["all", "score"] - 0.5)


def test_a_slice_whose_interval_reaches_the_overall_is_not_flagged():
    table = pd.DataFrame({"group": ["overall", "class", "class"], "feature": ["", "class", "class"],
                          "slice": ["all", "a", "b"], "rows": [100, 50, 50],
                          "score": [0.9, 0.8, 0.8], "low": [0.85, 0.7, 0.6],
                          "high": [0.95, 0.88, 0.92]})
    assert slices.flag(table, 0.9 - 0.05, 10)["flagged"].tolist() == [False, True, False]
    assert slices.flag(table, 0.9 - 0.15, 10)["flagged"].tolist() == [False, False, False]


def test_an_error_is_flagged_above_the_overall_with_its_whole_interval():
    table = pd.DataFrame({"group": ["overall", "class", "class", "class"],
                          "feature": ["", "t", "t", "t"], "slice": ["all", "a", "b", "c"],
                          "rows": [100, 50, 50, 5], "score": [10.0, 14.0, 14.0, 30.0],
                          "low": [9.0, 11.0, 9.5, 20.0], "high": [11.0, 17.0, 18.0, 40.0]})
    flagged = slices.flag(table, 12.5, 10, lower_is_better=True)
    assert flagged["flagged"].tolist() == [False, True, False, False]  # b reaches it; c is tiny
    assert flagged["gap"].tolist() == [0.0, 4.0, 4.0, 20.0]  # worse is positive either way
    assert slices.flag(table, 15.0, 10, lower_is_better=True)["flagged"].sum() == 0


def test_rmse_per_slice_is_the_root_of_the_mean_squared_error_with_its_interval():
    rng = np.random.default_rng(0)
    y = rng.normal(100, 20, 400)
    noisy = np.arange(400) < 100  # the first quarter of the rows is predicted badly
    y_pred = y + np.where(noisy, rng.normal(0, 30, 400), rng.normal(0, 5, 400))
    group = pd.Series(np.where(noisy, "noisy", "calm"), name="g")
    table = slices.scores((y - y_pred) ** 2, [slices.by_category(group, "g")], BOOT, 0.95, 0,
                          root=True).set_index("slice")
    assert table.loc["all", "score"] == pytest.approx(np.sqrt(np.mean((y - y_pred) ** 2)))
    assert table.loc["noisy", "score"] == pytest.approx(
        np.sqrt(np.mean((y - y_pred)[noisy] ** 2)))
    assert (table["low"] <= table["score"]).all() and (table["score"] <= table["high"]).all()
    overall = table.loc["all", "score"]
    flagged = slices.flag(table.reset_index(), overall * 1.25, 10, lower_is_better=True)
    assert flagged.set_index("slice")["flagged"].to_dict() == {
        "all": False, "calm": False, "noisy": True}


def test_a_numeric_target_is_sliced_by_quartile_of_its_true_value():
    y = np.linspace(0.0, 99.0, 100)
    [cut] = slices.slicings(pd.DataFrame({"x": y}), y, [], {"x": "numeric"},
                            importance_of(), 0, image=False)
    assert (cut.group, cut.feature) == ("quartile", "target")
    assert cut.order[0] == "q1 [0, 24.8)" and len(cut.order) == 4


def test_intervals_hold_the_estimate_and_repeat_with_the_seed(colours):
    colour, y, y_pred = colours
    cuts = [slices.by_class(y, ["a", "b", "c"]), slices.by_category(colour, "colour")]
    first, again, other = (audited(cuts, y, y_pred, seed=s) for s in (3, 3, 4))
    assert ((first["low"] <= first["score"]) & (first["score"] <= first["high"])).all()
    assert (first["low"] < first["high"]).sum() >= 4  # real intervals, not points
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["low"], other["low"])
    assert first.index[:4].tolist() == ["all", "a", "b", "c"]


def test_a_degraded_quartile_is_flagged():
    x = pd.Series(np.random.default_rng(2).uniform(0, 100, 800), name="size")
    y = np.arange(800) % 3
    y_pred = scrambled(y, (x > x.quantile(0.75)).to_numpy() & (np.arange(800) % 3 > 0), seed=2)
    table = audited([slices.by_quartile(x, "size")], y, y_pred)
    assert [label.split(" ")[0] for label in table.index] == ["all", "q1", "q2", "q3", "q4"]
    assert table.index[-1].endswith("]") and table.index[1].endswith(")")
    assert table["rows"].iloc[1:].tolist() == [200] * 4
    assert table["flagged"].tolist() == [False, False, False, False, True]


def test_quartiles_merge_tied_edges_and_name_few_values():
    mostly_zero = pd.Series([0.0] * 60 + [1.0, 2.0, 3.0, 4.0, 5.0] * 8)
    cut = slices.by_quartile(mostly_zero, "fc")
    assert cut.order == ["q1 [0, 2)", "q2 [2, 5]"]  # edges 0, 0, 0, 2, 5
    assert (cut.labels == "q1 [0, 2)").sum() == 68
    binary = slices.by_quartile(pd.Series([0, 1, 1, np.nan] * 10), "wifi")
    assert binary.order == ["0", "1", "missing"]
    assert slices.by_quartile(pd.Series([7.5] * 20), "same") is None
    assert slices.by_quartile(pd.Series([1208.5, 263.25, 9.0, 0.125, 77, 1.5]), "ram").order[0] \
        == "q1 [0.125, 3.38)"


def test_images_are_sliced_by_ink_not_by_pixel():
    pixels = pd.DataFrame(np.outer(np.arange(40), np.ones(4)),
                          columns=[f"pixel{k}" for k in range(1, 5)])
    kinds = {name: "numeric" for name in pixels.columns}
    importance = pd.DataFrame({"feature": ["patch_0_0"], "method": ["occlusion"], "mean": [0.1]})
    cuts = slices.slicings(pixels, np.arange(40) % 2, ["even", "odd"], kinds, importance, 3,
                           image=True)
    assert [(cut.group, cut.feature) for cut in cuts] == [("class", "class"), ("quartile", "ink")]
    assert cuts[1].order == ["q1 [0, 9.75)", "q2 [9.75, 19.5)", "q3 [19.5, 29.2)",
                             "q4 [29.2, 39]"]


def test_free_text_is_sliced_by_its_length_in_words_and_a_date_by_its_quartiles():
    days = pd.Series(pd.date_range("2024-01-01", periods=80, freq="D").strftime("%Y-%m-%d"))
    texts = pd.Series([" ".join(["word"] * (1 + k % 8)) for k in range(79)] + [None])
    features = pd.DataFrame({"review": texts, "sold": days})
    cuts = slices.slicings(features, np.arange(80) % 2, ["a", "b"],
                           {"review": "text", "sold": "datetime"}, importance_of(), 3,
                           image=False)
    assert [(cut.group, cut.feature) for cut in cuts] == [
        ("class", "class"), ("quartile", "review (words)"), ("quartile", "sold")]
    words, dates = cuts[1], cuts[2]
    assert words.labels[-1] == words.labels[0] == "q1 [0, 2)"  # no text: no words
    assert words.order[-1] == "q4 [6, 8]" and words.order[1] == "q2 [2, 4)"
    # the quartiles of 80 days fall at 6 pm and noon: rounded up to the next day
    assert dates.order == ["q1 [2024-01-01, 2024-01-21)", "q2 [2024-01-21, 2024-02-10)",
                           "q3 [2024-02-10, 2024-03-01)", "q4 [2024-03-01, 2024-03-20]"]
    assert [(dates.labels == name).sum() for name in dates.order] == [20, 20, 20, 20]
    timed = slices.by_quartile(pd.Series([0.0, 0.5, 1.25, 2.0, 3.0]), "at", slices._date,
                               whole=True)
    assert timed.order[0] == "q1 [1970-01-01, 1970-01-01 12:00)"  # times of day: kept


def importance_of(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["feature", "method", "mean", "std"])


KINDS = {"a": "numeric", "b": "numeric", "c": "numeric", "colour": "categorical"}


def test_the_permutation_importance_ranks_the_numeric_features():
    table = importance_of(("a", "permutation", 0.1, 0.0), ("b", "permutation", 0.3, 0.0),
                          ("c", "permutation", 0.1, 0.0), ("colour", "permutation", 0.9, 0.0),
                          ("c", "shap", 5.0, 0.0))
    assert slices.top_numeric(table, KINDS, 2) == ["b", "a"]  # a tie goes by name
    assert slices.top_numeric(table, KINDS, 0) == []
    frame = pd.DataFrame({"a": range(8), "b": range(8), "c": range(8), "colour": ["x", "y"] * 4})
    cuts = slices.slicings(frame, np.arange(8) % 2, ["n", "p"], KINDS, table, 1, image=False)
    assert [(cut.group, cut.feature) for cut in cuts] == [
        ("class", "class"), ("category", "colour"), ("quartile", "b")]


def test_an_importance_row_of_a_feature_the_model_lacks_is_refused_by_name():
    table = importance_of(("a", "permutation", 0.1, 0.0), ("weight", "permutation", 0.2, 0.0))
    with pytest.raises(DataError, match=r"\['weight'\]"):
        slices.top_numeric(table, KINDS, 3)


def test_an_importance_table_without_its_columns_is_refused():
    with pytest.raises(DataError, match=r"lacks the columns \['method'\]"):
        slices.top_numeric(pd.DataFrame({"feature": ["a"], "mean": [0.1]}), KINDS, 3)


def test_an_importance_table_without_permutation_rows_is_refused():
    with pytest.raises(DataError, match="no 'permutation' rows"):
        slices.top_numeric(importance_of(("a", "shap", 0.1, 0.0)), KINDS, 3)


def test_the_forest_plot_has_a_row_per_slice(colours):
    colour, y, y_pred = colours
    table = slices.scores((y == y_pred).astype(float), [slices.by_category(colour, "colour")],
                          BOOT, 0.9, 0)
    table = slices.flag(table, table["score"][0] - 0.05, 10)
    fig = slices.forest(table, table["score"][0] - 0.05, 0.9, "colours")
    ax = fig.axes[0]
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels[0] == "overall  (n=605)" and "colour: blue  (n=200)" in labels
    assert len(labels) == len(table) and isinstance(fig, Figure)
    assert [line.get_xdata()[0] for line in ax.get_lines()
            if line.get_label().startswith(("overall", "flagged beyond"))] == pytest.approx(
        [table["score"][0], table["score"][0] - 0.05])
    assert ax.get_xlabel() == "accuracy (90% bootstrap interval)"
    plt.close(fig)
