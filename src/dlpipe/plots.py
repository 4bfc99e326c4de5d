"""Figures for reports and the Snakemake report; the data behind them goes to CSV for DVC.

The one matplotlib setup of the package: the non-interactive Agg backend, chosen before pyplot is
imported. Every other module draws through ``from dlpipe.plots import plt``. Figure functions
return a :class:`matplotlib.figure.Figure` and write nothing; whoever saves a figure closes it.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402

__all__ = ["Figure", "confusion", "curves", "epoch_series", "history_metric", "importances",
           "ink", "learning_curves", "percent", "plt", "predicted_vs_actual", "tuning_history"]


def curves(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Several curves in one long table for ``dvc plots``: each frame's rows tagged with its name
    in a ``series`` column (the ``series`` template draws one line per name)."""
    return pd.concat([frame.assign(series=name) for name, frame in frames.items()],
                     ignore_index=True)


def history_metric(history: pd.DataFrame) -> str:
    """The metric a Keras history tracks besides the loss: ``accuracy`` for classes,
    ``mean_absolute_error`` for a numeric target."""
    return next(k for k in history.columns
                if k not in ("epoch", "loss", "learning_rate") and not k.startswith("val_"))


def epoch_series(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The network's metric (:func:`history_metric`) and loss per epoch of a Keras history,
    training and validation as two series each: ``metric_curve`` (column ``value``, series
    named with the metric) and ``loss_curve`` (column ``loss``)."""
    metric = history_metric(history)
    return {"metric_curve": curves({
                f"{part} {metric}": history[["epoch", f"{prefix}{metric}"]].rename(
                    columns={f"{prefix}{metric}": "value"})
                for part, prefix in (("training", ""), ("validation", "val_"))}),
            "loss_curve": curves({
                "training": history[["epoch", "loss"]],
                "validation": history[["epoch", "val_loss"]].rename(columns={"val_loss": "loss"})})}


MAX_TICK_CHARS = 20  # longer class names are cut on the axes (the CSVs keep them whole)


def tick_labels(class_names: Sequence[str], limit: int = MAX_TICK_CHARS) -> list[str]:
    """Class (or feature) names as axis labels: at most ``limit`` characters each."""
    return [name if len(name) <= limit else name[:limit - 1] + "…"
            for name in map(str, class_names)]


def confusion(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str],
              title: str) -> Figure:
    """Counts (left) and row-normalised rates with the diagonal blanked, so errors stand out.
    ``y_true`` and ``y_pred`` are codes, the axes name the classes (slanted when long)."""
    labels = tick_labels(class_names)
    n = len(labels)
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    errors = rates.copy()
    np.fill_diagonal(errors, np.nan)
    longest = max(map(len, labels))
    cells = max(3.4, 0.38 * n)  # inches
    slanted = longest * 0.065 > 0.9 * cells / n  # a label wider than its cell is slanted
    side = cells + 0.07 * longest
    fig, axes = plt.subplots(1, 2, figsize=(2 * side + 1.4, side + 0.8), layout="constrained")
    for ax, matrix, name, fmt in ((axes[0], counts, "counts", "d"),
                                  (axes[1], errors, "error rate per actual class", "%")):
        image = ax.imshow(matrix, cmap="Blues" if fmt == "d" else "Reds")
        bar = fig.colorbar(image, ax=ax, fraction=0.046)
        if fmt == "%":
            bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set(xlabel="predicted", ylabel="actual", title=name)
        ax.set_xticks(range(n), labels, rotation=40 if slanted else 0,
                      ha="right" if slanted else "center", rotation_mode="anchor", fontsize=8)
        ax.set_yticks(range(n), labels, fontsize=8)
        if n <= 12:
            for (i, j), value in np.ndenumerate(matrix):
                if not np.isnan(value):
                    ax.text(j, i, format(value, "d") if fmt == "d" else percent(value),
                            ha="center", va="center", fontsize=7, color=ink(image, value))
    fig.suptitle(title)
    return fig


def predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray, title: str) -> Figure:
    """A numeric target's test rows: predicted against actual (the diagonal is a perfect
    model), and the residual (predicted - actual) against the prediction (a trend or a funnel
    shows an error the model makes systematically)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(),
                                                                      predicted.max()))
    left.scatter(actual, predicted, s=10, alpha=0.6)
    left.plot([low, high], [low, high], color="grey", linewidth=1, label="predicted = actual")
    left.set(xlabel="actual", ylabel="predicted", title="predicted vs actual")
    left.legend(loc="upper left")
    right.scatter(predicted, predicted - actual, s=10, alpha=0.6)
    right.axhline(0, color="grey", linewidth=1)
    right.set(xlabel="predicted", ylabel="residual (predicted - actual)", title="residuals")
    fig.suptitle(title)
    return fig


def percent(rate: float) -> str:
    """A rate as a percentage with enough digits that no error rounds to nothing: "0" only for
    none, "<0.1%" for a rate below a thousandth."""
    if rate == 0:
        return "0"
    return "<0.1%" if rate < 0.001 else f"{rate:.1%}"


def ink(image, value: float) -> str:
    """Text colour that reads on the cell ``image`` draws for ``value``."""
    return "white" if image.norm(value) > 0.6 else "black"


def learning_curves(history: pd.DataFrame, title: str) -> Figure:
    """The network's metric and loss per epoch, train vs validation: a widening gap is
    overfitting."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, (history_metric(history), "loss")):
        ax.plot(history["epoch"], history[metric], label="train")
        ax.plot(history["epoch"], history[f"val_{metric}"], label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.legend()
    fig.suptitle(title)
    return fig


def tuning_history(trials: pd.DataFrame, metric: str, title: str) -> Figure:
    """Each trial's CV score (pruned trials drawn at the floor) and the best so far."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    done = trials[trials["state"] == "COMPLETE"]
    pruned = trials[trials["state"] == "PRUNED"]
    ax.scatter(done["number"], done["value"], label="complete", s=18)
    if len(pruned):
        ax.scatter(pruned["number"], [done["value"].min() if len(done) else 0] * len(pruned),
                   marker="x", color="grey", label="pruned (at the floor)")
    if len(done):
        best = done.sort_values("number")["value"].cummax()
        ax.step(done.sort_values("number")["number"], best, where="post", label="best so far")
    ax.set(xlabel="trial", ylabel=f"CV {metric}", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials are whole numbers
    ax.legend()
    return fig


def importances(values: dict[str, float], title: str) -> Figure:
    """Horizontal bars of parameter importances, or a note when there are none."""
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * max(len(values), 1)))
    if values:
        names = list(values)
        ax.barh(names, [values[n] for n in names])
        ax.set(xlabel="importance (fANOVA)")
    else:
        ax.text(0.5, 0.5, "not enough completed trials to estimate importances",
                ha="center", va="center")
        ax.set_axis_off()
    ax.set_title(title)
    return fig
