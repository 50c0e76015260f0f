"""State-changing requests from another site's pages are refused, with or without auth.

A page on any site the user visits can make the browser send a form POST (or a
``fetch`` with a "simple" content type) to this service; CORS only hides the answer, the
request still runs. Browsers say where a request comes from (``Origin``, and
``Sec-Fetch-Site`` in every current browser), so a POST/PUT/PATCH/DELETE is let through
only when it comes:

- from no browser page at all (curl, the CLI, servers: no ``Origin``, no ``Sec-Fetch-Site``
  or ``Sec-Fetch-Site: none``);
- from this service's own origin;
- for the question endpoints, from an origin listed in ``server.cors_origins`` (the pages
  that embed the widget). Document writes never accept another origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import send_error
from service.paths import UNSAFE_METHODS, is_admin_path


class CrossSiteMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = {o.rstrip("/").lower() for o in allowed_origins}

    def refusal(self, scope: Scope) -> str | None:
        """Why the request is refused, or None."""
        headers = Headers(scope=scope)
        origin = headers.get("origin", "").rstrip("/").lower()
        fetch_site = headers.get("sec-fetch-site", "").lower()
        if not origin or origin == "null":
            # No origin: a browser still says cross-site in Sec-Fetch-Site. "null" is what
            # sandboxed frames and some redirects send: never the service's own page.
            if origin == "null" or fetch_site in ("cross-site", "same-site"):
                return f"cross-site request refused (Sec-Fetch-Site: {fetch_site or 'null'})"
            return None
        if urlsplit(origin).netloc == headers.get("host", "").lower():
            return None
        if origin in self.allowed and not is_admin_path(scope["path"]):
            return None
        return f"cross-site request from {origin} refused"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            reason = self.refusal(scope)
            if reason is not None:
                await send_error(scope, send, 403, "cross_site", reason)
                return
        await self.app(scope, receive, send)
