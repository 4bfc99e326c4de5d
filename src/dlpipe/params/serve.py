"""The ``serve:`` section of params.yaml: where ``python -m dlpipe serve`` listens and what one
request may carry."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from dlpipe.params.base import PosInt, Strict


class ServeParams(Strict):
    """The server's address and its request caps (a bigger request gets a 413 answer)."""

    host: str = Field(min_length=1)
    port: Annotated[int, Field(ge=1, le=65535, strict=True)]
    max_body_bytes: PosInt  # the request body, counted as it arrives
    max_rows: PosInt  # rows (instances) of one request
    body_timeout_seconds: PosInt  # a body not complete by then gets 408, its connection closed
