"""The HTTP server: each bundle behind the Open Inference Protocol (KServe V2) and TensorFlow
Serving's REST predict, with docs at ``/docs``; ``GET /v2/models/<p>/drift`` checks the latest
rows served for drift (:mod:`dlpipe.serving.watch`); every answer is kept by the project's
monitor (the prediction log, live figures: :mod:`dlpipe.monitoring`), whose feedback and
``/metrics`` routes are in :mod:`dlpipe.serving.monitoring_routes`.

A request is read up to ``max_body_bytes`` (413 beyond) within ``body_timeout_seconds`` (408
after), parsed, checked against the schema and predicted by the bundle's compiled predictor
(:mod:`dlpipe.bundle.compiled`: NumPy where it can, the bundle's own code where not; the path
each bundle takes is logged at start, :mod:`dlpipe.serving.predictors`). A request to a bundle
predicted wholly in NumPy is read into NumPy columns, not a pandas table
(:mod:`dlpipe.row_columns`), and a body up to ``inline_body_bytes`` to one is answered on the
event loop (a row takes ~0.1 ms, less than the thread hop); any other in the threadpool, so
the event loop stays free for health checks while a large batch runs. Anything a request
causes is a 4xx answer ``{"error": "..."}``; an unexpected failure is logged with its traceback
and answered 500 without one.
"""

from __future__ import annotations

import logging

import numpy as np
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from starlette.routing import Route

from dlpipe.params import ServeParams
from dlpipe.serving import (answers, binary_tensors, monitoring_routes, predictors, protocols,
                            tf_serving)
from dlpipe.serving.answers import MAX_PROBLEMS, REQUEST_ID, VERSION, answer
from dlpipe.serving.metrics import CountingMiddleware, ServerMetrics
from dlpipe.serving.openapi_bodies import V1_BODY, V2_BODY
from dlpipe.serving.request_parts import bundle_of, read_body
from dlpipe.serving.tensor_values import RequestError
from dlpipe.serving.traffic import SPLIT_KEY

log = logging.getLogger("dlpipe.serve")
router = APIRouter()
predict_router = APIRouter()  # the predict routes, served as plain Starlette routes


def create_app(bundles: dict, limits: ServeParams, watches: dict | None = None,
               monitors: dict | None = None, challengers: dict | None = None) -> FastAPI:
    """The app serving ``bundles`` (project name -> Bundle) within ``limits``; ``watches``
    (project name -> :class:`~dlpipe.serving.watch.Watch`) keep the rows served for the drift
    endpoint (none: the endpoint answers 503); ``monitors`` (project name ->
    :class:`~dlpipe.monitoring.monitor.Monitor`) keep every answer (none: nothing is logged,
    feedback answers 503); ``challengers`` (project name ->
    :class:`~dlpipe.serving.traffic.Challenger`) answer a share of a project's requests, or
    shadow them."""
    # the docs page's scripts come from the package, not a CDN: it works offline
    app = FastAPIOffline(title="dlpipe", version="1",
                  description="Predictions of dlpipe's inference bundles: " + ", ".join(bundles))
    app.state.bundles = dict(bundles)
    app.state.limits = limits
    app.state.watches = dict(watches or {})
    app.state.monitors = dict(monitors or {})
    app.state.challengers = dict(challengers or {})
    app.state.predictors = predictors.predictors(app.state.bundles, app.state.challengers)
    app.state.numpy_only = {project: predictors.numpy_only(app.state, project)
                            for project in bundles}
    app.state.inline = {project: predictors.inline_ok(app.state, project) for project in bundles}
    app.state.metrics = ServerMetrics(app.state.bundles, {
        project: monitor.live for project, monitor in app.state.monitors.items()},
        app.state.watches)
    app.add_middleware(CountingMiddleware, metrics=app.state.metrics)
    app.include_router(predict_router)
    app.include_router(router)
    app.include_router(monitoring_routes.router)
    # FastAPI's handling of a request (matching it against the docs' routes and the others in
    # turn, solving dependencies, its exit stack) costs ~50 µs, as much as predicting a row:
    # the predict routes are matched first, as plain Starlette routes; their FastAPI routes,
    # never reached, describe them at /docs
    app.router.routes[:0] = [Route(r.path, r.endpoint, methods=list(r.methods))
                             for r in predict_router.routes]
    answers.handle_errors(app)
    return app


