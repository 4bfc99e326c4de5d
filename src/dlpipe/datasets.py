"""Dataset sources: the download cache, then a mirror directory, then the online source.

Every loader returns one raw table with stable names and dtypes (features as in the source, the
label as an integer column ``target``), and :func:`load` verifies the table's content checksum.
"""

from __future__ import annotations

import logging
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe.errors import DataError
from dlpipe.frames import TARGET
from dlpipe.io import atomic_path, frame_sha256
from dlpipe.params import DataParams, OpenMLData, SklearnData, UrlData

log = logging.getLogger(__name__)
MIRROR_ENV = "DLPIPE_DATA_MIRROR"
EXTERNAL_DIR = "data/external"  # the download cache: a fetched file is kept here
DOWNLOAD_TIMEOUT_S = 60  # a network call that hangs longer than this is treated as offline


def load(project: str, data: DataParams, root: str | Path = ".") -> pd.DataFrame:
    """The verified raw table of ``project``."""
    if isinstance(data, SklearnData):
        frame, origin = _from_sklearn(data), f"sklearn.datasets.{data.loader}"
    else:
        local = _locate(data.file, root)
        if local is None:
            local = _download(project, data, Path(root) / EXTERNAL_DIR / data.file)
        frame, origin = _read_file(local, data), str(local)
    digest = frame_sha256(frame)
    if digest != data.sha256:
        raise DataError(
            f"{project}: checksum mismatch for {origin}: expected {data.sha256}, got {digest} "
            f"({len(frame)} rows). The file is wrong or truncated: delete it and fetch again")
    log.info("%s: %d rows x %d columns from %s (sha256 ok)", project, *frame.shape, origin)
    return frame


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


def _offline_message(project: str, data: OpenMLData | UrlData, reason: str) -> str:
    mirror = os.environ.get(MIRROR_ENV) or "unset"
    return (f"{project}: cannot get {data.file}: not in {EXTERNAL_DIR}/, not in the mirror "
            f"({MIRROR_ENV}={mirror}), and the online source failed ({reason}). Put {data.file} "
            f"in {EXTERNAL_DIR}/ or in a directory named by {MIRROR_ENV}")


def _download(project: str, data: OpenMLData | UrlData, target: Path) -> Path:
    try:
        if isinstance(data, UrlData):
            log.info("downloading %s", data.url)
            with urllib.request.urlopen(data.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                body = response.read()
            with atomic_path(target) as tmp:
                tmp.write_bytes(body)
        else:
            _fetch_openml(data, target)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DataError(_offline_message(project, data, f"{type(exc).__name__}: {exc}")) from None
    return target


def _fetch_openml(data: OpenMLData, target: Path) -> None:
    from sklearn.datasets import fetch_openml

    log.info("fetching OpenML %s version %d", data.name, data.version)
    bunch = fetch_openml(data.name, version=data.version, as_frame=False, parser="auto",
                         data_home=str(target.parent / "openml"))
    X = np.asarray(bunch.data)
    # OpenML gives pixels as float or int depending on the parser, and labels as strings
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, X=X.astype(np.uint8), y=np.asarray(bunch.target).astype(np.uint8))


def _read_file(path: Path, data: OpenMLData | UrlData) -> pd.DataFrame:
    try:
        if isinstance(data, OpenMLData):
            with np.load(path) as arrays:
                X, y = arrays["X"], arrays["y"]
            columns = [f"{data.feature_prefix}{k}" for k in range(1, X.shape[1] + 1)]
            frame = pd.DataFrame(X, columns=columns)
            frame[TARGET] = y.astype(np.int64)
            return frame
        frame = pd.read_csv(path)
    except Exception as exc:  # a corrupt file raises anything from zipfile, numpy or pandas
        raise DataError(f"cannot read {path}: {type(exc).__name__}: {exc}. The file is corrupt or "
                        "truncated: delete it and fetch again") from None
    if data.target not in frame.columns:
        raise DataError(f"{path}: expected a target column {data.target!r}, got columns "
                        f"{list(frame.columns)[:8]}...")
    return _with_target(frame, data.target)


def _from_sklearn(data: SklearnData) -> pd.DataFrame:
    from sklearn import datasets

    frame = getattr(datasets, data.loader)(as_frame=True).frame
    return _with_target(frame, data.target)


def _with_target(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    labels = frame.pop(target)
    if not pd.api.types.is_integer_dtype(labels):
        raise DataError(f"target column {target!r}: expected integer class labels, got "
                        f"{labels.dtype}")
    frame[TARGET] = labels.astype(np.int64)
    return frame.reset_index(drop=True)
