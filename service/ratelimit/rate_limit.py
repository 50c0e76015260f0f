"""Rate limits on the endpoints that answer questions (the expensive ones).

Counted per API key when auth is on (a key's name, never the key), else per client IP.
Counters live in a ``limits`` storage: in memory per process by default, or shared by
several API replicas through e.g. Redis (``rate_limit.storage_uri``). Moving windows: a
client cannot double its rate at a window boundary.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import error_body
from service.paths import is_rate_limited
from service.settings import RateLimitSettings


class RateLimiter:
    def __init__(self, settings: RateLimitSettings) -> None:
        self.items: list[RateLimitItem] = parse_many(settings.ask)
        self.storage = storage_from_string(settings.storage_uri.get_secret_value())
        self.strategy = MovingWindowRateLimiter(self.storage)

    def check(self, identity: str) -> tuple[bool, int]:
        """(allowed, seconds until a retry may succeed). Every limit is counted."""
        retry_after = 0
        allowed = True
        for item in self.items:
            if not self.strategy.hit(item, "ask", identity):
                allowed = False
                reset_at = self.strategy.get_window_stats(item, "ask", identity).reset_time
                retry_after = max(retry_after, math.ceil(reset_at - time.time()), 1)
        return allowed, retry_after


def identity_of(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return f"key:{principal.name}"
    client = request.client
    return f"ip:{client.host if client else 'unknown'}"


class RateLimitMiddleware:
    """Pure ASGI; must run inside the auth middleware so that the key is known."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_rate_limited(scope["path"], scope["method"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        allowed, retry_after = self.limiter.check(identity_of(request))
        if allowed:
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            error_body(
                request,
                "rate_limited",
                f"too many requests; retry in {retry_after} s (limits: "
                + ", ".join(str(i) for i in self.limiter.items)
                + ")",
            ),
            status_code=429,
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
