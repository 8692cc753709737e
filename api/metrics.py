"""Prometheus metrics of one app: HTTP requests, batches, queue depth, inference time.

Why a registry per app rather than the global default: tests (and anyone
embedding the service) build several apps in one process, and the global
registry refuses a second metric with the same name.

Route labels are the route *templates* (``/v1/label``), never raw paths, so an
attacker probing random URLs cannot blow up the series count: anything that
matches no route is counted under ``unmatched``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512)


class ServiceMetrics:
    """The metrics of one app, in their own ``CollectorRegistry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "stancewire_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "stancewire_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "stancewire_batch_size",
            "Items per model call, by queue (label: articles, classify: quotes).",
            ["queue"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.inference = Histogram(
            "stancewire_inference_seconds",
            "Time of one model call (a whole batch), by queue.",
            ["queue"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "stancewire_queue_depth",
            "Items waiting for the model, by queue.",
            ["queue"],
            registry=r,
        )
        self.rejected = Counter(
            "stancewire_queue_rejected_items",
            "Items refused with 503 because the queue was full, by queue.",
            ["queue"],
            registry=r,
        )
        self.timeouts = Counter(
            "stancewire_timed_out_items",
            "Items abandoned because their request timed out (504), by queue.",
            ["queue"],
            registry=r,
        )
        self.model_info = Gauge(
            "stancewire_model_info", "The served model (value 1).", ["model"], registry=r
        )
        self.ready = Gauge("stancewire_ready", "1 when the model is loaded.", registry=r)

    def observer(self, queue: str) -> QueueObserver:
        """A :class:`~stancewire.api.batcher.BatchObserver` for one queue."""
        return QueueObserver(self, queue)


class QueueObserver:
    """Feeds one batcher's events into the app's metrics."""

    def __init__(self, metrics: ServiceMetrics, queue: str) -> None:
        self._size = metrics.batch_size.labels(queue)
        self._inference = metrics.inference.labels(queue)
        self._depth = metrics.queue_depth.labels(queue)
        self._rejected = metrics.rejected.labels(queue)
        self._timeouts = metrics.timeouts.labels(queue)
        self._depth.set(0)

    def batch_done(self, size: int, seconds: float) -> None:
        self._size.observe(size)
        self._inference.observe(seconds)

    def depth_changed(self, depth: int) -> None:
        self._depth.set(depth)

    def rejected(self, n_items: int) -> None:
        self._rejected.inc(n_items)

    def timed_out(self, n_items: int) -> None:
        self._timeouts.inc(n_items)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The template of the route a request matched (``/v1/label``), or ``unmatched``.

    The router records the matched route in the scope; a request answered
    before routing (a 413 from the body limit) is matched against ``routes``.
    """
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    partial = None
    for candidate in routes:
        match, _ = candidate.matches(scope)
        if match == Match.FULL:
            return str(getattr(candidate, "path", "unmatched"))
        if match == Match.PARTIAL and partial is None:  # right path, wrong method
            partial = str(getattr(candidate, "path", "unmatched"))
    return partial or "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request (outermost, so it sees 413s and 401s).

    Args:
        app: the wrapped ASGI app.
        metrics: the app's metrics.
        routes: the app's routes, whose templates label the requests.
    """

    def __init__(
        self, app: ASGIApp, *, metrics: ServiceMetrics, routes: Sequence[BaseRoute]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = list(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_template(self.routes, scope)
            labels = (scope["method"], route, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)
