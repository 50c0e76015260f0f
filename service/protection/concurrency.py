"""A bounded number of requests in progress per process; beyond it, 503 at once.

Queueing more work than a process can finish only makes every request slow (and holds a
socket and memory per waiter); refusing early with ``Retry-After`` lets a load balancer or
a client go elsewhere or come back. Probes (``service.paths.PROBE_PATHS``) are not counted.
A counter, not a semaphore: nobody waits for a slot.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import send_error
from service.paths import counts_toward_concurrency


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_requests: int, retry_after_s: int = 1) -> None:
        self.app = app
        self.max_requests = max_requests
        self.retry_after_s = retry_after_s
        self.in_progress = 0  # one event loop per process: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not counts_toward_concurrency(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.max_requests:
            await send_error(
                scope,
                send,
                503,
                "overloaded",
                f"the service is busy ({self.max_requests} requests in progress); retry "
                f"in {self.retry_after_s} s",
                {"Retry-After": str(self.retry_after_s)},
            )
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
