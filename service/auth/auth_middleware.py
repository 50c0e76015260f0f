"""Bearer-key checks for every route, decided by path in one place.

A route that is not listed as open needs a key, so a router added later (e.g. the chat
completions endpoint) is protected without having to remember to be. With no key
configured, nothing is checked (local use).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from service.auth.keys import KeyRing, Principal
from service.auth.keys import Scope as KeyScope
from service.errors import error_body
from service.paths import access_of


def required_scope(path: str, metrics_public: bool) -> KeyScope | None:
    """The scope a path needs, or None when it is open (the lists: ``service.paths``)."""
    access = access_of(path, metrics_public)
    return None if access == "open" else access


def bearer_key(header: str | None) -> str | None:
    if not header:
        return None
    kind, _, value = header.partition(" ")
    value = value.strip()
    return value if kind.lower() == "bearer" and value else None


class AuthMiddleware:
    """Pure ASGI (no per-request task): sets ``request.state.principal`` or answers 401/403."""

    def __init__(self, app: ASGIApp, keys: KeyRing, metrics_public: bool) -> None:
        self.app = app
        self.keys = keys
        self.metrics_public = metrics_public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys.enabled or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        needed = required_scope(scope["path"], self.metrics_public)
        if needed is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = bearer_key(request.headers.get("authorization"))
        principal: Principal | None = self.keys.authenticate(key) if key else None
        if principal is None:
            detail = (
                "invalid API key"
                if key
                else "an API key is required: send `Authorization: Bearer <key>`"
            )
            response = JSONResponse(
                error_body(request, "unauthorized", detail),
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="newsqa"'},
            )
            await response(scope, receive, send)
            return
        request.state.principal = principal
        if not principal.allows(needed):
            response = JSONResponse(
                error_body(
                    request,
                    "forbidden",
                    f"the key {principal.name!r} has the {principal.scope!r} scope; "
                    f"this endpoint needs {needed!r}",
                ),
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
