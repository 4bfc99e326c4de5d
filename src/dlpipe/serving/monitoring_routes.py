"""After the answer: ``POST /v2/models/<p>/feedback`` takes true labels (values) of logged
rows by request id, and ``GET /metrics`` gives the server's figures to Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dlpipe.monitoring.feedback import FeedbackError
from dlpipe.serving import protocols
from dlpipe.serving.answers import answer
from dlpipe.serving.openapi_bodies import FEEDBACK_BODY
from dlpipe.serving.request_parts import bundle_of, read_body
from dlpipe.serving.tensor_values import RequestError

router = APIRouter()


def _feedback(state, project: str, body: bytes) -> dict:
    request = protocols.parse_json(body)
    monitor = state.monitors.get(project)
    if monitor is None:
        raise RequestError(503, f"{project}: the server keeps no prediction log for it")
    if not isinstance(request, dict) or "feedback" not in request:
        raise RequestError(422, "feedback: missing (expected {\"feedback\": [{\"id\": ..., "
                                "\"row\": 0, \"label\": ...}, ...]})")
    try:
        taken = monitor.feedback(request["feedback"])
    except FeedbackError as refused:
        raise RequestError(refused.status, str(refused)) from None
    state.metrics.feedback.labels(project, monitor.bundle.version).inc(taken)
    return {"model_name": project, "recorded": taken}


@router.post("/v2/models/{project}/feedback", tags=["monitoring"], openapi_extra=FEEDBACK_BODY)
async def feedback(request: Request, project: str) -> Response:
    """Record the true label (a numeric target: value) of logged rows, by the request id an
    answer carried (``X-Request-Id``; V2: ``parameters.request_id``) and the row's place in
    that request. The whole batch is refused if any item is: 422 malformed, 404 an unknown
    request or row, 409 a row labelled before."""
    bundle_of(request, project)
    body = await read_body(request)
    return answer(await run_in_threadpool(_feedback, request.app.state, project, body))


@router.get("/metrics", tags=["monitoring"])
async def metrics(request: Request) -> Response:
    """The server's figures in the Prometheus text format (computed live figures included)."""
    text = await run_in_threadpool(generate_latest, request.app.state.metrics.registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
