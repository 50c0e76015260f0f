"""The layers every request passes before a route: request log and metrics, auth, limits.

Order matters and lives here only. From the outside in (CORS and the request id are
installed by ``service.middleware`` around all of these):

1. request log + metrics: sees every final status, including 401 and 429;
2. auth: who is calling (``request.state.principal``), 401/403;
3. rate limits: per key, or per IP when auth is off.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.auth.auth_middleware import AuthMiddleware
from service.auth.keys import KeyRing
from service.observability.metrics import Metrics
from service.observability.request_log import RequestLogMiddleware
from service.ratelimit.rate_limit import RateLimiter, RateLimitMiddleware
from service.settings import Settings


def install_edge(app: FastAPI, settings: Settings, metrics: Metrics | None) -> None:
    """Add the middlewares; call before ``install_middleware`` so that these run inside it."""
    # Starlette wraps the last added outermost: add from the inside out.
    if settings.rate_limit.enabled:
        app.state.rate_limiter = RateLimiter(settings.rate_limit)
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    app.state.keys = KeyRing(settings.auth)
    app.add_middleware(
        AuthMiddleware, keys=app.state.keys, metrics_public=settings.observability.metrics_public
    )
    app.add_middleware(RequestLogMiddleware, metrics=metrics)
