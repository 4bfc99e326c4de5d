"""``dlpipe add NAME --images FOLDER``: a project from a folder of images in the repository, one
subfolder per class (or a CSV file there naming each image and its class), as a params section.

The section states the source (the folder, the checksum of its files) and a small CNN that reads
the images at ``model.image_shape``; everything else comes from ``defaults:``. The pipeline then
treats the images as it treats MNIST's: pixel columns scaled to [0, 1], the CNN tuned and
cross-validated beside the linear family, occlusion maps, slices by ink, drift on the pixels.
Gradient-boosted trees are not trained on raw pixels (``gbdt: null``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from dlpipe import images
from dlpipe.params import parse_params
from dlpipe.params_file import Added, opened, repo_file, saved, with_project
from dlpipe.table_checks import small_classes

LABEL = "label"  # the table's column of each image's class (its subfolder's name)
# the network `add` proposes: two conv blocks (16 and 32 filters), a Dense layer of 64, images
# moved up to a tenth of their size each way in training
NETWORK = {"kind": "cnn", "conv_filters": 16, "conv_blocks": 2, "units": 64,
           "random_shift": 0.1}


def colour_channels(root: Path, files: list[str]) -> int:
    """3 if any image has colour, else 1 (from the files' headers)."""
    return 3 if any(images.has_colour(root / name) for name in files) else 1


def image_section(folder: str, target: str, digest: str, shape: list[int]) -> dict:
    """The section of a folder project: its source, no trees, pixel scaling and the CNN."""
    return {"data": {"source": "images", "path": folder, "target": target, "sha256": digest},
            "gbdt": None, "features": {"scaler": "pixel"},
            "model": {**NETWORK, "image_shape": list(shape)}}


def add_images(name: str, folder: str, params: str | Path = "params.yaml",
               size: tuple[int, int] = (32, 32), channels: int | None = None,
               replace: bool = False, target: str = LABEL) -> Added:
    """Add project ``name`` to ``params`` from the image ``folder`` (relative to the
    repository; or a CSV file there with the columns ``path`` and ``target``), every image read
    at ``size`` (height, width) with ``channels`` (None: 3 if any image has colour, else 1);
    raise a DlpipeError, the file untouched, on any refusal."""
    params = Path(params)
    text, raw, root = opened(params, name, replace)
    path = repo_file(folder, root, "--images")
    base, files, covered = images.entries(root / path, target)
    channels = channels or colour_channels(base, [f for f, _ in files])
    shape = [*size, channels]
    table = images.table([base / f for f, _ in files], shape)  # every file decodes
    table[target] = [label for _, label in files]
    section = image_section(path, target, images.folder_sha256(base, covered), shape)
    project = parse_params(with_project(raw, name, section)).project(name)
    counts = Counter(label for _, label in files)
    notes = [f"{len(files)} images in {len(counts)} classes "
             f"({', '.join(f'{c}: {n}' for c, n in sorted(counts.items()))}), read at "
             f"{shape[0]}x{shape[1]} with {channels} channel(s) (model.image_shape)",
             "gradient-boosted trees are not trained on raw pixels (gbdt: null)"]
    notes += small_classes(table[target], target, project.cv.folds)
    versioned = path if base == root / path else Path(path).parent.as_posix()  # the CSV's folder
    return Added(name, versioned, saved(params, text, raw, name, section), notes)
