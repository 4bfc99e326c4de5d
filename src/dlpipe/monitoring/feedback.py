"""Feedback: the true label (a numeric target: value) of logged rows, by request id and row.

A batch of feedback is checked whole against the log's index and recorded only if every item
passes: an unknown request id, a row the request did not have, a label that is not one of the
model's classes or a value that is not a finite number, and a row labelled before (or twice in
the batch) are each named, and nothing of the batch is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dlpipe.errors import DlpipeError
from dlpipe.monitoring.prediction_log import PredictionLog, now

MAX_PROBLEMS = 10


class FeedbackError(DlpipeError):
    """Refused feedback: ``status`` 422 (a malformed item), 404 (an unknown request or row) or
    409 (a row labelled before), and one line per problem."""

    def __init__(self, status: int, problems: list[str]):
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS \
            else ""
        super().__init__("; ".join(problems[:MAX_PROBLEMS]) + more)
        self.status, self.problems = status, problems


@dataclass(frozen=True)
class Outcome:
    """A labelled row: the version that answered it, and whether its label was right (a
    numeric target: its error, predicted minus true)."""

    version: str
    correct: bool | None
    error: float | None


def _truth(item: Any, where: str, classes: list[str] | None) -> tuple[str, Any]:
    """``("label", name)`` or ``("value", number)`` of one item, or a ValueError naming why."""
    if classes is not None:
        if "label" not in item:
            raise ValueError(f"{where}.label: missing (the model predicts classes {classes})")
        label = item["label"]
        name = str(label) if isinstance(label, int) and not isinstance(label, bool) else label
        if name not in classes:
            raise ValueError(f"{where}.label: expected one of {classes}, got {label!r}")
        return "label", name
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}.value: expected a finite number, got {value!r}")
    return "value", float(value)


def _check(log: PredictionLog, items: Any) -> tuple[list[dict], list[Outcome]]:
    if not isinstance(items, list) or not items:
        raise FeedbackError(422, ["feedback: expected a non-empty list of {id, row, label} "
                                  "or {id, row, value}"])
    malformed, unknown, repeated, records, outcomes = [], [], [], [], []
    seen: set[tuple[str, int]] = set()
    for n, item in enumerate(items):
        where = f"feedback[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            malformed.append(f"{where}.id: expected a request id (a string)")
            continue
        row = item.get("row", 0)
        if isinstance(row, bool) or not isinstance(row, int) or row < 0:
            malformed.append(f"{where}.row: expected a row number from 0, got {row!r}")
            continue
        logged = log.index.get(item["id"])
        if logged is None or row >= logged.rows:
            unknown.append(f"{where}: no logged request {item['id']!r}" if logged is None else
                           f"{where}.row: request {item['id']!r} had {logged.rows} "
                           f"row(s), not row {row}")
            continue
        try:
            kind, truth = _truth(item, where, log.classes.get(logged.version))
        except ValueError as problem:
            malformed.append(str(problem))
            continue
        key = (item["id"], row)
        if key in log.labelled or key in seen:
            repeated.append(f"{where}: request {item['id']!r} row {row} is labelled already")
            continue
        seen.add(key)
        records.append({"id": key[0], "row": row, "time": now(), "version": logged.version,
                        kind: truth})
        outcomes += [outcome(version, answers[row], kind, truth)
                     for version, answers in logged.answers.items()]
    for status, problems in ((422, malformed), (404, unknown), (409, repeated)):
        if problems:
            raise FeedbackError(status, malformed + unknown + repeated)
    return records, outcomes


def outcome(version: str, answer: Any, kind: str, truth: Any) -> Outcome:
    """How ``version``'s answer fared against the truth."""
    if kind == "label":
        return Outcome(version, answer == truth, None)
    return Outcome(version, None, float(answer) - truth)


def record(log: PredictionLog, items: Any) -> list[Outcome]:
    """Check ``items`` (each ``{"id", "row" (default 0), "label"}`` or ``{..., "value"}``),
    append them to the log's feedback and return their outcomes (one per version that
    answered the row: a shadow's too); a :class:`FeedbackError` and nothing kept if any item
    is refused."""
    with log.lock:
        records, outcomes = _check(log, items)
        log.feedback.write(records)
        log.labelled.update((r["id"], r["row"]) for r in records)
    return outcomes
