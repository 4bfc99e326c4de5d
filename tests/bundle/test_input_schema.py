"""The input schema: what the training part had, and one line per problem of new rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dlpipe.metrics import ARGMAX, Decision
from dlpipe.bundle.input_schema import Schema, check, conform
from pets import CLASSES, TARGET, raw_rows


@pytest.fixture
def schema() -> Schema:
    train = raw_rows().rename(columns={TARGET: "target"})
    return Schema.from_frame("pets", train, {"numeric": ["size", "legs"],
                                             "categorical": ["colour", "coat"]},
                             classes=CLASSES, target=TARGET, input_width=7)


def test_columns_as_training_had_them(schema):
    size, legs, colour, coat = schema.columns
    assert schema.names == ["size", "legs", "colour", "coat"]
    assert (size.kind, size.dtype, size.nan) == ("numeric", "float64", True)
    assert (legs.min, legs.max, legs.nan) == (0.0, 4.0, False)
    assert (colour.kind, colour.categories, colour.nan) == ("categorical",
                                                            ["blue", "green", "red"], True)
    assert (coat.categories, coat.nan) == (["long", "short"], False)
    assert schema.ignored == ["id", "target", "kind"]  # dropped, the label, its own name
    assert schema.image_shape is None and schema.input_width == 7


def test_to_dict_and_back_through_json(schema):
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


def test_a_two_class_schema_keeps_its_decision():
    train = raw_rows().rename(columns={TARGET: "target"})
    schema = Schema.from_frame("pets", train, {"numeric": ["size", "legs"],
                                               "categorical": ["colour", "coat"]},
                               classes=["cat", "dog"], target=TARGET, input_width=7,
                               decision=Decision(0, 0.3))
    assert (schema.positive_class, schema.threshold) == ("cat", 0.3)
    again = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema and again.decision == Decision(0, 0.3)
    proba = np.array([[0.35, 0.65], [0.2, 0.8]])
    assert again.decision.labels(proba).tolist() == [0, 1]  # "cat" from 0.3 on


def test_a_schema_of_more_classes_predicts_the_most_probable(schema):
    assert (schema.positive_class, schema.threshold) == (None, None)
    assert schema.decision == ARGMAX


def test_another_version_is_refused(schema):
    with pytest.raises(ValueError, match="schema version 99"):
        Schema.from_dict({**schema.to_dict(), "version": 99})


def test_good_rows_have_no_problem_and_ignored_columns_are_accepted(schema):
    rows = raw_rows(9, seed=1)  # with the id and label columns
    rows.loc[[0, 4], ["size", "colour"]] = np.nan  # missing where training had some
    assert check(schema, rows) == []
    assert check(schema, rows.drop(columns=["id", TARGET])) == []


def test_numbers_read_as_text_are_numbers(schema):
    rows = raw_rows(3).astype({"legs": str, "size": str})
    assert check(schema, rows) == []
    assert conform(schema, rows)["legs"].tolist() == [4.0, 4.0, 0.0]


def test_a_missing_column(schema):
    assert check(schema, raw_rows(3).drop(columns="legs")) == [
        "column 'legs': missing (a numeric input of the model)"]


def test_an_unknown_column(schema):
    assert check(schema, raw_rows(3).assign(weight=1.0)) == [
        "column 'weight': unknown column (not an input of the model)"]


def test_text_in_a_numeric_column(schema):
    rows = raw_rows(3).astype({"legs": object})
    rows.loc[1, "legs"] = "four"
    assert check(schema, rows) == ["row 2, column 'legs': 'four' is not a number"]


def test_an_unknown_category(schema):
    rows = raw_rows(3)
    rows.loc[2, "colour"] = "purple"
    assert check(schema, rows) == ["row 3, column 'colour': unknown category 'purple' (training "
                                   "saw 'blue', 'green', 'red')"]


def test_a_missing_value_where_training_had_none(schema):
    rows = raw_rows(3).astype({"legs": float})
    rows.loc[0, "legs"] = np.nan
    rows.loc[2, "coat"] = None
    assert check(schema, rows) == ["row 1, column 'legs': missing value (training had none)",
                                   "row 3, column 'coat': missing value (training had none)"]


def test_problems_come_column_first_then_row_by_row(schema):
    rows = raw_rows(4).drop(columns="coat").astype({"legs": object})
    rows.loc[3, "legs"] = "x"
    rows.loc[1, "colour"] = "pink"
    rows.loc[3, "colour"] = "grey"
    problems = check(schema, rows.assign(extra=0))
    assert problems == [
        "column 'coat': missing (a categorical input of the model)",
        "column 'extra': unknown column (not an input of the model)",
        "row 2, column 'colour': unknown category 'pink' (training saw 'blue', 'green', 'red')",
        "row 4, column 'legs': 'x' is not a number",
        "row 4, column 'colour': unknown category 'grey' (training saw 'blue', 'green', 'red')"]


def test_a_column_given_twice(schema):
    rows = pd.concat([raw_rows(2), raw_rows(2)[["legs"]]], axis=1)
    assert check(schema, rows) == ["column 'legs': given 2 times"]


def test_image_columns_keep_their_shape():
    pixels = pd.DataFrame(np.zeros((2, 4), dtype=np.uint8),
                          columns=[f"pixel{k}" for k in range(1, 5)])
    schema = Schema.from_frame("digits", pixels, {"numeric": list(pixels.columns)},
                               ["0", "1"], "class", 4, image_shape=(2, 2, 1))
    assert schema.to_dict()["image_shape"] == [2, 2, 1]
    assert schema.columns[0].dtype == "uint8"
    assert check(schema, pixels.astype(float)) == []
