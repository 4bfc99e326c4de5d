"""audit: on a bundle trained by the real preprocess and train nodes, the site whose labels are
noise is flagged and the others are not; the node returns the table, the figure and score rows
(one split per slice, ``flagged`` 1.0 for the weak site); test rows without a feature column
are refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.bundle.inference import Bundle
from dlpipe.errors import DataError
from dlpipe.frames import with_target
from dlpipe.insight.slices import COLUMNS
from dlpipe.metrics import SCORE_COLUMNS
from dlpipe.params import AuditParams
from dlpipe.plots import Figure, plt
from support import feature_params, train_bundle

pytest.importorskip("dlpipe.models.network")
from dlpipe.stages.audit import audit  # noqa: E402

CLASSES = ["low", "mid", "high"]
PARAMS = AuditParams(bootstrap=40, confidence=0.95, gap=0.05, value_gap=0.25,
                     numeric_features=1, min_rows=10)


def rows_of(n: int, seed: int) -> pd.DataFrame:
    """The class shows in ``size``, except at site "c", where the label is noise."""
    rng = np.random.default_rng(seed)
    kind = np.arange(n) % 3
    site = np.asarray(["a", "b", "c"], dtype=object)[(np.arange(n) // 3) % 3]
    label = np.where(site == "c", rng.integers(0, 3, n), kind)
    return pd.DataFrame({"size": kind * 3.0 + rng.normal(0, 0.3, n), "site": site,
                         "kind": np.asarray(CLASSES)[label]})


@pytest.fixture(scope="module")
def trained():
    """The bundle train writes, fitted on 270 rows, and 270 fresh test rows."""
    train_part = with_target(rows_of(270, seed=0), "kind", "sites.csv")
    test_part = with_target(rows_of(270, seed=1), "kind", "sites.csv")
    bundle = train_bundle(train_part, test_part, feature_params(), "kind", "sites", units=8,
                          epochs=20, patience=5, learning_rate=0.05)
    return bundle, test_part


IMPORTANCE = pd.DataFrame({"feature": ["size", "site"], "method": ["permutation"] * 2,
                           "mean": [0.4, 0.05], "std": [0.01, 0.01]})


@pytest.fixture(scope="module")
def run(trained):
    bundle, test = trained
    out = audit(test, bundle, IMPORTANCE, seed=0, audit=PARAMS, project="sites")
    yield out
    plt.close("all")


def test_the_site_with_noise_labels_is_flagged_the_others_are_not(run):
    table = run["table"].set_index(["feature", "slice"])
    assert list(run["table"].columns) == COLUMNS
    assert table.loc[("site", "c"), "flagged"]
    assert table.loc[("site", "c"), "score"] < 0.6
    assert not table.loc[("site", "a"), "flagged"] and not table.loc[("site", "b"), "flagged"]
    assert table.loc[("site", "a"), "score"] > 0.9
    assert run["table"]["group"].tolist()[:4] == ["overall", "class", "class", "class"]
    assert set(run["table"]["group"]) == {"overall", "class", "category", "quartile"}
    quartiles = table.xs("size").index  # the one numeric feature asked for
    assert len(quartiles) == 4 and quartiles.str.startswith("q").all()


def test_the_figure_and_the_tidy_rows(run):
    assert isinstance(run["figure"], Figure)
    scores = run["scores"]
    assert list(scores.columns) == SCORE_COLUMNS
    assert set(scores["task"]) == {"audit"} and set(scores["model"]) == {"keras_mlp"}
    assert set(scores["metric"]) == {"accuracy", "accuracy_low", "accuracy_high", "flagged"}
    assert len(scores) == 4 * len(run["table"])
    flagged = scores[(scores["metric"] == "flagged") & (scores["value"] == 1.0)]
    assert "test[site: c]" in set(flagged["split"])
    assert {"test", "test[class: mid]", "test[site: a]"} <= set(scores["split"])
    overall = scores[scores["split"] == "test"].set_index("metric")["value"]
    assert overall["accuracy_low"] <= overall["accuracy"] <= overall["accuracy_high"]


def test_test_rows_without_a_feature_column_are_refused(trained):
    bundle, test = trained
    with pytest.raises(DataError, match=r"lack the feature columns \['site'\]"):
        audit(test.drop(columns="site"), bundle, IMPORTANCE, seed=0, audit=PARAMS,
              project="sites")


def test_a_numeric_target_is_audited_by_rmse_per_quartile_of_its_value(diabetes_bundle):
    _, out, _, test = diabetes_bundle
    importance = pd.DataFrame({"feature": ["bmi", "s5"], "method": ["permutation"] * 2,
                               "mean": [10.0, 8.0], "std": [1.0, 1.0]})
    done = audit(test, out["bundle"], importance, seed=0, audit=PARAMS, project="diabetes")
    plt.close("all")
    table = done["table"]
    predicted = Bundle.from_outputs("diabetes", out["bundle"]).probabilities(
        test.drop(columns="target"))[:, 0]
    rmse = np.sqrt(np.mean((test["target"].to_numpy() - predicted) ** 2))
    assert table["score"][0] == pytest.approx(rmse, rel=1e-5)
    assert table["group"].tolist()[:5] == ["overall"] + ["quartile"] * 4
    assert table["feature"].tolist()[1:5] == ["target"] * 4
    assert table[table["feature"] == "bmi"].shape[0] == 4  # the one numeric feature asked for
    flagged = table["flagged"] & (table["score"] <= rmse * 1.25)
    assert not flagged.any()  # a flagged slice is more than value_gap above the overall
    scores = done["scores"]
    assert set(scores["metric"]) == {"rmse", "rmse_low", "rmse_high", "flagged"}
