"""Giving a project a new version of its data by editing params.yaml's text: the ``data:``
block replaced (block or flow style), class names added, every other line kept; a layout it
cannot edit refused."""

from __future__ import annotations

import pytest
import yaml

from dlpipe.errors import ParamsError
from dlpipe.params_file import with_data

TEXT = """projects: [shop, iris]   # both
shop:
  data:
    source: csv               # the user's file
    path: data/shop.csv
  model: {units: 8}           # kept

iris:
  data: {source: sklearn, loader: load_iris}
  # a comment inside the section
  tune: {n_trials: 3}
"""
NEW = {"source": "csv", "path": "data/retrain/iris.csv", "sep": ","}


def test_a_block_is_replaced_and_every_other_line_kept():
    text = with_data(TEXT, "shop", {"source": "csv", "path": "data/shop.csv", "sha256": "ab"})
    assert "    sha256: ab\n  model: {units: 8}           # kept\n" in text
    assert text.startswith("projects: [shop, iris]   # both\n") and text.endswith(
        TEXT[TEXT.index("\niris:"):])


def test_a_flow_block_is_replaced_and_class_names_added():
    text = with_data(TEXT, "iris", NEW, {0: "setosa", 1: "versicolor"})
    raw = yaml.safe_load(text)
    assert raw["iris"] == {"data": NEW, "class_names": {0: "setosa", 1: "versicolor"},
                           "tune": {"n_trials": 3}}
    assert "  # a comment inside the section\n" in text and raw["shop"] == yaml.safe_load(
        TEXT)["shop"]


@pytest.mark.parametrize("text", [
    "projects: [shop]\nshop:\n  model: {units: 8}\n",  # no data block
    "projects: [shop]\nshop: {data: {source: csv}}\n",  # the section on one line
])
def test_a_layout_it_cannot_edit_is_refused(text):
    with pytest.raises(ParamsError, match="shop.data"):
        with_data(text, "shop", NEW)
