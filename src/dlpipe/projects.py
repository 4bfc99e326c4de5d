"""``dlpipe add``: a new project from a CSV file in the repository, as a minimal params section.

The section states the source, the target, the content checksum and the feature columns found in
the table with their kinds; everything else comes from ``defaults:``. :func:`new_section` is
pure (a table in, a section out); :func:`add` reads the file, and :mod:`dlpipe.params_file`
edits params.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dlpipe import datasets
from dlpipe.errors import DataError, ParamsError
from dlpipe.frames import TARGET, with_target
from dlpipe.features import column_kinds
from dlpipe.io import frame_sha256
from dlpipe.params import CsvData, parse_params
from dlpipe.params_file import Added, opened, repo_file, saved, with_project
from dlpipe.table_checks import (is_a_quantity, refuse_a_quantity, small_classes,
                                 text_and_dates, unlabelled_note, unusable)

DRAFT_SHA256 = "0" * 64  # stands in for the checksum until the table has been read


def task_of(table: pd.DataFrame, target: str, folds: int) -> str:
    """The task a target column asks for: regression for a quantity (a numeric column that is
    not whole numbers, or most of whose values are too rare for ``folds``-fold CV), else
    classification."""
    if target not in table.columns:
        return "classification"  # with_target names the missing column
    labels = table[target].dropna()
    return "regression" if is_a_quantity(labels, table[target].dtype, folds) \
        else "classification"


def new_section(name: str, raw: dict, table: pd.DataFrame, data: CsvData,
                drop: list[str], keep: list[str] = (),
                task: str | None = None) -> tuple[dict, list[str]]:
    """The section of project ``name`` for ``table`` read with ``data`` (its checksum is
    computed here), and one note per column that cannot help a model: left out (added to
    ``drop``) unless ``keep`` names it. ``task`` null: the one the target asks for
    (:func:`task_of`), said in a note. ``raw`` is the params file as read; the section must
    validate merged over its ``defaults``."""
    source = {"source": "csv", "path": data.path, "sep": data.sep, "na_values": data.na_values,
              "target": data.target, "sha256": frame_sha256(table)}
    draft = {"data": source, "features": {"drop": drop}}
    project = parse_params(with_project(raw, name, draft)).project(name)
    found = task_of(table, data.target, project.cv.folds)
    chosen = task or found
    # the label checks fetch runs
    labelled = with_target(table, data.target, data.path,
                           unlabelled_rows=project.unlabelled_rows,
                           values=chosen == "regression")
    if chosen == "classification" and found == "regression":
        refuse_a_quantity(labelled[TARGET], data.target, data.path, project.cv.folds)
    X = labelled.drop(columns=[TARGET])
    for option, columns in (("--drop", drop), ("--keep", keep)):
        for column in columns:
            if column == data.target:
                raise DataError(f"{option} {column}: that is the target column")
            if column not in X.columns:
                raise DataError(f"{option} {column}: no such column in {data.path} (its "
                                f"columns: {[str(c) for c in table.columns]})")
    both = sorted(set(drop) & set(keep))
    if both:
        raise DataError(f"--drop {both[0]} and --keep {both[0]}: one or the other")
    text, dates = text_and_dates(X.drop(columns=drop))
    numeric, categorical = column_kinds(
        project.features.model_copy(update={"text": text, "datetime": dates}), X)
    reasons = unusable(X[[c for c in X.columns if c in {*numeric, *categorical}]])
    if len(reasons) == len(numeric) + len(categorical) and not text and not dates:
        raise DataError(f"{data.path}: no usable feature column: {list(reasons)} cannot help a "
                        "model (all missing, constant, or an ID)")
    left_out = [column for column in reasons if column not in keep]
    drop = [*drop, *left_out]
    section = {**({"task": chosen} if chosen != project.task else {}), "data": source,
               "features": {"numeric": [c for c in numeric if c not in left_out],
                            "categorical": [c for c in categorical if c not in left_out],
                            **({"text": text} if text else {}),
                            **({"datetime": dates} if dates else {})}}
    if drop:
        section["features"]["drop"] = drop
    if dates:  # scored on later rows than it learns from, as it will be used
        section.update(split={"method": "ordered", "order_by": dates[0]}, cv={"method": "ordered"})
    notes = [f"column {column!r} {why}: left out (--keep {column} keeps it)"
             for column, why in reasons.items() if column in left_out] + kind_notes(text, dates)
    if task is None and found == "regression":
        notes.insert(0, f"target {data.target!r}: {labelled[TARGET].nunique()} distinct numbers "
                        "in a numeric column: a regression project (--task classification "
                        "if they are classes)")
    classes = [] if chosen == "regression" else small_classes(labelled[TARGET], data.target,
                                                              project.cv.folds)
    return section, unlabelled_note(table, data.target) + notes + classes


def kind_notes(text: list[str], dates: list[str]) -> list[str]:
    """What ``add`` does with the free-text and date columns it found."""
    notes = [f"column {column!r} holds free text: TF-IDF features (features.text)"
             for column in text]
    notes += [f"column {column!r} holds dates: calendar features (features.datetime)"
              for column in dates]
    return notes + [f"the test part is the latest rows by {column!r} and each CV fold is scored "
                    "on rows after its training rows (split.order_by, cv.method: ordered; "
                    "stratified and shuffled draw them at random)" for column in dates[:1]]


def add(name: str, file: str, target: str, drop: list[str], sep: str = ",",
        na_values: list[str] | None = None, params: str | Path = "params.yaml",
        keep: list[str] = (), replace: bool = False, task: str | None = None) -> Added:
    """Add project ``name`` to ``params`` from the CSV ``file`` (relative to the repository,
    the directory of ``params``), or with ``replace`` write its section anew; raise a
    DlpipeError, the file untouched, on any refusal."""
    if not sep:
        raise ParamsError("--sep: expected one or more characters, got ''")
    params = Path(params)
    text, raw, root = opened(params, name, replace)
    data = CsvData(source="csv", path=repo_file(file, root, "--file"), sep=sep,
                   na_values=list(na_values or []), target=target, sha256=DRAFT_SHA256)
    table = datasets.read_table(name, data, root)
    section, notes = new_section(name, raw, table, data, list(dict.fromkeys(drop)),
                                 list(dict.fromkeys(keep)), task)
    return Added(name, data.path, saved(params, text, raw, name, section), notes)
