"""Occlusion's geometry: patches cover the image and a map averages the patches over a pixel."""

from __future__ import annotations

import numpy as np

from dlpipe.insight import occlusion


def test_patches_reach_every_edge():
    corners = occlusion.patches(28, 28, 4, 3)
    starts = sorted({r for r, _ in corners})
    assert starts[0] == 0 and starts[-1] == 24 and len(corners) == len(starts) ** 2
    covered = np.zeros((28, 28), dtype=bool)
    for r, c in corners:
        covered[r:r + 4, c:c + 4] = True
    assert covered.all()


def test_a_pixel_map_is_the_mean_of_the_patches_over_each_pixel():
    corners = occlusion.patches(4, 4, 2, 1)  # 3 x 3 overlapping patches
    drops = np.zeros(len(corners))
    drops[corners.index((0, 0))] = 0.9
    heat = occlusion.pixel_map(drops, corners, (4, 4, 1), 2)
    assert heat[0, 0] == 0.9  # only one patch covers the corner
    assert heat[1, 1] == 0.9 / 4  # four patches cover it, one dropped
    assert heat[3, 3] == 0.0


def test_drops_are_the_true_class_probability_lost_when_hidden():
    def predict(X):  # class 1's probability is the mean of the first 4 features
        p1 = X[:, :4].mean(axis=1)
        return np.stack([1 - p1, p1], axis=1)

    X = np.ones((1, 16), dtype=np.float32)
    drops, corners = occlusion.drops(predict, X, np.array([1]), (4, 4, 1), np.zeros(16), 2, 2)
    by_corner = dict(zip(corners, drops[0]))
    assert by_corner[(0, 0)] == 0.5  # hides features 0, 1 (and 4, 5): two of the first four
    assert by_corner[(0, 2)] == 0.5 and by_corner[(2, 0)] == 0.0 and by_corner[(2, 2)] == 0.0
