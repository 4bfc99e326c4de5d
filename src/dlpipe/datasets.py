"""Dataset sources: a CSV file or a folder of images in the repository, a URL, OpenML, a file
an installed package ships, or a scikit-learn loader.

A downloaded (or a package's) file is looked for in the download cache, then in a mirror
directory, then fetched online. :func:`read_table` gives the table as the source has it;
:func:`load` verifies its content checksum first, then makes the label a categorical
``target`` (:func:`frames.with_target`).
"""

from __future__ import annotations

import inspect
import logging
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from dlpipe import csv_files, images
from dlpipe.errors import DataError
from dlpipe.frames import TARGET, named, with_target
from dlpipe.io import atomic_path, frame_sha256, read_parquet, write_parquet
from dlpipe.params import (CsvData, DataParams, ImagesData, OpenMLData, PackageData,
                           SklearnData, UrlData)

log = logging.getLogger(__name__)
MIRROR_ENV = "DLPIPE_DATA_MIRROR"
EXTERNAL_DIR = "data/external"  # the download cache: a fetched file is kept here
DOWNLOAD_TIMEOUT_S = 60  # a network call that hangs longer than this is treated as offline
Read = tuple[pd.DataFrame, str, Optional[list]]  # the table, its origin, class names


def read_table(project: str, data: DataParams, root: str | Path = ".") -> pd.DataFrame:
    """The table exactly as the source gives it: no checksum, no label handling."""
    return _read(project, data, root)[0]


def load(project: str, data: DataParams, root: str | Path = ".",
         class_names: dict | None = None, unlabelled_rows: str = "error",
         task: str = "classification", image_shape: Sequence[int] | None = None
         ) -> pd.DataFrame:
    """The verified raw table of ``project``: checksum first, then the label as ``target``
    (classes, their values named by ``class_names`` when given; a regression ``task``: float
    values); rows without a label are refused or, with ``unlabelled_rows="drop"``, left out
    with a warning that says how many. A folder of images is read at ``image_shape``."""
    if isinstance(data, ImagesData):
        origin, names = str(Path(root) / data.path), None
        frame, digest = images.read_folder(Path(origin), image_shape, data.target)
        remedy = ("an image was changed, added, removed or renamed since its checksum was "
                  "written: if the folder is as it should be, `dlpipe add NAME --images "
                  "FOLDER --replace` writes its checksum")
    else:
        frame, origin, names = _read(project, data, root)
        digest = frame_sha256(frame)
        remedy = "The file is wrong or truncated: delete it and fetch again"
    if digest != data.sha256:
        raise DataError(
            f"{project}: checksum mismatch for {origin}: expected {data.sha256}, got {digest} "
            f"({len(frame)} rows). {remedy}")
    rows = len(frame)
    frame = with_target(frame, data.target, origin, names, unlabelled_rows,
                        values=task == "regression")
    if len(frame) < rows:
        log.warning("%s: %d of %d rows have no label in %r and are left out "
                    "(unlabelled_rows: drop)", project, rows - len(frame), rows, data.target)
    if class_names is not None:
        frame[TARGET] = named(frame[TARGET], class_names, f"{project}: class_names")
    target = (f"{frame[TARGET].nunique()} distinct target values" if task == "regression"
              else f"{len(frame[TARGET].cat.categories)} classes")
    log.info("%s: %d rows x %d columns, %s from %s (sha256 ok)", project, *frame.shape, target,
             origin)
    return frame


def _read(project: str, data: DataParams, root: str | Path) -> Read:
    if isinstance(data, SklearnData):
        return _from_sklearn(data)
    if isinstance(data, CsvData):
        path = Path(root) / data.path
        if not path.is_file():
            raise DataError(f"{project}: data file {path} not found (data.path is relative to "
                            "the working directory)")
        return _read_csv(path, data), str(path), None
    local = _locate(data.file, root)
    if local is None:
        local = _download(project, data, Path(root) / EXTERNAL_DIR / data.file)
    if isinstance(data, (UrlData, PackageData)):
        return _read_csv(local, data), str(local), None
    return _read_openml(local, data), str(local), None


def _locate(file: str, root: str | Path) -> Path | None:
    """The cached copy, else the mirror's (copied into the cache), else None."""
    cached = Path(root) / EXTERNAL_DIR / file
    if cached.exists():
        return cached
    mirror = os.environ.get(MIRROR_ENV)
    if mirror and (Path(mirror) / file).exists():
        log.info("using mirror %s", Path(mirror) / file)
        with atomic_path(cached) as tmp:
            shutil.copyfile(Path(mirror) / file, tmp)
        return cached
    return None


Fetched = OpenMLData | UrlData | PackageData


def _offline_message(project: str, data: Fetched, reason: str) -> str:
    mirror = os.environ.get(MIRROR_ENV) or "unset"
    return (f"{project}: cannot get {data.file}: not in {EXTERNAL_DIR}/, not in the mirror "
            f"({MIRROR_ENV}={mirror}), and the online source failed ({reason}). Put {data.file} "
            f"in {EXTERNAL_DIR}/ or in a directory named by {MIRROR_ENV}")


