"""One JSON shape for every error: ``{"error": code, "detail": words, "request_id": id}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Scope, Send

from service.index.errors import IndexUnavailable

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "index_unavailable",
}


# What a client is told when Chroma does not answer: what is down, never where (its address
# and the driver's message go to the log only).
UNAVAILABLE_DETAIL = "the index (Chroma) does not answer; retry in a few seconds"


class ApiError(Exception):
    """An error a client caused or must know about, with a status and plain words."""

    def __init__(self, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or _CODES.get(status, "error")


def error_body(request: Request, code: str, detail: str) -> dict[str, str | None]:
    return {
        "error": code,
        "detail": detail,
        "request_id": getattr(request.state, "request_id", None),
    }


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer from a pure ASGI middleware, in the same JSON shape as every other error."""

    async def no_body() -> Message:  # the response never reads the request
        return {"type": "http.disconnect"}

    response = JSONResponse(
        error_body(Request(scope), code, detail), status_code=status, headers=headers
    )
    await response(scope, no_body, send)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, for a 405's ``Allow`` header.

    Starlette names only the first route that matched the path, but a path may be served
    by several routes (``GET`` and ``DELETE /documents/{source}``)."""
    methods: set[str] = set()
    for route in request.app.routes:
        # FastAPI 0.16x wraps included routers; their routes are its "effective candidates".
        candidates = (
            route.effective_candidates() if hasattr(route, "effective_candidates") else [route]
        )
        for candidate in candidates:
            regex = getattr(candidate, "path_regex", None)
            if regex is not None and regex.match(request.url.path):
                methods |= set(getattr(candidate, "methods", None) or ())
    return ", ".join(sorted(methods))


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(request, exc.code, exc.detail), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_field(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            error_body(request, "invalid_request", "; ".join(problems)), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return JSONResponse(
            error_body(request, code, str(exc.detail)),
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(IndexUnavailable)
    async def unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        # Reconnect on the next request: a restarted Chroma server may have new collections.
        container = getattr(request.app.state, "container", None)
        if container is not None:
            container.reset()
        log.warning("index unavailable: %s", exc)
        return JSONResponse(
            error_body(request, "index_unavailable", UNAVAILABLE_DETAIL),
            status_code=503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            error_body(request, "internal_error", "an unexpected error occurred"),
            status_code=500,
        )
