"""The server's answers: a prediction as JSON, and the one-line JSON error every failure gets
(a 4xx naming the field for anything a request causes; a logged 500 without a traceback
otherwise)."""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from dlpipe.errors import InputError, one_line
from dlpipe.serving.tensor_values import RequestError

log = logging.getLogger("dlpipe.serve")
MAX_PROBLEMS = 10  # schema problems listed in one answer; the rest are counted
ECHOED = 200  # characters of a path or name an error answer repeats
REQUEST_ID = "X-Request-Id"  # the answer's header naming the request id feedback refers to
VERSION = "X-Model-Version"  # the answer's header naming the bundle version that answered


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def request_error(request: Request, exc: RequestError) -> JSONResponse:
    refused = error(exc.status, exc.message)
    if exc.close:  # else the server would wait for the rest of a body nobody reads
        refused.headers["Connection"] = "close"
    return refused


async def input_error(request: Request, exc: InputError) -> JSONResponse:
    problems = list(exc.problems)
    more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    return error(422, "; ".join(problems[:MAX_PROBLEMS]) + more)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    where = one_line(f"{request.method} {request.url.path}", ECHOED)
    return JSONResponse({"error": f"{where}: {exc.detail}"},
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return error(422, f"{where}: {first.get('msg', 'invalid')}")


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error(500, "internal error: the server logged it")


def answer(content: dict, headers: dict | None = None) -> Response:
    """A prediction as JSON (orjson: a batch's probabilities in a fraction of json's time)."""
    return Response(orjson.dumps(content), media_type="application/json", headers=headers)


def handle_errors(app: FastAPI) -> None:
    """Every failure answered as above."""
    app.add_exception_handler(RequestError, request_error)
    app.add_exception_handler(InputError, input_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
