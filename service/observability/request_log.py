"""One log line and the HTTP metrics per request, with what the answering stages reported.

The middleware opens a per-request record in a context variable; the ask service adds
to it (stage timings, mode, refusal, fallback) through :func:`note`, and the middleware
writes it out once the last byte of the response has been sent. The question text goes
into the record only when ``observability.log_questions`` is on.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.answering.base import Answer
from service.observability.metrics import Metrics
from service.paths import is_quiet

log = logging.getLogger("newsqa.request")

_record: ContextVar[dict[str, Any] | None] = ContextVar("newsqa_request_record", default=None)


def note(**fields: Any) -> None:
    """Add fields to the current request's log line (no-op outside a request)."""
    record = _record.get()
    if record is not None:
        record.update(fields)


def note_answer(answer: Answer) -> None:
    note(
        mode=answer.mode,
        refused=answer.refused,
        refusal_reason=answer.refusal_reason,
        fallback=answer.fallback,
        citations=len(answer.citations),
        stages_ms=dict(answer.timings_ms),
    )


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label values), else ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record: dict[str, Any] = {}
        token = _record.set(record)
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            _record.reset(token)
            self._finish(scope, status, time.perf_counter() - started, record)

    def _finish(self, scope: Scope, status: int, seconds: float, record: dict[str, Any]) -> None:
        route = route_template(scope)
        method = scope["method"]
        if self.metrics is not None:
            self.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=route, method=method).observe(seconds)
        state = scope.get("state") or {}
        principal = state.get("principal")
        client = scope.get("client")
        fields: dict[str, Any] = {
            "method": method,
            "path": scope["path"],  # no query string: it may carry anything
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "request_id": state.get("request_id"),
            "client": client[0] if client else None,
            "key": getattr(principal, "name", None),
        }
        fields.update({k: v for k, v in record.items() if v is not None})
        quiet = is_quiet(scope["path"]) and status < 400
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %d %.1fms",
            method,
            scope["path"],
            status,
            seconds * 1000,
            extra=fields,
        )
