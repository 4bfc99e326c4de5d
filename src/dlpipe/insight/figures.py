"""Figures of the explanations: importance bars, SHAP per class, occlusion maps."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from dlpipe.params.scoring import LOWER_IS_BETTER
from dlpipe.plots import Figure, plt, tick_labels

SHOWN = 15  # features a bar chart shows (importance.csv has them all)
FEATURE_CHARS = 32  # longer feature names are cut on the axes (the CSV files keep them whole)
LABELS = {"permutation": "{worse} in {metric} when shuffled (mean ± std)",
          "shap": "mean |SHAP value| ({output})",
          "occlusion": "drop in the true class's probability when occluded"}


def importance_bars(table: pd.DataFrame, metric: str, title: str,
                    values: bool = False) -> Figure:
    """One panel per method, the SHOWN most important features by the first method on top,
    in the same order in every panel; error bars are the std over repeats or rows. ``values``:
    the model predicts a numeric target (its SHAP values are in the target's units)."""
    methods = [m for m in dict.fromkeys(table["method"]) if m != "word"]  # words: not columns
    first = table[table["method"] == methods[0]].sort_values(["mean", "feature"],
                                                             ascending=[False, True])
    order = list(first["feature"][:SHOWN])[::-1]
    fig, axes = plt.subplots(1, len(methods), figsize=(4.6 * len(methods) + 1.2,
                                                      1.2 + 0.3 * len(order)),
                             sharey=True, squeeze=False, layout="constrained")
    for ax, method in zip(axes[0], methods):
        rows = table[table["method"] == method].set_index("feature").loc[order]
        ax.barh(tick_labels(order, FEATURE_CHARS), rows["mean"], xerr=rows["std"], color="tab:blue",
                ecolor="grey", capsize=2)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set(xlabel=LABELS[method].format(
            metric=metric, worse="rise" if metric in LOWER_IS_BETTER else "drop",
            output="predicted value" if values else "class probability"), title=method)
    fig.suptitle(title + _of_all(len(order), len(first)))
    return fig


def _of_all(shown: int, total: int) -> str:
    """A title's note that a chart shows the top ``shown`` of ``total`` features."""
    return f" (top {shown} of {total} features)" if shown < total else ""


def shap_per_class(per_class: pd.DataFrame, title: str) -> Figure:
    """A features x classes heat map of mean |SHAP|: which feature moves which class."""
    wide = per_class.pivot_table(index="feature", columns="class", values="mean", sort=False)
    total = len(wide)
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index[:SHOWN]]
    title += _of_all(len(wide), total)
    fig, ax = plt.subplots(figsize=(1.6 + 0.7 * wide.shape[1], 1.2 + 0.32 * len(wide)),
                           layout="constrained")
    image = ax.imshow(wide.to_numpy(), cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax, label="mean |SHAP|")
    ax.set_xticks(range(wide.shape[1]), tick_labels([str(c) for c in wide.columns]),
                  rotation=30, ha="right")
    ax.set_yticks(range(len(wide)), tick_labels(list(wide.index), FEATURE_CHARS))
    ax.set(xlabel="class", title=title)
    return fig


def class_maps(means: np.ndarray, maps: np.ndarray, classes: Sequence[str], title: str
               ) -> Figure:
    """2 x 5 (or as many as needed) panels: each class's mean image in grey with its mean
    occlusion map over it (red: the class's probability drops when that region is hidden)."""
    columns = 5
    rows = -(-len(classes) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.4 * rows + 0.4),
                             squeeze=False, layout="constrained")
    limit = max(float(np.abs(maps).max()), 1e-9)
    for ax, mean, heat, name in zip(axes.flat, means, maps, classes):
        ax.imshow(mean, cmap="gray_r")
        shown = ax.imshow(heat, cmap="bwr", vmin=-limit, vmax=limit, alpha=0.6)
        ax.set_title(f"class {name}", fontsize=9)
    for ax in axes.flat:
        ax.set_axis_off()
    fig.colorbar(shown, ax=axes, shrink=0.7, label="drop in the class's probability")
    fig.suptitle(title)
    return fig


def examples(images: np.ndarray, maps: np.ndarray, captions: Sequence[str], title: str
             ) -> Figure:
    """Single images (top row) and their occlusion maps (bottom row) on one shared scale, so
    equal colours are equal drops (a confident image's map stays pale; each title states its
    largest change); red: hiding the region lowers the true class's probability, blue: raises
    it."""
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.8 * n + 0.8, 4.2), squeeze=False,
                             layout="constrained")
    limit = max(float(np.abs(maps).max()), 1e-9)
    for j in range(n):
        axes[0, j].imshow(images[j], cmap="gray_r")
        axes[0, j].set_title(captions[j], fontsize=8)
        shown = axes[1, j].imshow(maps[j], cmap="bwr", vmin=-limit, vmax=limit)
        axes[1, j].set_title(f"largest {float(np.abs(maps[j]).max()):.2g}", fontsize=8)
    fig.colorbar(shown, ax=axes[1, :], shrink=0.8, label="change in probability")
    for ax in axes.flat:
        ax.set_axis_off()
    fig.suptitle(f"{title}\nred: hiding the region lowers the true class's probability, "
                 "blue: raises it", fontsize=10)
    return fig
