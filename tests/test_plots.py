"""Figure functions return figures and write nothing."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from dlpipe import plots
from dlpipe.plots import Figure, plt


@pytest.fixture(autouse=True)
def in_empty_dir(tmp_path):
    """Run in an empty directory, which must stay empty; close what the test drew."""
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield
    os.chdir(cwd)
    assert not list(tmp_path.iterdir())
    plt.close("all")


def test_matplotlib_draws_off_screen():
    assert plt.get_backend().lower() == "agg"


def test_confusion_counts_and_error_rates():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    fig = plots.confusion(y_true, y_pred, ["a", "b", "c"], "three classes")
    assert isinstance(fig, Figure) and fig.get_suptitle() == "three classes"
    counts, errors = (ax.images[0].get_array() for ax in fig.axes[:2])
    assert np.asarray(counts).tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert np.isnan(np.diag(np.asarray(errors, dtype=float))).all()
    assert np.asarray(errors)[0, 1] == 0.5


def ticks(ax, axis: str) -> list[str]:
    return [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()]


def test_confusion_axes_name_the_classes_long_names_cut_and_slanted():
    names = ["Iris setosa (the small one)", "Iris versicolor", "Iris virginica"]
    fig = plots.confusion(np.array([0, 1, 2]), np.array([0, 2, 2]), names, "iris")
    for ax in fig.axes[:2]:
        assert ticks(ax, "y") == ["Iris setosa (the sm…", "Iris versicolor", "Iris virginica"]
        assert ticks(ax, "x") == ticks(ax, "y")
        assert {t.get_rotation() for t in ax.get_xticklabels()} == {40.0}


def test_confusion_of_ten_digits_keeps_upright_labels_and_writes_every_cell():
    digits = [str(k) for k in range(10)]
    y = np.repeat(np.arange(10), 3)
    fig = plots.confusion(y, np.roll(y, 1), digits, "digits")
    counts = fig.axes[0]
    assert ticks(counts, "x") == digits
    assert {t.get_rotation() for t in counts.get_xticklabels()} == {0.0}
    assert len(counts.texts) == 100
    width, height = fig.get_size_inches()
    assert width > height >= 3.8


def test_learning_curves_draw_train_and_validation_per_epoch():
    history = pd.DataFrame({"epoch": [1, 2, 3], "accuracy": [0.5, 0.7, 0.8],
                            "val_accuracy": [0.5, 0.6, 0.65], "loss": [1.0, 0.6, 0.4],
                            "val_loss": [1.1, 0.8, 0.7]})
    fig = plots.learning_curves(history, "run")
    accuracy, loss = fig.axes
    assert [line.get_label() for line in accuracy.lines] == ["train", "validation"]
    assert list(loss.lines[1].get_ydata()) == [1.1, 0.8, 0.7]


def test_a_value_networks_curves_show_its_mean_absolute_error():
    history = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.6], "mean_absolute_error": [0.8, 0.5],
                            "val_loss": [1.1, 0.8], "val_mean_absolute_error": [0.9, 0.7],
                            "learning_rate": [0.01, 0.01]})
    series = plots.epoch_series(history)
    metric = series["metric_curve"]
    assert list(metric.columns) == ["epoch", "value", "series"]
    assert metric.loc[metric["series"] == "validation mean_absolute_error", "value"].tolist() == [
        0.9, 0.7]
    assert series["loss_curve"]["loss"].tolist() == [1.0, 0.6, 1.1, 0.8]
    left, _ = plots.learning_curves(history, "run").axes
    assert left.get_title() == "mean_absolute_error"


def test_tuning_history_marks_the_best_so_far():
    trials = pd.DataFrame({"number": [0, 1, 2, 3], "value": [0.5, 0.7, None, 0.6],
                           "state": ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]})
    fig = plots.tuning_history(trials, "accuracy", "tuning")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "CV accuracy"
    assert list(ax.lines[0].get_ydata()) == [0.5, 0.7, 0.7]
    assert len(ax.collections) == 2  # complete and pruned trials


def test_importances_with_and_without_values():
    fig = plots.importances({"units": 0.7, "dropout": 0.3}, "importances")
    assert [bar.get_width() for bar in fig.axes[0].patches] == [0.7, 0.3]
    empty = plots.importances({}, "importances")
    assert "not enough" in empty.axes[0].texts[0].get_text()
