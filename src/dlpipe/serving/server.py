"""The HTTP server: each bundle behind the Open Inference Protocol (KServe V2) and TensorFlow
Serving's REST predict, with docs at ``/docs``; ``GET /v2/models/<p>/drift`` checks the latest
rows served for drift (:mod:`dlpipe.serving.watch`); every answer is kept by the project's
monitor (the prediction log, live figures: :mod:`dlpipe.monitoring`), whose feedback and
``/metrics`` routes are in :mod:`dlpipe.serving.monitoring_routes`.

A request is read up to ``max_body_bytes`` (413 beyond) within ``body_timeout_seconds`` (408
after), parsed and predicted in the threadpool
(the event loop stays free for health checks while a large batch runs). Anything a request
causes is a 4xx answer ``{"error": "..."}``; an unexpected failure is logged with its traceback
and answered 500 without one.
"""

from __future__ import annotations

import functools

import numpy as np
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline

from dlpipe.params import ServeParams
from dlpipe.serving import answers, binary_tensors, monitoring_routes, protocols, tf_serving
from dlpipe.serving.answers import MAX_PROBLEMS, REQUEST_ID, answer
from dlpipe.serving.metrics import CountingMiddleware, ServerMetrics
from dlpipe.serving.openapi_bodies import V1_BODY, V2_BODY
from dlpipe.serving.request_parts import bundle_of, read_body
from dlpipe.serving.tensor_values import RequestError

router = APIRouter()


def create_app(bundles: dict, limits: ServeParams, watches: dict | None = None,
               monitors: dict | None = None) -> FastAPI:
    """The app serving ``bundles`` (project name -> Bundle) within ``limits``; ``watches``
    (project name -> :class:`~dlpipe.serving.watch.Watch`) keep the rows served for the drift
    endpoint (none: the endpoint answers 503); ``monitors`` (project name ->
    :class:`~dlpipe.monitoring.monitor.Monitor`) keep every answer (none: nothing is logged,
    feedback answers 503)."""
    # the docs page's scripts come from the package, not a CDN: it works offline
    app = FastAPIOffline(title="dlpipe", version="1",
                  description="Predictions of dlpipe's inference bundles: " + ", ".join(bundles))
    app.state.bundles = dict(bundles)
    app.state.limits = limits
    app.state.watches = dict(watches or {})
    app.state.monitors = dict(monitors or {})
    app.state.metrics = ServerMetrics(app.state.bundles, {
        project: monitor.live for project, monitor in app.state.monitors.items()},
        app.state.watches)
    app.add_middleware(CountingMiddleware, metrics=app.state.metrics)
    app.include_router(router)
    app.include_router(monitoring_routes.router)
    answers.handle_errors(app)
    return app


def _predict(bundle, frame) -> np.ndarray:
    """Probabilities (float32 [n, k]; a numeric target: values [n, 1]); a row the model cannot
    score is the request's fault."""
    proba = bundle.predict_proba(frame)
    bad_rows = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if bad_rows.size:
        raise RequestError(422, f"rows {(bad_rows[:MAX_PROBLEMS] + 1).tolist()}: the model gives "
                                "no finite output (a missing value it cannot fill?)")
    return proba


def _v2_infer(project: str, bundle, body: bytes, max_rows: int, keep,
              header_length: str | None) -> Response:
    json_part, binary = binary_tensors.split(body, header_length)
    request = protocols.parse_json(json_part)
    frame = protocols.v2_frame(bundle, request, max_rows, binary)
    protocols.request_id(request)
    proba = _predict(bundle, frame)
    content, binary_outputs = protocols.v2_response(project, proba, bundle, request)
    request_id = keep(frame, proba, request.get("id"))
    if request_id:
        content["parameters"] = {"request_id": request_id}
    if not binary_outputs:
        return answer(content, request_id)
    header = orjson.dumps(content)
    headers = {binary_tensors.HEADER: str(len(header)), **({REQUEST_ID: request_id}
                                                          if request_id else {})}
    return Response(header + binary_outputs, media_type="application/octet-stream",
                    headers=headers)


def _v1_predict(bundle, body: bytes, max_rows: int, keep) -> Response:
    request = protocols.parse_json(body)
    frame = tf_serving.v1_frame(bundle, request, max_rows)
    proba = _predict(bundle, frame)
    return answer(tf_serving.v1_response(proba, bundle), keep(frame, proba, None))


def _keep(state, project: str, frame, proba, client_id) -> str | None:
    """Rows answered successfully join the project's drift window, are counted and go to its
    monitor (the log and live figures, before the answer is sent); the request id they are
    logged under."""
    watch, monitor = state.watches.get(project), state.monitors.get(project)
    if watch is not None:
        watch.add(frame)
    bundle = state.bundles[project]
    state.metrics.rows.labels(project, bundle.version).inc(len(frame))
    return None if monitor is None else monitor.answered(frame, proba, client_id)


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
    return protocols.v2_metadata(project, bundle_of(request, project))


@router.get("/v2/models/{project}/ready", tags=["v2"])
def model_ready(request: Request, project: str) -> dict:
    bundle_of(request, project)
    return {"name": project, "ready": True}


@router.post("/v2/models/{project}/infer", tags=["v2"], openapi_extra=V2_BODY)
async def infer(request: Request, project: str) -> Response:
    bundle = bundle_of(request, project)
    body = await read_body(request)
    return await run_in_threadpool(_v2_infer, project, bundle, body,
                                   request.app.state.limits.max_rows,
                                   functools.partial(_keep, request.app.state, project),
                                   request.headers.get(binary_tensors.HEADER))


@router.get("/v2/models/{project}/drift", tags=["v2"])
async def drift(request: Request, project: str) -> Response:
    """The drift report of the latest rows served (``drift.window_rows``) against the
    reference; ``"drift": null`` and the reason with fewer than ``drift.min_rows`` rows."""
    bundle_of(request, project)
    return answer(await run_in_threadpool(_watch(request, project).report))


# --- TensorFlow Serving REST (V1) -----------------------------------------------------------------
@router.get("/v1/models/{project}", tags=["v1"])
def model_status(request: Request, project: str) -> dict:
    bundle_of(request, project)
    return {"model_version_status": [{"version": "1", "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


@router.post("/v1/models/{project}:predict", tags=["v1"], openapi_extra=V1_BODY)
async def predict(request: Request, project: str) -> Response:
    bundle = bundle_of(request, project)
    body = await read_body(request)
    return await run_in_threadpool(_v1_predict, bundle, body,
                                   request.app.state.limits.max_rows,
                                   functools.partial(_keep, request.app.state, project))
