"""``dlpipe compare``: the versions in a prediction log compared on its labelled rows, paired
when a shadow answered the same rows, split otherwise; a numeric target by RMSE; and a log it
cannot compare refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from dlpipe.cli import main
from dlpipe.insight.comparison_power import rows_needed
from dlpipe.monitoring.log_files import SegmentWriter
from dlpipe.monitoring.prediction_log import FEEDBACK, PREDICTIONS
from support import repo_params

LOG = "data/served/shop"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(repo_params(), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_log(answers: dict[str, list], truths: list, shadow: str | None = None,
              answered: list[str] | None = None) -> None:
    """Row k of request k answered by every version in ``answers`` (a ``shadow`` version's
    record marked so), labelled ``truths[k]``; ``answered``: the returned version per row."""
    predictions = SegmentWriter(LOG, PREDICTIONS, 10 ** 8, False)
    labels = SegmentWriter(LOG, FEEDBACK, 10 ** 8, False)
    key = "label" if isinstance(truths[0], str) else "value"
    for k, truth in enumerate(truths):
        for version, said in answers.items():
            if answered is not None and answered[k] != version:
                continue
            predictions.write([{"id": f"r{k}", "row": 0, "version": version, key: said[k],
                                **({"shadow": True} if version == shadow else {})}])
        labels.write([{"id": f"r{k}", "row": 0, key: truth}])
    predictions.close()
    labels.close()


def right_or_wrong(truths, rate, rng):
    return [t if rng.random() < rate else ("dog" if t == "cat" else "cat") for t in truths]


def test_a_shadow_is_compared_row_by_row(repo, capsys):
    rng = np.random.default_rng(0)
    truths = list(rng.choice(["cat", "dog"], 400))
    champ, chall = right_or_wrong(truths, 0.80, rng), right_or_wrong(truths, 0.95, rng)
    write_log({"champ": champ, "chall": chall}, truths, shadow="chall")
    assert main(["compare", "shop", "--output", "cmp.json"]) == 0
    said = capsys.readouterr().out
    assert "champion champ, challenger chall" in said and "paired design" in said
    result = json.loads((repo / "cmp.json").read_text())
    assert result["design"] == "paired" and result["rows"] == [400, 400]
    assert result["decision"] == "challenger better" and result["difference"] > 0.1
    right = np.array(champ) == np.array(truths), np.array(chall) == np.array(truths)
    disagree = float(np.mean(right[0] != right[1]))  # measured, not assumed independent
    assert result["rows_needed"] == rows_needed(right[0].mean(), 0.03, 0.05, 0.8, True, disagree)


def test_a_split_counts_each_row_for_the_version_that_answered(repo, capsys):
    rng = np.random.default_rng(1)
    truths = list(rng.choice(["cat", "dog"], 400))
    answered = list(rng.choice(["one", "two"], 400))
    write_log({"one": truths, "two": truths}, truths, answered=answered)
    assert main(["compare", "shop", "--champion", "two", "--output", "cmp.json"]) == 0
    result = json.loads((repo / "cmp.json").read_text())
    assert result["design"] == "split" and result["champion"] == "two"
    assert result["rows"] == [answered.count("two"), answered.count("one")]
    assert result["decision"] == "no significant difference" and result["difference"] == 0


def test_a_numeric_target_is_compared_by_rmse(repo):
    rng = np.random.default_rng(2)
    truths = list(rng.normal(100, 20, 300))
    write_log({"old": [t + rng.normal(0, 10) for t in truths],
               "new": [t + rng.normal(0, 5) for t in truths]}, truths, shadow="new")
    assert main(["compare", "shop", "--output", "cmp.json"]) == 0
    result = json.loads((repo / "cmp.json").read_text())
    assert result["metric"] == "rmse" and result["decision"] == "challenger better"
    assert 8 < result["values"][0] < 12 and 3.5 < result["values"][1] < 6.5


@pytest.mark.parametrize("answers, words", [
    ({"only": ["cat"] * 5}, "every labelled row was answered by version only"),
    ({"a": ["cat"] * 5, "b": ["cat"] * 5, "c": ["cat"] * 5}, "name --champion and --challenger"),
])
def test_a_log_it_cannot_compare_is_refused_in_one_line(repo, capsys, answers, words):
    write_log(answers, ["cat"] * 5)
    assert main(["compare", "shop"]) == 2
    assert words in capsys.readouterr().err


def test_a_log_without_feedback_says_how_to_give_it(repo, capsys):
    SegmentWriter(LOG, PREDICTIONS, 10 ** 8, False).write([{"id": "r", "row": 0,
                                                            "version": "v", "label": "cat"}])
    assert main(["compare", "shop"]) == 2
    assert "no feedback labels yet" in capsys.readouterr().err