def _download(project: str, data: Fetched, target: Path) -> Path:
    if isinstance(data, PackageData):
        return _from_package(project, data, target)
    try:
        if isinstance(data, UrlData):
            log.info("downloading %s", data.url)
            with urllib.request.urlopen(data.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                body = response.read()
            with atomic_path(target) as tmp:
                tmp.write_bytes(body)
        else:
            _fetch_openml(data, target)
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        # ValueError: OpenML does not know the name, version or id
        raise DataError(_offline_message(project, data, f"{type(exc).__name__}: {exc}")) from None
    return target


def _from_package(project: str, data: PackageData, target: Path) -> Path:
    """The package's file, copied into ``target`` (the cache)."""
    from importlib import resources

    try:
        source = resources.files(data.package).joinpath(data.resource)
        body = source.read_bytes()
    except ModuleNotFoundError:
        raise DataError(_offline_message(project, data, f"package {data.package} is not "
                                         f"installed: pip install {data.requirement}")) from None
    except OSError as exc:
        raise DataError(_offline_message(project, data, f"{data.package} has no "
                                         f"{data.resource}: {exc}")) from None
    log.info("copying %s from package %s", data.resource, data.package)
    with atomic_path(target) as tmp:
        tmp.write_bytes(body)
    return target


def _fetch_openml(data: OpenMLData, target: Path) -> None:
    """Download from OpenML into ``target``: the arrays (``.npz``) or the table (``.parquet``)."""
    from sklearn.datasets import fetch_openml

    which = {"data_id": data.id} if data.id is not None else {"name": data.name,
                                                              "version": data.version}
    as_frame = target.suffix == ".parquet"
    log.info("fetching OpenML %s", which)
    bunch = fetch_openml(**which, as_frame=as_frame, parser="auto",
                         data_home=str(target.parent / "openml"))
    if as_frame:
        write_parquet(target, bunch.frame)
        return
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, X=_compact(np.asarray(bunch.data)), y=_compact(np.asarray(bunch.target)))


def _compact(values: np.ndarray) -> np.ndarray:
    """uint8 when every value is a whole number in 0..255 (pixels and digit labels, which OpenML
    gives as floats, integers or strings depending on the parser); text as fixed-width strings
    (an .npz of Python objects needs pickle to be read); otherwise unchanged."""
    try:
        numbers = values if values.dtype.kind in "iu" else values.astype(np.float64)
    except (TypeError, ValueError):
        return values.astype(str) if values.dtype == object else values
    if numbers.size and numbers.min() >= 0 and numbers.max() <= 255 and (
            numbers.dtype.kind in "iu" or np.array_equal(numbers, np.round(numbers))):
        return numbers.astype(np.uint8)
    return values


def _read_openml(path: Path, data: OpenMLData) -> pd.DataFrame:
    """An ``.npz`` as columns ``<feature_prefix>1..n`` and the target, or a ``.parquet`` table."""
    try:
        if path.suffix == ".parquet":
            return read_parquet(path)
        with np.load(path) as arrays:
            X, y = arrays["X"], arrays["y"]
    except Exception as exc:  # a corrupt file raises anything from zipfile, numpy or pyarrow
        raise DataError(f"cannot read {path}: {type(exc).__name__}: {exc}. The file is corrupt or "
                        "truncated: delete it and fetch again") from None
    columns = [f"{data.feature_prefix}{k}" for k in range(1, X.shape[1] + 1)]
    frame = pd.DataFrame(X, columns=columns)
    frame[data.target] = y
    return frame


def _read_csv(path: Path, data: CsvData | UrlData | PackageData) -> pd.DataFrame:
    errors = data.encoding_errors if isinstance(data, PackageData) else "strict"
    try:
        frame = pd.read_csv(path, sep=data.sep, na_values=data.na_values, encoding_errors=errors)
    except pd.errors.EmptyDataError:
        raise DataError(f"cannot read {path}: the file is empty") from None
    except UnicodeDecodeError:
        raise DataError(f"cannot read {csv_files.not_utf8(path)}") from None
    except (pd.errors.ParserError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise DataError(f"cannot read {path} as CSV with sep={data.sep!r}: {reason}") from None
    hint = csv_files.separator_hint(frame, path, data.sep)
    if hint:
        raise DataError(f"cannot read {path}{hint}")
    repeated = csv_files.repeated_names(path, data.sep)
    if repeated:
        raise DataError(f"cannot read {path}: the header names {', '.join(map(repr, repeated))} "
                        "more than once; give each column its own name")
    return frame


def _from_sklearn(data: SklearnData) -> Read:
    """The table of a ``sklearn.datasets`` loader, and its ``target_names`` when they name the
    chosen target."""
    from sklearn import datasets as sk

    origin = f"sklearn.datasets.{data.loader}"
    loader = getattr(sk, data.loader, None)
    if not callable(loader):
        raise DataError(f"{origin} does not exist (loaders: "
                        f"{', '.join(n for n in dir(sk) if n.startswith('load_'))})")
    if "as_frame" not in inspect.signature(loader).parameters:
        raise DataError(f"{origin} does not give a table (no as_frame option): use a tabular "
                        "loader such as load_iris, load_wine or load_breast_cancer")
    bunch = loader(as_frame=True)
    if not isinstance(bunch.get("frame"), pd.DataFrame):
        raise DataError(f"{origin}(as_frame=True) gives no table")
    target = bunch.get("target")
    names = bunch.get("target_names")
    if not (isinstance(target, pd.Series) and target.name == data.target):
        names = None
    return bunch.frame, origin, (None if names is None else list(names))
