"""Free text and dates inside the feature transformer: fitted on the training rows only, saved
and loaded through the skops allow-list, refused in one line when unusable, and found by
``dlpipe add``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.bundle.files import dump_transformer, load_transformer
from dlpipe.bundle.input_schema import Schema, check
from dlpipe.encoders import DateParts, TextTfidf, TextTokens, days, known_share, vocabularies
from dlpipe.errors import DataError
from dlpipe.features import feature_names, fitted_columns, make_transformer
from dlpipe.table_checks import text_and_dates
from support import feature_params

TRAIN = pd.DataFrame({
    "size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    "review": ["good phone", "bad phone", "good good", None, "bad battery", "great phone"],
    "sold": ["2024-01-05", "2024-02-10 10:30", "2023-12-31", None, "2024-03-01",
             "2024-03-02"]})


def fitted(**overrides):
    features = feature_params(text=["review"], datetime=["sold"], **overrides)
    return make_transformer(features, TRAIN).fit(TRAIN)


def test_the_vocabulary_and_the_calendar_come_from_the_training_rows():
    transformer = fitted()
    assert fitted_columns(transformer) == {"numeric": ["size"], "categorical": [],
                                           "text": ["review"], "datetime": ["sold"]}
    # words in at least min_df = 2 rows; "great" and "battery" are in one each
    assert feature_names(transformer)[:3] == ["review:bad", "review:good", "review:phone"]
    assert feature_names(transformer)[3:9] == ["sold:year", "sold:month", "sold:day",
                                               "sold:weekday", "sold:hour", "sold:days"]
    out = transformer.transform(TRAIN)
    assert out.dtype == np.float32 and out.shape == (6, 10)
    assert np.all(out[3, :3] == 0.0)  # a missing text has no word
    assert np.isfinite(out).all()  # a missing date is imputed
    new = transformer.transform(TRAIN.assign(review=["unseen words only"] * 6))
    assert np.all(new[:, :3] == 0.0)  # words outside the vocabulary count for nothing


def test_the_limits_come_from_params():
    transformer = fitted(tfidf={"max_features": 2, "min_df": 1, "ngrams": 2})
    assert feature_names(transformer)[:2] == ["review:good", "review:phone"]


def test_dates_without_a_time_of_day_get_no_hour():
    parts = DateParts().fit(pd.DataFrame({"d": ["2024-01-01", "2024-06-30"]}))
    assert list(parts.get_feature_names_out()) == ["d:year", "d:month", "d:day", "d:weekday",
                                                   "d:days"]
    row = parts.transform(pd.DataFrame({"d": ["2024-06-30"]}))[0]
    assert row.tolist() == [2024, 6, 30, 6, days(pd.Series(["2024-06-30"]))[0]]
    assert days(pd.Series(["1970-01-02"]))[0] == 1.0


@pytest.mark.parametrize("step, values, message", [
    (TextTfidf(), ["", None, "  "], "column 'c' is empty in every training row"),
    (TextTfidf(min_df=3), ["one two", "three four"], "no word appears in 3 training rows"),
    (DateParts(), ["2024-01-01", "soon", "2024-01-03"],
     "column 'c': 1 of 3 training values are not dates (e.g. 'soon' in row 2)"),
    (DateParts(), [None, None], "column 'c' is empty in every training row")])
def test_an_unusable_column_is_refused_by_name(step, values, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        step.fit(pd.DataFrame({"c": values}))


def test_saved_and_loaded_through_the_allow_list(tmp_path):
    transformer = fitted()
    dump_transformer(tmp_path / "t.skops", transformer)
    again = load_transformer(tmp_path / "t.skops")
    np.testing.assert_array_equal(again.transform(TRAIN), transformer.transform(TRAIN))


def test_the_schema_refuses_a_date_that_is_not_one_and_takes_any_text():
    transformer = fitted()
    schema = Schema.from_frame("shop", TRAIN, fitted_columns(transformer), [], "y", 10)
    assert [c.kind for c in schema.columns] == ["numeric", "text", "datetime"]
    assert Schema.from_dict(schema.to_dict()) == schema
    rows = TRAIN.assign(review=["anything at all"] * 6,
                        sold=["2024-01-01", "tomorrow", None, "2024-13-45", "2024-01-01",
                              "2024-01-01"])
    assert check(schema, rows) == ["row 2, column 'sold': 'tomorrow' is not a date",
                                   "row 4, column 'sold': '2024-13-45' is not a date"]


def test_drift_reads_the_share_of_known_words():
    transformer = fitted()
    analyzer, words = vocabularies(transformer)["review"]
    share = known_share(pd.Series(["good phone", "good unknown", None]), analyzer, words)
    assert share[:2].tolist() == [1.0, 0.5] and np.isnan(share[2])


def test_add_finds_text_and_date_columns():
    rng = np.random.default_rng(0)
    words = np.array(["good", "bad", "phone", "screen", "fast", "slow", "battery", "price"])
    table = pd.DataFrame({
        "review": [" ".join(rng.choice(words, 5)) for _ in range(40)],
        "sold": pd.date_range("2024-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
        "colour": rng.choice(["red", "blue"], 40),
        "code": [f"c{k}" for k in range(40)]})
    assert text_and_dates(table) == (["review"], ["sold"])
    assert text_and_dates(table.assign(sold=pd.to_datetime(table["sold"]))) == (["review"],
                                                                                 ["sold"])


def test_a_word_s_importance_is_the_worsening_when_it_is_taken_out():
    from dlpipe.insight.importance import frequent_words, word_importance

    X = pd.DataFrame({"review": ["Great phone", "great", "bad phone", "bad", None, "fine"]})
    y = np.array([1, 1, 0, 0, 0, 1])

    def predict(rows):  # "great" makes the second class likely, anything else the first
        hit = rows["review"].fillna("").str.lower().str.contains("great").to_numpy()
        return np.column_stack([np.where(hit, 0.1, 0.9), np.where(hit, 0.9, 0.1)])

    table = word_importance(predict, X, y, "accuracy", "review", ["great", "phone"])
    assert table["feature"].tolist() == ["review:great", "review:phone"]
    assert table["mean"].tolist() == pytest.approx([2 / 6, 0.0])  # two rows lose their hit
    assert set(table["method"]) == {"word"}
    transformer = fitted(tfidf={"max_features": 10, "min_df": 1, "ngrams": 2})
    analyzer, words = vocabularies(transformer)["review"]
    assert frequent_words(TRAIN["review"], analyzer, words, 2) == ["phone", "bad"]  # 3, 2 rows


# --- word ids (text_encoding: tokens) -------------------------------------------------------------
def test_word_ids_rank_the_training_words_by_frequency_and_pad_or_cut_each_text():
    tokens = TextTokens(vocabulary=5, length=4).fit(TRAIN[["review"]])
    # phone 3, good 3 (the 3 of "good good" and "good phone"), bad 2: the ties alphabetical
    assert tokens.words_ == {"good": 2, "phone": 3, "bad": 4}
    out = tokens.transform(pd.DataFrame({"review": [
        "Good, phone!", "bad battery", None, "phone phone phone phone phone"]}))
    assert out.dtype == np.float32 and out.tolist() == [
        [2, 3, 0, 0],  # lower-cased, punctuation splits, padded with 0
        [4, 1, 0, 0],  # a word outside the vocabulary is 1
        [0, 0, 0, 0],  # a missing text has no word
        [3, 3, 3, 3]]  # the first `length` words
    assert list(tokens.get_feature_names_out()) == [f"review:{k}" for k in range(1, 5)]


def test_word_ids_come_from_params_and_go_through_the_bundle_s_allow_list(tmp_path):
    transformer = make_transformer(feature_params(
        text=["review"], numeric=[], drop=["size", "sold"], text_encoding="tokens",
        tokens={"vocabulary": 10, "length": 3}), TRAIN).fit(TRAIN)
    assert feature_names(transformer) == ["review:1", "review:2", "review:3"]
    dump_transformer(tmp_path / "t.skops", transformer)
    again = load_transformer(tmp_path / "t.skops")
    np.testing.assert_array_equal(again.transform(TRAIN), transformer.transform(TRAIN))
    splitter, words = vocabularies(again)["review"]
    assert splitter("Good phone") == ["good", "phone"] and words == {
        "good", "phone", "bad", "battery", "great"}


def test_word_ids_read_one_text_column_alone():
    with pytest.raises(DataError, match=r"word ids of \['review'\] alone.*\['size', 'sold'\]"
                                        r".*features.drop"):
        make_transformer(feature_params(text=["review"], text_encoding="tokens"), TRAIN)
    with pytest.raises(DataError, match="column 'c' is empty in every training row"):
        TextTokens().fit(pd.DataFrame({"c": ["", None, " ,. "]}))
