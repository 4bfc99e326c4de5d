"""The HTTP server: each bundle behind the Open Inference Protocol (KServe V2) and TensorFlow
Serving's REST predict, with docs at ``/docs``; ``GET /v2/models/<p>/drift`` checks the latest
rows served for drift (:mod:`dlpipe.serving.watch`).

A request is read up to ``max_body_bytes`` (413 beyond) within ``body_timeout_seconds`` (408
after), parsed and predicted in the threadpool
(the event loop stays free for health checks while a large batch runs). Anything a request
causes is a 4xx answer ``{"error": "..."}``; an unexpected failure is logged with its traceback
and answered 500 without one.
"""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from dlpipe.errors import InputError, one_line
from dlpipe.params import ServeParams
from dlpipe.serving import binary_tensors, protocols, tf_serving
from dlpipe.serving.openapi_bodies import V1_BODY, V2_BODY
from dlpipe.serving.tensor_values import RequestError

log = logging.getLogger("dlpipe.serve")
MAX_PROBLEMS = 10  # schema problems listed in one answer; the rest are counted
ECHOED = 200  # characters of a path or name an error answer repeats
router = APIRouter()


def create_app(bundles: dict, limits: ServeParams, watches: dict | None = None) -> FastAPI:
    """The app serving ``bundles`` (project name -> Bundle) within ``limits``; ``watches``
    (project name -> :class:`~dlpipe.serving.watch.Watch`) keep the rows served for the drift
    endpoint (none: the endpoint answers 503)."""
    # the docs page's scripts come from the package, not a CDN: it works offline
    app = FastAPIOffline(title="dlpipe", version="1",
                  description="Predictions of dlpipe's inference bundles: " + ", ".join(bundles))
    app.state.bundles = dict(bundles)
    app.state.limits = limits
    app.state.watches = dict(watches or {})
    app.include_router(router)
    app.add_exception_handler(RequestError, _request_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
    return app


# --- answers to failures --------------------------------------------------------------------------
def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
    answer = _error(exc.status, exc.message)
    if exc.close:  # else the server would wait for the rest of a body nobody reads
        answer.headers["Connection"] = "close"
    return answer


async def _input_error(request: Request, exc: InputError) -> JSONResponse:
    problems = list(exc.problems)
    more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    return _error(422, "; ".join(problems[:MAX_PROBLEMS]) + more)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    where = one_line(f"{request.method} {request.url.path}", ECHOED)
    return JSONResponse({"error": f"{where}: {exc.detail}"},
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return _error(422, f"{where}: {first.get('msg', 'invalid')}")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error: the server logged it")


def _answer(content: dict) -> Response:
    """A prediction as JSON (orjson: a batch's probabilities in a fraction of json's time)."""
    return Response(orjson.dumps(content), media_type="application/json")


# --- the pieces of a request ----------------------------------------------------------------------
def _bundle(request: Request, project: str):
    bundles = request.app.state.bundles
    if project not in bundles:
        raise RequestError(404, f"unknown model {one_line(repr(project), ECHOED)} (serving "
                                f"{sorted(bundles)})")
    return bundles[project]


async def _body(request: Request) -> bytes:
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


def _predict(bundle, frame) -> np.ndarray:
    """Probabilities (float32 [n, k]; a numeric target: values [n, 1]); a row the model cannot
    score is the request's fault."""
    proba = bundle.predict_proba(frame)
    bad_rows = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if bad_rows.size:
        raise RequestError(422, f"rows {(bad_rows[:MAX_PROBLEMS] + 1).tolist()}: the model gives "
                                "no finite output (a missing value it cannot fill?)")
    return proba


def _v2_infer(project: str, bundle, body: bytes, max_rows: int, watch,
              header_length: str | None) -> Response:
    json_part, binary = binary_tensors.split(body, header_length)
    request = protocols.parse_json(json_part)
    frame = protocols.v2_frame(bundle, request, max_rows, binary)
    protocols.request_id(request)
    answer, binary_outputs = protocols.v2_response(project, _predict(bundle, frame), bundle,
                                                   request)
    _keep(watch, frame)
    if not binary_outputs:
        return _answer(answer)
    header = orjson.dumps(answer)
    return Response(header + binary_outputs, media_type="application/octet-stream",
                    headers={binary_tensors.HEADER: str(len(header))})


def _v1_predict(bundle, body: bytes, max_rows: int, watch) -> dict:
    request = protocols.parse_json(body)
    frame = tf_serving.v1_frame(bundle, request, max_rows)
    answer = tf_serving.v1_response(_predict(bundle, frame), bundle)
    _keep(watch, frame)
    return answer


def _keep(watch, frame) -> None:
    """Rows answered successfully join the project's drift window."""
    if watch is not None:
        watch.add(frame)


def _watch(request: Request, project: str):
    """The project's drift check; 503 if the server has none or its reference is missing."""
    watch = request.app.state.watches.get(project)
    if watch is None:
        raise RequestError(503, f"no drift check for {project!r}: the server was started "
                                "without drift references")
    if watch.problem is not None:
        raise RequestError(503, watch.problem)
    return watch


# --- Open Inference Protocol (V2) -----------------------------------------------------------------
@router.get("/v2", tags=["v2"])
def server_metadata() -> dict:
    return {"name": "dlpipe", "version": "1", "extensions": [binary_tensors.EXTENSION]}


@router.get("/v2/health/live", tags=["v2"])
def live() -> dict:
    return {"live": True}


@router.get("/v2/health/ready", tags=["v2"])
def ready() -> dict:
    return {"ready": True}  # the bundles are loaded before the server listens


@router.get("/v2/models/{project}", tags=["v2"])
def model_metadata(request: Request, project: str) -> dict:
    return protocols.v2_metadata(project, _bundle(request, project))


@router.get("/v2/models/{project}/ready", tags=["v2"])
def model_ready(request: Request, project: str) -> dict:
    _bundle(request, project)
    return {"name": project, "ready": True}


@router.post("/v2/models/{project}/infer", tags=["v2"], openapi_extra=V2_BODY)
async def infer(request: Request, project: str) -> Response:
    bundle = _bundle(request, project)
    body = await _body(request)
    return await run_in_threadpool(_v2_infer, project, bundle, body,
                                   request.app.state.limits.max_rows,
                                   request.app.state.watches.get(project),
                                   request.headers.get(binary_tensors.HEADER))


@router.get("/v2/models/{project}/drift", tags=["v2"])
async def drift(request: Request, project: str) -> Response:
    """The drift report of the latest rows served (``drift.window_rows``) against the
    reference; ``"drift": null`` and the reason with fewer than ``drift.min_rows`` rows."""
    _bundle(request, project)
    return _answer(await run_in_threadpool(_watch(request, project).report))


# --- TensorFlow Serving REST (V1) -----------------------------------------------------------------
@router.get("/v1/models/{project}", tags=["v1"])
def model_status(request: Request, project: str) -> dict:
    _bundle(request, project)
    return {"model_version_status": [{"version": "1", "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


@router.post("/v1/models/{project}:predict", tags=["v1"], openapi_extra=V1_BODY)
async def predict(request: Request, project: str) -> Response:
    bundle = _bundle(request, project)
    body = await _body(request)
    return _answer(await run_in_threadpool(_v1_predict, bundle, body,
                                           request.app.state.limits.max_rows,
                                           request.app.state.watches.get(project)))
