"""The pieces of a request every route reads: the served bundle it names (404 otherwise) and
its body, capped in size (413) and in time (408)."""

from __future__ import annotations

import asyncio

from fastapi import Request
from starlette.requests import ClientDisconnect

from dlpipe.errors import one_line
from dlpipe.serving.answers import ECHOED
from dlpipe.serving.tensor_values import RequestError


def bundle_of(request: Request, project: str):
    bundles = request.app.state.bundles
    if project not in bundles:
        raise RequestError(404, f"unknown model {one_line(repr(project), ECHOED)} (serving "
                                f"{sorted(bundles)})")
    return bundles[project]


async def read_body(request: Request) -> bytes:
    """The body, refused (413) as soon as its declared or its actual length passes the cap."""
    limit = request.app.state.limits.max_body_bytes
    declared = request.headers.get("content-length")
    too_large = f"request body larger than {limit} bytes"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, too_large, close=True)
    chunks, size = [], 0
    seconds = request.app.state.limits.body_timeout_seconds
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise RequestError(413, too_large, close=True)
                chunks.append(chunk)
    except TimeoutError:
        raise RequestError(408, f"the request body did not arrive within {seconds} s",
                           close=True) from None
    except ClientDisconnect:
        raise RequestError(400, "the client closed the connection before the body ended") \
            from None
    return b"".join(chunks)
