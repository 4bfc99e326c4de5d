"""Image-space transforms for the tasks: one-pixel shift augmentation and moment deskewing.

Both are pure functions of the images (no state is learnt), so applying them to the training and
the test part separately cannot leak anything.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
# (rows, cols) of the four copies: one pixel down, up, right, left
SHIFTS: tuple[tuple[int, int], ...] = ((1, 0), (-1, 0), (0, 1), (0, -1))


def shift_images(X: np.ndarray, d_rows: int, d_cols: int, side: int = SIDE) -> np.ndarray:
    """Every image moved by (``d_rows``, ``d_cols``) pixels; pixels moved in from outside are 0.

    ``X`` is (n, side*side); the result has X's dtype and shape. Positive ``d_rows`` moves down,
    positive ``d_cols`` moves right.
    """
    X = np.asarray(X)
    images = X.reshape(len(X), side, side)
    out = np.zeros_like(images)
    src_r = slice(max(-d_rows, 0), side - max(d_rows, 0))
    dst_r = slice(max(d_rows, 0), side - max(-d_rows, 0))
    src_c = slice(max(-d_cols, 0), side - max(d_cols, 0))
    dst_c = slice(max(d_cols, 0), side - max(-d_cols, 0))
    out[:, dst_r, dst_c] = images[:, src_r, src_c]
    return out.reshape(X.shape)


def augment_shifts(X: np.ndarray, y: np.ndarray, side: int = SIDE
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The originals followed by four copies shifted one pixel down, up, right and left.

    Returns (5n, side*side) images and their (5n, ...) targets, in that block order.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    blocks = [X] + [shift_images(X, dr, dc, side) for dr, dc in SHIFTS]
    return np.concatenate(blocks), np.concatenate([y] * (1 + len(SHIFTS)))


def deskew(X: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Straighten each image (shear that zeroes its row/column covariance) and centre it on its
    centre of mass; bilinear resampling. Returns float32 in X's intensity scale."""
    from scipy import ndimage

    images = np.asarray(X, dtype=np.float32).reshape(len(X), side, side)
    rows, cols = np.mgrid[:side, :side].astype(np.float32)
    total = images.sum(axis=(1, 2))
    total = np.where(total > 0, total, 1.0)
    m_r = (images * rows).sum(axis=(1, 2)) / total
    m_c = (images * cols).sum(axis=(1, 2)) / total
    d_r = rows[None] - m_r[:, None, None]
    var_r = (images * d_r**2).sum(axis=(1, 2)) / total
    cov = (images * d_r * (cols[None] - m_c[:, None, None])).sum(axis=(1, 2)) / total
    alpha = np.divide(cov, var_r, out=np.zeros_like(cov), where=var_r > 0)
    centre = np.array([side / 2.0, side / 2.0])
    out = np.empty_like(images)
    for k in range(len(images)):
        affine = np.array([[1.0, 0.0], [alpha[k], 1.0]])
        offset = np.array([m_r[k], m_c[k]]) - affine @ centre
        out[k] = ndimage.affine_transform(images[k], affine, offset=offset, order=1)
    return out.reshape(len(X), side * side)
