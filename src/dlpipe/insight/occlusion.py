"""Which pixels drive an image model: occlusion. A square patch of each image is set to the
background value, and the drop of the true class's probability is the patch's importance;
a pixel's map value is the mean drop of the patches covering it.

Model-agnostic (any predict function), deterministic and exact for the network as served: no
gradients, so batch norm and dropout run in inference mode like every prediction.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

NetworkPredict = Callable[[np.ndarray], np.ndarray]  # features [n, pixels] -> probabilities


def patches(height: int, width: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Top-left corners of the patches; the last row and column of patches reach the edge."""
    def starts(length: int) -> list[int]:
        found = list(range(0, max(length - size, 0) + 1, stride))
        return found if found[-1] + size >= length else found + [length - size]

    return [(r, c) for r in starts(height) for c in starts(width)]


def patch_name(corner: tuple[int, int], size: int) -> str:
    r, c = corner
    return f"rows {r}-{r + size - 1} cols {c}-{c + size - 1}"


def drops(predict: NetworkPredict, X: np.ndarray, labels: np.ndarray, shape: Sequence[int],
          background: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, list]:
    """Per image and patch, the drop of the true class's probability when the patch shows the
    ``background`` features: [images, patches], and the patches' corners."""
    height, width = int(shape[0]), int(shape[1])
    corners = patches(height, width, size, stride)
    masks = np.zeros((len(corners), height, width), dtype=bool)
    for k, (r, c) in enumerate(corners):
        masks[k, r:r + size, c:c + size] = True
    masks = masks.reshape(len(corners), -1)
    if len(shape) > 2 and shape[2] > 1:  # channels last: a pixel is `channels` features
        masks = np.repeat(masks, shape[2], axis=1)
    out = np.empty((len(X), len(corners)), dtype=np.float64)
    for i, (image, label) in enumerate(zip(X, labels)):
        occluded = np.where(masks, background[None, :], image[None, :]).astype(np.float32)
        proba = predict(np.vstack([image[None, :].astype(np.float32), occluded]))
        out[i] = proba[0, label] - proba[1:, label]
    return out, corners


def pixel_map(drop_row: np.ndarray, corners: list, shape: Sequence[int], size: int
              ) -> np.ndarray:
    """One image's map [height, width]: each pixel's mean drop over the patches covering it."""
    total = np.zeros((int(shape[0]), int(shape[1])))
    count = np.zeros_like(total)
    for value, (r, c) in zip(drop_row, corners):
        total[r:r + size, c:c + size] += value
        count[r:r + size, c:c + size] += 1
    return total / np.maximum(count, 1)


def class_maps(drop_rows: np.ndarray, labels: np.ndarray, n_classes: int, corners: list,
               shape: Sequence[int], size: int) -> np.ndarray:
    """The mean map of each class's images: [classes, height, width] (zeros: no image)."""
    maps = np.zeros((n_classes, int(shape[0]), int(shape[1])))
    for k in range(n_classes):
        mine = drop_rows[labels == k]
        if len(mine):
            maps[k] = pixel_map(mine.mean(axis=0), corners, shape, size)
    return maps


def tables(drop_rows: np.ndarray, labels: np.ndarray, classes: Sequence[str], corners: list,
           size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Importance rows per patch (mean and std of the drop over images) and per patch and
    class (mean over that class's images)."""
    names = [patch_name(corner, size) for corner in corners]
    overall = pd.DataFrame({"feature": names, "method": "occlusion",
                            "mean": drop_rows.mean(axis=0), "std": drop_rows.std(axis=0)})
    per_class = pd.DataFrame(
        [{"feature": name, "class": cls, "method": "occlusion",
          "mean": float(drop_rows[labels == k, j].mean())}
         for k, cls in enumerate(classes) if (labels == k).any()
         for j, name in enumerate(names)])
    return overall, per_class
