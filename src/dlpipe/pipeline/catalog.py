"""Reading and writing artefacts, chosen by the path's suffix; every write is atomic.

A path without a suffix is a directory output: the node returns a mapping of file name to
content, written into a fresh directory that replaces the old one in one rename, and read back
as the same mapping (each file by its suffix, when the node first asks for it: a node that
reads only a bundle's schema never imports TensorFlow to load its network). A directory a node
returns as it was read is written with its unread files copied byte for byte.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd

from dlpipe import io


class Directory(Mapping[str, Any]):
    """A directory output as read: file name -> content, each file read on first access."""

    def __init__(self, path: Path):
        self.path = path
        self.names = [child.name for child in sorted(path.iterdir())
                      if not child.name.startswith(".")]
        self.read: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(name)
        if name not in self.read:
            self.read[name] = read(self.path / name)
        return self.read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def read(path: str | Path) -> Any:
    path = Path(path)
    suffix = path.suffix
    if not suffix and path.is_dir():
        return Directory(path)
    if suffix == ".parquet":
        return io.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix == ".json":
        return io.read_json(path)
    if suffix == ".yaml":
        import yaml

        return yaml.safe_load(path.read_text())
    if suffix == ".keras":
        from dlpipe.models.network import load_network

        return load_network(str(path))
    if suffix == ".skops":
        from dlpipe.bundle.files import load_transformer

        return load_transformer(path)
    if suffix == ".tflite":
        return path.read_bytes()
    raise ValueError(f"{path}: no reader for {suffix or 'a directory'}")


def write(path: str | Path, value: Any, manifest: bool = False) -> None:
    """Write ``value`` to ``path`` atomically; a directory with ``manifest`` also lists the
    sha256 of its files (:func:`dlpipe.io.write_manifest`), so a reader can verify them."""
    path = Path(path)
    if not path.suffix:
        _write_directory(path, value, manifest)
    elif path.suffix == ".parquet":
        io.write_parquet(path, value)
    elif path.suffix == ".csv":
        io.write_csv(path, value)
    elif path.suffix == ".json":
        io.write_json(path, value)
    elif path.suffix == ".yaml":
        import yaml

        io.write_text(path, yaml.safe_dump(value, sort_keys=False))
    elif path.suffix in (".md", ".txt"):
        io.write_text(path, value)
    elif path.suffix == ".png":
        io.save_figure(path, value)
    elif path.suffix in (".keras", ".skops", ".tflite"):
        with io.atomic_path(path) as tmp:
            _save_object(tmp, value)
    else:
        raise ValueError(f"{path}: no writer for {path.suffix}")


def _save_object(tmp: Path, value: Any) -> None:
    if tmp.suffix == ".keras":
        value.save(tmp)
    elif tmp.suffix == ".tflite":  # a LiteRT file, as the converter returns it
        tmp.write_bytes(value)
    else:
        from dlpipe.bundle.files import dump_transformer

        dump_transformer(tmp, value)


def _write_directory(path: Path, files: Mapping[str, Any], manifest: bool) -> None:
    if not isinstance(files, Mapping):
        raise TypeError(f"{path}: a directory output takes a mapping of file name to content, "
                        f"got {type(files).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp.", dir=path.parent))
    try:
        for name in files:
            if isinstance(files, Directory) and name not in files.read:
                shutil.copyfile(files.path / name, staging / name)  # passed on unread: as is
            else:
                write(staging / name, files[name])
        if manifest:
            io.write_manifest(staging)
        staging.chmod(0o777 & ~io.umask())
        if path.exists():
            shutil.rmtree(path)
        staging.rename(path)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
