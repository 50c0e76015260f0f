"""Document writes are refused while no admin key exists, unless the service is local.

With no key configured, auth is off (``service.auth``): convenient on a laptop, but a
service reachable from a network would let anyone delete or rewrite the articles it cites.
So adding, replacing and deleting documents without an admin key is allowed only when
``server.host`` is a loopback address (only this machine can connect) and
``auth.allow_local_writes_without_key`` is on (the default). Everything else (asking,
reading sources) keeps working without keys.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from service.auth.keys import KeyRing
from service.errors import send_error
from service.paths import is_admin_write


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def keyless_writes_allowed(host: str, allow_local: bool) -> bool:
    return allow_local and is_loopback(host)


class WriteGuardMiddleware:
    def __init__(self, app: ASGIApp, keys: KeyRing, host: str, allow_local: bool) -> None:
        self.app = app
        self.keys = keys
        self.host = host
        self.keyless_ok = keyless_writes_allowed(host, allow_local)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not self.keys.enabled  # with keys, the auth middleware demands an admin key
            and not self.keyless_ok
            and is_admin_write(scope["path"], scope["method"])
        ):
            await send_error(
                scope,
                send,
                403,
                "forbidden",
                f"document writes need an admin key while the service listens on "
                f"{self.host}: configure one (NEWSQA_AUTH__ADMIN_KEYS or a keys file)",
            )
            return
        await self.app(scope, receive, send)
