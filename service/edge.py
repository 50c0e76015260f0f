"""The layers every request passes before a route: log, bounds, auth, guards, limits.

Order matters and lives here only. From the outside in (CORS and the request id are
installed by ``service.middleware`` around all of these):

1. request log + metrics: sees every final status, including 401, 413 and 429;
2. concurrency limit: 503 at once when the process is full (probes pass);
3. cross-site check: a browser page of another site cannot change state (403);
4. auth: who is calling (``request.state.principal``), 401/403;
5. write guard: no document writes without an admin key unless listening on loopback;
6. rate limits: per key, or per IP when auth is off;
7. body limit: size and time, while the body streams (413/408).

Which path gets which treatment: ``service.paths``.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.auth.auth_middleware import AuthMiddleware
from service.auth.keys import KeyRing
from service.observability.metrics import Metrics
from service.observability.request_log import RequestLogMiddleware
from service.protection.body_limit import BodyLimitMiddleware
from service.protection.concurrency import ConcurrencyLimitMiddleware
from service.protection.cross_site import CrossSiteMiddleware
from service.protection.write_guard import WriteGuardMiddleware
from service.ratelimit.rate_limit import RateLimiter, RateLimitMiddleware
from service.settings import Settings


def install_edge(app: FastAPI, settings: Settings, metrics: Metrics | None) -> None:
    """Add the middlewares; call before ``install_middleware`` so that these run inside it."""
    server = settings.server
    # Starlette wraps the last added outermost: add from the inside out.
    app.add_middleware(
        BodyLimitMiddleware,
        api_limit=server.max_body_bytes,
        documents_limit=settings.documents.max_request_bytes,
        body_timeout_s=server.body_timeout_s,
    )
    if settings.rate_limit.enabled:
        app.state.rate_limiter = RateLimiter(settings.rate_limit)
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    app.state.keys = KeyRing(settings.auth)
    app.add_middleware(
        WriteGuardMiddleware,
        keys=app.state.keys,
        host=server.host,
        allow_local=settings.auth.allow_local_writes_without_key,
    )
    app.add_middleware(
        AuthMiddleware, keys=app.state.keys, metrics_public=settings.observability.metrics_public
    )
    app.add_middleware(CrossSiteMiddleware, allowed_origins=server.cors_origins)
    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=server.max_concurrent_requests)
    app.add_middleware(RequestLogMiddleware, metrics=metrics)
