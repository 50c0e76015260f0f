"""Cross-cutting HTTP concerns: request ids, body size limit, CORS."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from service.errors import error_body
from service.settings import Settings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# Question endpoints whose JSON bodies max_body_bytes limits (/documents has its own limit).
_LIMITED_PATHS = ("/ask", "/v1/")


def install_middleware(app: FastAPI, settings: Settings) -> None:
    limit = settings.server.max_body_bytes

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # A caller's id is kept (to follow a request across services) when it is a plain
        # token; anything else is replaced, so logs and headers carry no injected text.
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        length = request.headers.get("content-length")
        too_big = length is not None and length.isdigit() and int(length) > limit
        if request.url.path.startswith(_LIMITED_PATHS) and too_big:
            response: Response = JSONResponse(
                error_body(
                    request,
                    "payload_too_large",
                    f"request body is {length} bytes; the limit is {limit}",
                ),
                status_code=413,
            )
        else:
            response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
