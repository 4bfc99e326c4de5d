"""Image transforms: one-pixel shifts and deskewing."""

from __future__ import annotations

import numpy as np

from dlpipe.tasks.augment import augment_shifts, deskew, shift_images


def test_shift_moves_pixels_and_fills_zeros():
    X = np.arange(1, 28 * 28 + 1, dtype=np.int32).reshape(1, -1)
    img = X.reshape(28, 28)
    down = shift_images(X, 1, 0).reshape(28, 28)
    assert (down[0] == 0).all() and (down[1:] == img[:-1]).all()
    up = shift_images(X, -1, 0).reshape(28, 28)
    assert (up[-1] == 0).all() and (up[:-1] == img[1:]).all()
    right = shift_images(X, 0, 1).reshape(28, 28)
    assert (right[:, 0] == 0).all() and (right[:, 1:] == img[:, :-1]).all()
    left = shift_images(X, 0, -1).reshape(28, 28)
    assert (left[:, -1] == 0).all() and (left[:, :-1] == img[:, 1:]).all()
    assert shift_images(X, 0, 0).tolist() == X.tolist()


def test_augment_adds_four_shifted_copies(mnist_small):
    X, y = mnist_small[0][:10], mnist_small[1][:10]
    X_aug, y_aug = augment_shifts(X, y)
    assert X_aug.shape == (50, 784) and X_aug.dtype == X.dtype
    assert (X_aug[:10] == X).all() and (y_aug == np.tile(y, 5)).all()
    # every copy keeps the ink (digits do not touch the border) and moves the centre of mass by 1
    rows = np.arange(28)

    def centre(A):
        return (A.reshape(-1, 28, 28).sum(axis=2) * rows).sum(axis=1) / A.sum(axis=1)

    assert np.allclose(X_aug[10:20].sum(axis=1), X.sum(axis=1))
    assert np.allclose(centre(X_aug[10:20]) - centre(X), 1.0)   # first copy: one row down


def test_deskew_straightens_a_sheared_bar():
    img = np.zeros((28, 28), dtype=np.float32)
    for r in range(6, 22):
        img[r, 10 + (r - 6) // 2: 13 + (r - 6) // 2] = 255  # a slanted stroke
    out = deskew(img.reshape(1, -1)).reshape(28, 28)
    cols = np.arange(28)
    centre_col = [(out[r] * cols).sum() / out[r].sum() for r in range(8, 20) if out[r].sum() > 0]
    assert np.ptp(centre_col) < 1.5          # the stroke is now (almost) vertical
    assert abs(out.sum() - img.sum()) / img.sum() < 0.05
