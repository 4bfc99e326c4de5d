"""A new version of a project's data: its table with the labelled rows after it, written as a
CSV file in the repository, and the params section's ``data:`` pointing at it with its new
checksum (the way ``dlpipe add`` writes one).

A project whose data is a CSV file in the repository gets the rows appended to that file; any
other source (a scikit-learn set, a URL, a package's file, OpenML) is written out once, with
the rows, to ``retrain.data_dir/<project>.csv``, and the section's ``data:`` becomes that file.
"""

from __future__ import annotations

import io as text_io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dlpipe import datasets
from dlpipe.errors import DataError
from dlpipe.frames import TARGET
from dlpipe.io import atomic_path, frame_sha256
from dlpipe.monitoring.labelled import LabelledRow
from dlpipe.params import CsvData, ImagesData, ProjectParams
from dlpipe.params_file import with_data
from dlpipe.params_file import write as write_params
from dlpipe.retraining.rows import label_values, table_rows


@dataclass(frozen=True)
class Version:
    """What :func:`plan` decided: the file to write (relative to the repository), its bytes,
    and the params text that points at it."""

    path: str
    content: bytes
    params_text: str
    rows_before: int
    rows_added: int
    old_sha256: str
    new_sha256: str


def plan(name: str, project: ProjectParams, rows: list[LabelledRow], root: Path,
         data_dir: str, params_text: str) -> Version:
    """The new version of project ``name``'s data with ``rows`` added; nothing written. The
    data as it is must match its checksum first."""
    data = project.data
    if isinstance(data, ImagesData):
        raise DataError(f"{name}: its data is a folder of images: add the labelled images to "
                        f"{data.path} and write its checksum with `dlpipe add {name} --images "
                        f"{data.path} --replace`")
    loaded = datasets.load(name, data, root, class_names=project.class_names,
                           unlabelled_rows="drop", task=project.task)
    source = datasets.read_table(name, data, root)
    values = None
    if project.task == "classification":
        labels = source[data.target][source[data.target].notna()]
        values = label_values(labels, loaded[TARGET])
    added = table_rows(rows, [str(c) for c in source.columns], data.target, values)
    class_names = None
    if isinstance(data, CsvData):
        path = data.path
        old = (root / path).read_bytes()
        content = old + (b"" if old.endswith(b"\n") else b"\n") + _csv(added, data.sep, False)
        section = data.model_dump()
    else:
        path = f"{data_dir.rstrip('/')}/{name}.csv"
        content = _csv(pd.concat([source, added], ignore_index=True), ",", True)
        section = {"source": "csv", "path": path, "sep": ",", "na_values": [],
                   "target": data.target}
        if values and project.class_names is None and any(
                str(value) != label for label, value in values.items()):
            class_names = {_plain(value): label for label, value in values.items()}
    checksum = _sha256(name, CsvData(**{**section, "sha256": data.sha256}), content)
    text = with_data(params_text, name, {**section, "sha256": checksum}, class_names)
    return Version(path, content, text, len(source), len(added), data.sha256, checksum)


def _csv(frame: pd.DataFrame, sep: str, header: bool) -> bytes:
    buffer = text_io.StringIO()
    frame.to_csv(buffer, sep=sep, header=header, index=False, lineterminator="\n")
    return buffer.getvalue().encode()


def _plain(value):
    """A label value as YAML writes it plainly (a NumPy integer as an int)."""
    return value.item() if hasattr(value, "item") else value


def _sha256(name: str, data: CsvData, content: bytes) -> str:
    """The content checksum of ``content`` read as ``data`` says (in a scratch folder)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / data.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return frame_sha256(datasets.read_table(name, data, scratch))


def write(version: Version, root: Path, params_file: Path) -> None:
    """Write the data file, then the params file (each atomically)."""
    with atomic_path(root / version.path) as tmp:
        tmp.write_bytes(version.content)
    write_params(params_file, params_file.read_text(), version.params_text)


def check_rows(rows: list[LabelledRow], name: str) -> None:
    """Refuse rows logged without their input (an image project's pixels are logged flat)."""
    flat = [row.key for row in rows if not isinstance(row.input, dict)]
    if flat:
        raise DataError(f"{name}: logged row {flat[0]} holds no column -> value input (an "
                        "image's pixels): retraining takes table projects")
