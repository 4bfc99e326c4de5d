"""explain on synthetic projects with a known answer: a table whose label is one column
(and a noise column, a noise category beside it), and tiny images whose class is where the ink
is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.frames import with_target
from dlpipe.insight.importance import COLUMNS, ranked
from support import feature_params, repo_params, train_bundle

SEED = 0


def explain_params(**overrides):
    from dlpipe.params import ExplainParams

    return ExplainParams(**{**repo_params()["defaults"]["explain"], **overrides})


def trained(table: pd.DataFrame, project: str, features, **spec) -> tuple[dict, pd.DataFrame,
                                                                           pd.DataFrame]:
    """The bundle the real preprocess and train nodes make of ``table``'s first 80 %."""
    table = with_target(table, "label", f"{project}.csv")
    cut = int(len(table) * 0.8)
    train_part, test_part = (table.iloc[:cut].reset_index(drop=True),
                             table.iloc[cut:].reset_index(drop=True))
    bundle = train_bundle(train_part, test_part, features, "label", project, seed=SEED,
                          **{"units": 8, "epochs": 30, "patience": 5, "learning_rate": 0.03,
                             **spec})
    return bundle, train_part, test_part


@pytest.fixture(scope="module")
def table_run():
    from dlpipe.stages.explain import explain

    rng = np.random.default_rng(SEED)
    n = 400
    label = np.arange(n) % 2
    table = pd.DataFrame({
        "signal": label * 3.0 + rng.normal(0, 0.6, n),  # the label, blurred
        "noise": rng.normal(0, 1, n),
        "shade": rng.choice(["light", "dark", "mid"], n).astype(object),  # a noise category
        "label": np.asarray(["no", "yes"])[label]})
    bundle, train, test = trained(table, "synthetic", feature_params())
    params = explain_params(rows=None, repeats=20, shap_rows=40, background_rows=30)
    inputs = (train, test, bundle, SEED, params, "accuracy", "synthetic")
    return {**explain(*inputs), "inputs": inputs}


def test_the_informative_column_ranks_first_by_both_methods(table_run):
    for method in ("permutation", "shap"):
        assert ranked(table_run["importance"], method)["feature"][0] == "signal", method


def test_noise_columns_rank_last_with_importance_within_two_std_of_zero(table_run):
    for method in ("permutation", "shap"):
        order = ranked(table_run["importance"], method)
        assert set(order["feature"][1:]) == {"noise", "shade"}, method
    permuted = ranked(table_run["importance"], "permutation").set_index("feature")
    for column in ("noise", "shade"):
        mean, std = permuted.loc[column, ["mean", "std"]]
        assert abs(mean) <= 2 * std + 1e-12, (column, mean, std)
    assert permuted.loc["signal", "mean"] > 0.3


def test_a_categorical_column_is_one_feature_not_its_one_hot_columns(table_run):
    table = table_run["importance"]
    assert list(table.columns) == COLUMNS
    assert sorted(set(table["feature"])) == ["noise", "shade", "signal"]
    per_class = table_run["per_class"]
    assert set(per_class["class"]) == {"no", "yes"} and len(per_class) == 3 * 2


def test_outputs_figures_and_tidy_rows(table_run):
    assert set(table_run) - {"inputs"} == {"importance", "per_class", "info", "figures",
                                           "scores"}
    assert set(table_run["figures"]) == {"importance.png", "shap_per_class.png"}
    scores = table_run["scores"]
    assert set(scores["task"]) == {"explain"} and set(scores["model"]) == {"permutation", "shap"}
    signal = scores[(scores["model"] == "permutation") & (scores["metric"] == "signal")]
    assert signal["value"].item() == pytest.approx(
        ranked(table_run["importance"], "permutation")["mean"][0])
    assert table_run["info"]["baseline"] > 0.9


def test_the_same_seed_gives_the_same_numbers(table_run):
    from dlpipe.stages.explain import explain

    again = explain(*table_run["inputs"])
    pd.testing.assert_frame_equal(again["importance"], table_run["importance"])
    pd.testing.assert_frame_equal(again["per_class"], table_run["per_class"])


def ink_images(n: int, seed: int) -> pd.DataFrame:
    """8 x 8 images: class "a" has its ink in the top-left quarter, "b" in the bottom-right."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % 2
    images = rng.integers(0, 30, (n, 8, 8)).astype(float)
    for i, k in enumerate(label):
        corner = slice(0, 4) if k == 0 else slice(4, 8)
        images[i, corner, corner] += rng.integers(150, 225, (4, 4))
    frame = pd.DataFrame(images.reshape(n, 64), columns=[f"pixel{j + 1}" for j in range(64)])
    return frame.assign(label=np.asarray(["a", "b"])[label])


@pytest.fixture(scope="module")
def image_run():
    from dlpipe.stages.explain import explain

    bundle, train, test = trained(ink_images(300, SEED), "ink", feature_params(scaler="pixel"),
                                  image_shape=[8, 8, 1])
    params = explain_params(image_rows=10, patch=4, stride=4, examples=2)
    return explain(train, test, bundle, SEED, params, "accuracy", "ink")


def test_occlusion_finds_where_each_class_keeps_its_ink(image_run):
    table = ranked(image_run["importance"], "occlusion")
    assert len(table) == 4  # 8 x 8 images, 4 x 4 patches, stride 4
    inked = {"rows 0-3 cols 0-3", "rows 4-7 cols 4-7"}
    assert set(table["feature"][:2]) == inked
    per_class = image_run["per_class"].set_index(["class", "feature"])["mean"]
    assert per_class["a", "rows 0-3 cols 0-3"] > per_class["a", "rows 4-7 cols 4-7"]
    assert per_class["b", "rows 4-7 cols 4-7"] > per_class["b", "rows 0-3 cols 0-3"]


def test_image_outputs(image_run):
    assert set(image_run["figures"]) == {"class_maps.png", "examples.png", "importance.png"}
    assert image_run["info"]["images"] == 20 and image_run["info"]["patches"] == 4
    assert set(image_run["scores"]["model"]) == {"occlusion"}


def test_a_numeric_target_is_explained_by_the_rise_in_its_error(diabetes_bundle):
    from dlpipe.plots import plt
    from dlpipe.stages.explain import explain

    _, out, train, test = diabetes_bundle
    params = explain_params(rows=None, repeats=5, shap_rows=30, background_rows=30,
                            shap_permutations=4)
    done = explain(train, test, out["bundle"], SEED, params, "rmse", "diabetes")
    plt.close("all")
    permutation = ranked(done["importance"], "permutation")
    # bmi and s5 carry most of the signal in this table (its ridge coefficients are largest)
    assert set(permutation["feature"][:3]) & {"bmi", "s5"}
    assert permutation["mean"][0] > 1.0  # the RMSE rises, in the target's units
    assert set(done["per_class"]["class"]) == {"value"} and len(done["per_class"]) == 10
    assert set(done["figures"]) == {"importance.png"}  # no per-class chart of one output
    assert done["info"]["metric"] == "rmse" and done["info"]["baseline"] > 0
    shap = ranked(done["importance"], "shap")
    assert set(shap["feature"][:3]) & {"bmi", "s5"}
