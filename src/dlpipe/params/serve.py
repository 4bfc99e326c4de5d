"""The ``serve:`` section of params.yaml: where ``python -m dlpipe serve`` listens and what one
request may carry."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dlpipe.params.base import PosInt, Strict


class MonitorParams(Strict):
    """What is kept of each answer: the prediction log (and with it feedback labels and live
    metrics), its segments' size and whether each record is flushed to disk before the answer
    goes out."""

    log_dir: str | None = Field(min_length=1)  # None: no log, no feedback, no live accuracy
    segment_bytes: PosInt  # a log segment past this size is closed and a new one begun
    fsync: bool  # each record on disk before its answer is sent (survives a power cut)
    live_window_rows: PosInt  # the latest labelled rows behind the live metric and the
    # latest served rows behind the accuracy estimated from confidence


class ChallengerParams(Strict):
    """How a challenger bundle (``dlpipe serve --challenger``) shares a project's traffic."""

    mode: Literal["split", "shadow"]  # split: it answers a share of the request keys;
    # shadow: it answers every request too, its answers logged and never returned
    share: Annotated[float, Field(gt=0, lt=1)]  # split: the challenger's share of the keys
    alpha: Annotated[float, Field(gt=0, lt=1)]  # dlpipe compare: the test's level
    power: Annotated[float, Field(gt=0, lt=1)]  # dlpipe compare: for the rows-needed figure
    effect: Annotated[float, Field(gt=0, lt=1)]  # dlpipe compare: the accuracy gap it is for
    min_rows: PosInt  # dlpipe compare: fewer labelled rows per version give no decision


class ServeParams(Strict):
    """The server's address, its request caps (a bigger request gets a 413 answer) and what it
    keeps of its answers."""

    host: str = Field(min_length=1)
    port: Annotated[int, Field(ge=1, le=65535, strict=True)]
    max_body_bytes: PosInt  # the request body, counted as it arrives
    max_rows: PosInt  # rows (instances) of one request
    body_timeout_seconds: PosInt  # a body not complete by then gets 408, its connection closed
    # a body up to this size, to a bundle predicted wholly in NumPy, is answered on the event
    # loop; a larger one (or any, at 0) in the threadpool
    inline_body_bytes: Annotated[int, Field(ge=0, strict=True)]
    monitor: MonitorParams
    challenger: ChallengerParams
