"""CSV files as users bring them: what pandas reads silently wrong, said in one line.

pandas renames a repeated header (``ram``, ``ram.1``), reads a file split by another separator
as one wide column, and reports a non-UTF-8 byte by its offset in an internal buffer. These
helpers read the file's own first line and bytes to say what is really there.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

SEPARATORS = (",", ";", "\t", "|")


def _header(path: Path, sep: str) -> list[str] | None:
    """The first line's fields split on ``sep`` (None: a separator csv cannot split on)."""
    if len(sep) != 1:
        return None
    with open(path, newline="", encoding="utf-8", errors="replace") as file:
        return next(csv.reader(file, delimiter=sep), [])


def _names(path: Path, sep: str) -> list[str]:
    """The header's column names as written (spaces around them dropped)."""
    return [name.strip() for name in _header(path, sep) or []]


def repeated_names(path: Path, sep: str) -> list[str]:
    """The names the header gives more than once, in order of first appearance."""
    names = _names(path, sep)
    return list(dict.fromkeys(name for name in names if names.count(name) > 1))


def with_own_header(frame: pd.DataFrame, path: Path, sep: str) -> pd.DataFrame:
    """``frame`` with its header as written: a repeated name stays repeated (pandas would
    have made the second ``ram`` into ``ram.1``, an unknown column)."""
    names = _names(path, sep)
    if len(names) == frame.shape[1] and len(set(names)) < len(names):
        frame = frame.copy()
        frame.columns = names
    return frame


def separator_hint(frame: pd.DataFrame, path: Path, sep: str) -> str:
    """`` (...)`` advice when ``frame`` came out as one column that another separator would
    split into several, else ``""``."""
    if frame.shape[1] != 1:
        return ""
    for other in SEPARATORS:
        header = _header(path, other) if other != sep else None
        if header and len(header) > 1:
            return (f" (the file is one column with sep={sep!r}; its header splits into "
                    f"{len(header)} columns on {other!r}: set the project's data.sep to "
                    f"{other!r} in params.yaml)")
    return ""


def first_non_utf8(path: Path) -> str:
    """Where the first byte that is not UTF-8 lies: ``line N, byte B (0xXX)`` (1-based, the
    byte counted within its line), or ``""`` if every line decodes."""
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return f"line {number}, byte {error.start + 1} (0x{line[error.start]:02x})"
    return ""


def not_utf8(path: Path) -> str:
    """The one-line reason a file that failed to decode is refused."""
    where = first_non_utf8(path)
    return (f"{path}: not UTF-8 text ({where or 'an invalid byte'}); save it as UTF-8 (a "
            "spreadsheet's 'CSV UTF-8' export)")
