"""A folder of images as a table: one subfolder per class (or a CSV file naming each image and
its class), each image (PNG or JPEG, any size) decoded, converted to grey or RGB, resized to
``height x width`` and flattened into the columns ``pixel1..pixelN`` (row-major, channels last,
uint8), the image path kept for messages.

The same decoding serves training (:func:`read_folder`) and new images to predict
(:func:`read_images`), so a model sees a file as it saw its training images. The checksum of a
folder (:func:`folder_sha256`) covers every image's path and bytes, not the decoded pixels: a
file changed, added, removed or renamed changes it (and, for a CSV file, the file itself: a
class changed in it changes the checksum too).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from dlpipe.errors import DataError

SUFFIXES = (".png", ".jpg", ".jpeg")  # the image files a folder is read for (any case)
PIXEL = "pixel"  # the columns pixel1..pixelN, as MNIST's
FOLDER_DIGEST_FORMAT = b"dlpipe folder_sha256 v1"
GREY = ("1", "L", "LA", "I", "I;16", "F")  # Pillow's modes without colour
PATH = "path"  # a CSV file's column of image paths (relative to the CSV file's folder)


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SUFFIXES


def is_image_input(path: Path) -> bool:
    """An image file or a folder: what ``predict`` reads as images, not as a table."""
    return path.is_dir() or path.suffix.lower() in SUFFIXES


def listing(root: Path) -> list[tuple[str, str]]:
    """(path relative to ``root``, class) of every image in ``root``'s subfolders, sorted; a
    DataError if ``root`` is not a folder of class subfolders holding images, or if one of
    them holds none."""
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (an image project reads a folder with one "
                        "subfolder of images per class)")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    found = [(path.relative_to(root).as_posix(), folder.name)
             for folder in folders for path in sorted(folder.rglob("*")) if is_image(path)]
    classes = {label for _, label in found}
    empty = [folder.name for folder in folders if folder.name not in classes]
    if empty and len(classes) >= 2:  # a class the model could never learn
        raise DataError(f"{root}: a class subfolder with no image ({', '.join(SUFFIXES)}): "
                        f"{', '.join(map(repr, empty))}; add its images or remove it")
    if len(classes) < 2:
        raise DataError(f"{root}: expected one subfolder of images ({', '.join(SUFFIXES)}) per "
                        f"class, at least two classes; found {len(classes)} with images")
    return found


def listed(csv: Path, target: str) -> list[tuple[str, str]]:
    """(path relative to the CSV file's folder, class) of every row of ``csv``, a CSV file with
    the columns ``path`` and ``target``; a DataError naming the line of an empty cell or of a
    path that is not an image inside that folder."""
    try:
        table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{csv}: cannot be read as a CSV file ({type(error).__name__}: "
                        f"{' '.join(str(error).split())})") from None
    missing = [c for c in (PATH, target) if c not in table.columns]
    if missing:
        raise DataError(f"{csv}: expected the columns {PATH!r} (each image's path, relative to "
                        f"the file's folder) and {target!r} (its class), missing {missing}")
    base = csv.parent.resolve()
    found = []
    for line, (name, label) in enumerate(zip(table[PATH], table[target]), start=2):
        where = f"{csv} line {line}"
        if not name.strip() or not label.strip():
            raise DataError(f"{where}: an empty {PATH if not name.strip() else target!r}")
        file = (base / name).resolve()
        if not file.is_relative_to(base) or not is_image(file):
            raise DataError(f"{where}: {name!r} is not an image file ({', '.join(SUFFIXES)}) "
                            f"in {csv.parent}")
        found.append((file.relative_to(base).as_posix(), label))
    if len({label for _, label in found}) < 2:
        raise DataError(f"{csv}: expected images of at least two classes in {target!r}")
    return found


def folder_sha256(root: Path, files: Sequence[str]) -> str:
    """Checksum of ``files`` (paths relative to ``root``): each path and its bytes, in order."""
    digest = hashlib.sha256(FOLDER_DIGEST_FORMAT)
    for name in files:
        body = (root / name).read_bytes()
        for part in (name.encode(), body):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
    return digest.hexdigest()


def columns(shape: Sequence[int]) -> list[str]:
    return [f"{PIXEL}{k}" for k in range(1, int(np.prod(shape)) + 1)]


def _read(source: Path | bytes, how, name: str):
    """``how(image)`` of the image in ``source`` (a file, or an encoded file's bytes); a
    DataError starting with ``name`` if it is not an image Pillow can decode."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            return how(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise DataError(f"{name}: not an image that can be read ({type(error).__name__}: "
                        f"{error})") from None


def pixels(source: Path | bytes, shape: Sequence[int], name: str | None = None
           ) -> np.ndarray:
    """One image (a file, or an encoded file's bytes) as ``height x width x channels`` uint8
    values, flattened; ``name`` (default: the path) names it in an error."""
    from PIL import Image

    height, width, channels = shape

    def decoded(image) -> np.ndarray:
        image = image.convert("L" if channels == 1 else "RGB")
        resized = image.resize((width, height), Image.Resampling.BILINEAR)
        return np.asarray(resized, dtype=np.uint8).reshape(-1)

    return _read(source, decoded, name or str(source))


def has_colour(path: Path) -> bool:
    """Whether the image's mode holds colour (from the file's header)."""
    return _read(path, lambda image: image.mode not in GREY, str(path))


def table(sources: Sequence[Path | bytes], shape: Sequence[int],
          names: Sequence[str] | None = None) -> pd.DataFrame:
    """The pixel columns of ``sources`` (files, or encoded files' bytes named by ``names``), one
    row per image."""
    width = int(np.prod(shape))
    matrix = np.empty((len(sources), width), dtype=np.uint8)
    for row, source in enumerate(sources):
        matrix[row] = pixels(source, shape, None if names is None else names[row])
    return pd.DataFrame(matrix, columns=columns(shape))


def entries(path: Path, target: str) -> tuple[Path, list[tuple[str, str]], list[str]]:
    """The folder the images are in, (image, class) of each, and the files the checksum
    covers: a folder of class subfolders, or a CSV file (``target``: its class column)."""
    if path.suffix.lower() == ".csv":
        files = listed(path, target)
        return path.parent, files, [path.name, *(name for name, _ in files)]
    files = listing(path)
    return path, files, [name for name, _ in files]


def read_folder(path: Path, shape: Sequence[int], target: str) -> tuple[pd.DataFrame, str]:
    """The images of ``path`` (a folder of class subfolders, or a CSV file naming them) as
    pixel columns and their class in column ``target``, and the checksum of the files."""
    base, files, covered = entries(path, target)
    frame = table([base / name for name, _ in files], shape)
    frame[target] = [label for _, label in files]
    return frame, folder_sha256(base, covered)


def read_images(path: Path, shape: Sequence[int]) -> tuple[pd.DataFrame, list[str]]:
    """Images to predict: one file, or every image under a folder (sorted); their pixel
    columns and their paths as given."""
    if path.is_dir():
        files = [p for p in sorted(path.rglob("*")) if is_image(p)]
        if not files:
            raise DataError(f"{path}: no image ({', '.join(SUFFIXES)}) in the folder")
    elif is_image(path):
        files = [path]
    else:
        raise DataError(f"{path}: no such image file ({', '.join(SUFFIXES)}) or folder")
    return table(files, shape), [p.as_posix() for p in files]
