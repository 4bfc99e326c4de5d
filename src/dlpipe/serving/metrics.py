"""``GET /metrics`` in the Prometheus text format: requests by model, version, protocol and
status, their latency, rows answered and feedback rows taken (counted as they happen), and at
each scrape the live figures (accuracy or RMSE over the latest labelled rows, the accuracy
estimated from confidence) and the drift p-values of the latest rows served.

Each app has its own registry, so several apps in one process (the tests) count apart. The
counting is an ASGI middleware around the predict routes; it sees every answer, the 4xx ones
included.
"""

from __future__ import annotations

import re
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

# the routes that answer with predictions: (protocol, project)
PREDICT_ROUTES = (("v2", re.compile(r"^/v2/models/([^/]+)/infer$")),
                  ("v1", re.compile(r"^/v1/models/([^/:]+):predict$")))
VERSION_HEADER = b"x-model-version"  # as ASGI gives header names: lower case bytes
UNKNOWN = "(unknown)"  # a project not served: one label value, however many names are tried
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)


class ServerMetrics:
    """The app's registry and its counters; ``live`` and ``watches`` (project -> figures,
    project -> drift watch) are read at each scrape."""

    def __init__(self, bundles: dict, live: dict, watches: dict):
        self.bundles = bundles
        self.registry = CollectorRegistry()
        self.requests = Counter("dlpipe_requests", "Predict requests answered", [
            "model", "version", "protocol", "status"], registry=self.registry)
        self.latency = Histogram("dlpipe_request_duration_seconds", "Time to answer a predict "
                                 "request, body read included", ["model", "version"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.rows = Counter("dlpipe_rows", "Rows answered", ["model", "version"],
                            registry=self.registry)
        self.feedback = Counter("dlpipe_feedback_rows", "Feedback rows taken", [
            "model", "version"], registry=self.registry)
        self.registry.register(LiveCollector(bundles, live, watches))

    def version(self, project: str) -> str:
        bundle = self.bundles.get(project)
        return "" if bundle is None else bundle.version

    def answered(self, protocol: str, project: str, status: int, seconds: float,
                 version: str | None) -> None:
        """Count one answer; ``version`` is the answering bundle's (a challenger's, in a
        split), None for a refusal, which is counted under the served bundle's."""
        known = project in self.bundles
        model, version = (project, version or self.version(project)) if known else (UNKNOWN, "")
        self.requests.labels(model, version, protocol, str(status)).inc()
        if known:
            self.latency.labels(model, version).observe(seconds)


class LiveCollector:
    """The figures computed when Prometheus scrapes: live accuracy or RMSE, the labelled rows
    behind them, the estimated accuracy and the drift p-values."""

    def __init__(self, bundles: dict, live: dict, watches: dict):
        self.bundles, self.live, self.watches = bundles, live, watches

    def describe(self):
        return []  # computed at scrape time: nothing to register up front

    def collect(self):
        gauges = {name: GaugeMetricFamily(f"dlpipe_{name}", help_text, labels=[
            "model", "version"]) for name, help_text in (
            ("labelled_rows", "Labelled rows in the live window"),
            ("accuracy", "Accuracy over the latest labelled rows"),
            ("rmse", "RMSE over the latest labelled rows (a numeric target)"),
            ("estimated_accuracy", "Accuracy estimated from confidence over the latest rows "
                                   "served, labelled or not"),
            ("estimated_accuracy_se", "Standard error of the estimated accuracy"))}
        for project, figures in self.live.items():
            for version, values in figures.figures().items():
                for name, value in values.items():
                    gauges[name].add_metric([project, version], value)
        yield from gauges.values()
        drift = GaugeMetricFamily("dlpipe_drift_p_value", "p-value of each drift test of the "
                                  "latest rows served against the reference", labels=[
                                      "model", "version", "column"])
        for project, watch in self.watches.items():
            if watch.reference is None or project not in self.bundles:
                continue
            report = watch.report()
            for row in report.get("results", []):
                drift.add_metric([project, self.bundles[project].version, str(row["column"])],
                                 float(row["p_value"]))
        yield drift


class CountingMiddleware:
    """Counts and times every answer of a predict route (an ASGI middleware: no per-request
    Python objects beyond the timing)."""

    def __init__(self, app, metrics: ServerMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        route = _predict_route(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        started, status, version = time.perf_counter(), 500, None

        async def sending(message):
            nonlocal status, version
            if message["type"] == "http.response.start":
                status = message["status"]
                version = next((value.decode() for name, value in message.get("headers", ())
                                if name == VERSION_HEADER), None)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.answered(*route, status, time.perf_counter() - started, version)


def _predict_route(path: str) -> tuple[str, str] | None:
    for protocol, pattern in PREDICT_ROUTES:
        matched = pattern.match(path)
        if matched:
            return protocol, matched.group(1)
    return None