def _predict(state, bundle, frame) -> np.ndarray:
    """Probabilities (float32 [n, k]; a numeric target: values [n, 1]) by ``bundle``'s compiled
    predictor; a row the model cannot score is the request's fault."""
    proba = state.predictors[id(bundle)].predict_proba(frame)
    bad_rows = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if bad_rows.size:
        raise RequestError(422, f"rows {(bad_rows[:MAX_PROBLEMS] + 1).tolist()}: the model gives "
                                "no finite output (a missing value it cannot fill?)")
    return proba


def _v2_infer(state, project: str, body: bytes, header_length: str | None,
              split_key: str | None) -> Response:
    json_part, binary = binary_tensors.split(body, header_length)
    request = protocols.parse_json(json_part)
    frame = protocols.v2_frame(state.bundles[project], request, state.limits.max_rows, binary,
                               state.numpy_only[project])
    protocols.request_id(request)
    client_id = request.get("id")
    bundle, proba, request_id = _answer_rows(state, project, frame, split_key or client_id,
                                             client_id)
    content, binary_outputs = protocols.v2_response(project, proba, bundle, request)
    headers = {VERSION: bundle.version}
    if bundle.version:
        content["model_version"] = bundle.version
    if request_id:
        content["parameters"] = {"request_id": request_id}
        headers[REQUEST_ID] = request_id
    if not binary_outputs:
        return answer(content, headers)
    header = orjson.dumps(content)
    return Response(header + binary_outputs, media_type="application/octet-stream",
                    headers={binary_tensors.HEADER: str(len(header)), **headers})


def _v1_predict(state, project: str, body: bytes, split_key: str | None) -> Response:
    request = protocols.parse_json(body)
    frame = tf_serving.v1_frame(state.bundles[project], request, state.limits.max_rows,
                                state.numpy_only[project])
    bundle, proba, request_id = _answer_rows(state, project, frame, split_key, None)
    headers = {VERSION: bundle.version, **({REQUEST_ID: request_id} if request_id else {})}
    return answer(tf_serving.v1_response(proba, bundle), headers)


def _answer_rows(state, project: str, frame, key: str | None, client_id: str | None):
    """Predict ``frame`` with the version the request meets, keep what is kept of the answer
    (before it is sent): (the answering bundle, its outputs, the request id they are logged
    under or None). The rows join the drift window, are counted, and go to the project's
    monitor with a shadow challenger's outputs."""
    bundle, shadow = state.bundles[project], None
    challenger = state.challengers.get(project)
    if challenger is not None:
        bundle, shadow = challenger.answering(bundle, key)
    proba = _predict(state, bundle, frame)
    watch, monitor = state.watches.get(project), state.monitors.get(project)
    if watch is not None:
        watch.add(frame)
    state.metrics.rows.labels(project, bundle.version).inc(len(frame))
    if monitor is None:
        return bundle, proba, None
    shadowed = None if shadow is None else (shadow, _shadow_outputs(state, shadow, frame))
    return bundle, proba, monitor.answered(bundle, frame, proba, client_id, shadowed)


def _shadow_outputs(state, bundle, frame):
    """The shadow's outputs; its failure is logged and never the request's."""
    try:
        return state.predictors[id(bundle)].predict_proba(frame)
    except Exception:  # noqa: BLE001  (a shadow must not fail the answer it shadows)
        log.exception("%s: the shadow challenger (version %s) failed on a request",
                      bundle.project, bundle.version)
        return None


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


@predict_router.post("/v2/models/{project}/infer", tags=["v2"], openapi_extra=V2_BODY)
async def infer(request: Request) -> Response:
    project = request.path_params["project"]  # served as a plain Starlette route (create_app)
    bundle_of(request, project)
    body = await read_body(request)
    state = request.app.state
    args = (state, project, body, request.headers.get(binary_tensors.HEADER),
            request.headers.get(SPLIT_KEY))
    if predictors.inline(state, project, body):
        return _v2_infer(*args)
    return await run_in_threadpool(_v2_infer, *args)


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


@predict_router.post("/v1/models/{project}:predict", tags=["v1"], openapi_extra=V1_BODY)
async def predict(request: Request) -> Response:
    project = request.path_params["project"]  # served as a plain Starlette route (create_app)
    bundle_of(request, project)
    body = await read_body(request)
    state = request.app.state
    args = (state, project, body, request.headers.get(SPLIT_KEY))
    if predictors.inline(state, project, body):
        return _v1_predict(*args)
    return await run_in_threadpool(_v1_predict, *args)
