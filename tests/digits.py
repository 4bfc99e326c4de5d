"""A user's folder of images: scikit-learn's 8x8 digits (0, 1 and 7), upscaled to 24x24 and
written as PNG files, one subfolder per class, as a user's folder would be."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CLASSES = ["one", "seven", "zero"]


def write_digits(where: Path, per_class: int = 30, colour: bool = False) -> None:
    """``per_class`` digits of 0, 1 and 7 as 24x24 PNG files in one subfolder per class (with
    ``colour``, each class's first image in RGB)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for digit, name in ((0, "zero"), (1, "one"), (7, "seven")):
        (where / name).mkdir(parents=True, exist_ok=True)
        for k, pixels in enumerate(digits.images[digits.target == digit][:per_class]):
            grey = Image.fromarray(np.uint8(pixels * 255 / 16)).resize((24, 24))
            image = grey.convert("RGB") if colour and k == 0 else grey
            image.save(where / name / f"{name}_{k:03d}.png")
