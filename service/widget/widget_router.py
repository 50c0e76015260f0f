"""Serve the chat widget script and a demo "intranet" page that embeds it.

The files live in ``widget/`` at the project root and are read once per process: they
are part of the release, not data. ``/widget.js`` is cached by browsers for a short
time (``WIDGET_MAX_AGE_S``) and revalidated with an ETag, so a redeploy reaches every
embedding page within minutes without making each page view download the script again.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from service.settings import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "widget"
WIDGET_MAX_AGE_S = 300

widget_router = APIRouter(tags=["widget"])


@lru_cache(maxsize=4)
def _asset(path: Path) -> tuple[bytes, str]:
    """The file's bytes and a strong ETag derived from them."""
    body = path.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@widget_router.head("/widget.js", include_in_schema=False)  # HEAD: same handler, no 2nd op id
@widget_router.get(
    "/widget.js",
    summary="The embeddable chat widget (one script tag; see docs/widget.md)",
    response_class=Response,
    responses={200: {"content": {"application/javascript": {}}}},
)
def widget_js(request: Request) -> Response:
    body, etag = _asset(WIDGET_DIR / "widget.js")
    headers = {
        "Cache-Control": f"public, max-age={WIDGET_MAX_AGE_S}, must-revalidate",
        "ETag": etag,
        # Embedding pages load this cross-origin; let them use it as a plain script.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


@widget_router.get(
    "/demo",
    summary="A sample intranet page that embeds the widget as a customer would",
    response_class=HTMLResponse,
)
def demo_page() -> HTMLResponse:
    body, _ = _asset(WIDGET_DIR / "demo.html")
    return HTMLResponse(body, headers={"Cache-Control": "no-cache"})
