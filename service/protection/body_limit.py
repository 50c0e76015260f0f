"""Request bodies are bounded in size and in time while they stream, on every endpoint.

A ``Content-Length`` over the limit is refused before anything is read. A body without one
(``Transfer-Encoding: chunked``) or one that lies is counted as it arrives and cut off at
the limit, so nothing ever buffers more than the limit (plus one chunk). A body that
trickles in (a slow client, or one holding connections open on purpose) must be complete
within ``server.body_timeout_s`` of its first read, or the request ends with 408.

Hand-written as pure ASGI: Starlette's ``BaseHTTPMiddleware`` cannot stop a body that is
already streaming, and FastAPI turns an exception raised while it reads a body into a 400;
answering here and handing the app a disconnect works whatever the route does.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import send_error
from service.paths import body_limit

_CLOSE = {"Connection": "close"}  # the rest of the body is not read: end the connection


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, api_limit: int, documents_limit: int, body_timeout_s: float
    ) -> None:
        self.app = app
        self.api_limit = api_limit
        self.documents_limit = documents_limit
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.api_limit, self.documents_limit)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await send_error(
                scope,
                send,
                413,
                "payload_too_large",
                f"request body is {length} bytes; the limit is {limit} bytes",
                _CLOSE,
            )
            return
        guard = _Guard(scope, receive, send, limit, self.body_timeout_s)
        try:
            await self.app(scope, guard.guarded_receive, guard.guarded_send)
        except Exception:
            if not guard.refused:
                raise
            # The app saw the body end early (a disconnect) and gave up: already answered.


class _Guard:
    """The receive/send pair one request's app sees."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, limit: int, timeout_s: float
    ) -> None:
        self.scope, self.receive, self.send = scope, receive, send
        self.limit, self.timeout_s = limit, timeout_s
        self.received = 0
        self.deadline: float | None = None
        self.body_done = False
        self.started = False  # the app began its response
        self.refused = False  # we answered; the app's own reply is dropped

    async def guarded_receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        if self.body_done:  # e.g. a streaming response waiting for the client to leave
            return await self.receive()
        loop = asyncio.get_running_loop()
        if self.deadline is None:
            self.deadline = loop.time() + self.timeout_s
        try:
            message = await asyncio.wait_for(self.receive(), max(self.deadline - loop.time(), 0))
        except TimeoutError:
            await self.refuse(
                408,
                "request_timeout",
                f"the request body did not arrive within {self.timeout_s:g} s",
            )
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.body_done = not message.get("more_body", False)
            if self.received > self.limit:
                await self.refuse(
                    413,
                    "payload_too_large",
                    f"request body exceeds the limit of {self.limit} bytes",
                )
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)

    async def refuse(self, status: int, code: str, detail: str) -> None:
        if not self.started:
            await send_error(self.scope, self.send, status, code, detail, _CLOSE)
        self.refused = True
