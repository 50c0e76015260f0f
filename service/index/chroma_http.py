"""A Chroma ``HttpClient`` that gives up after ``chroma.timeout_s`` instead of hanging.

chromadb 1.5's HTTP client builds its ``httpx.Client`` with ``timeout=None`` and offers no
setting to change it, so a Chroma server that stops answering (paused, overloaded, a
network partition) would hold every request of this service forever. Two measures keep
a request's wait bounded:

- before the client is built (its constructor makes requests of its own), the server's
  heartbeat is checked with the timeout, so a dead server is reported at once;
- once built, the client's session gets the timeout for every later call.

Reads (get, query, heartbeat) wait ``chroma.timeout_s``, short, so that a request caught
by a hang gives up quickly; writes (add, upsert, update, delete) wait
``chroma.write_timeout_s``: a large upsert on a busy server legitimately takes seconds, and
giving up on it half-way only makes the writer retry it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from service.index.errors import IndexUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.config import Settings as ChromaClientSettings

    from service.settings import ChromaSettings

HEARTBEAT_PATH = "/api/v2/heartbeat"


def server_url(chroma: ChromaSettings) -> str:
    scheme = "https" if chroma.ssl else "http"
    return f"{scheme}://{chroma.host}:{chroma.port}"


def timeout_of(chroma: ChromaSettings) -> httpx.Timeout:
    """Connecting must be quick; a read may take the whole budget."""
    return httpx.Timeout(chroma.timeout_s, connect=min(chroma.timeout_s, 1.0))


WRITE_OPERATIONS = ("/add", "/upsert", "/update", "/delete")


def _patient_writes(chroma: ChromaSettings) -> Callable[[httpx.Request], None]:
    """An httpx request hook: writes get the write timeout (the transport reads the
    timeout from the request's extensions, after the hooks have run)."""
    write_timeout = httpx.Timeout(chroma.write_timeout_s, connect=min(chroma.timeout_s, 1.0))

    def hook(request: httpx.Request) -> None:
        if request.method in {"POST", "PUT", "DELETE"} and request.url.path.endswith(
            WRITE_OPERATIONS
        ):
            request.extensions["timeout"] = write_timeout.as_dict()

    return hook


def check_heartbeat(chroma: ChromaSettings) -> None:
    """Raise :class:`IndexUnavailable` unless the server answers its heartbeat in time."""
    url = server_url(chroma) + HEARTBEAT_PATH
    try:
        response = httpx.get(url, timeout=timeout_of(chroma))
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise IndexUnavailable(
            f"Chroma server at {server_url(chroma)} does not answer: {exc}"
        ) from exc


def _session_of(client: Any) -> httpx.Client | None:
    """The httpx session inside a chromadb ``Client`` (private in chromadb 1.5)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    return session if isinstance(session, httpx.Client) else None


def make_http_client(chroma: ChromaSettings, client_settings: ChromaClientSettings) -> ClientAPI:
    import chromadb

    check_heartbeat(chroma)
    try:
        client = chromadb.HttpClient(
            host=chroma.host, port=chroma.port, ssl=chroma.ssl, settings=client_settings
        )
    except Exception as exc:  # the constructor talks to the server
        raise IndexUnavailable(f"Chroma server not reachable: {exc}") from exc
    session = _session_of(client)
    if session is None:  # a chromadb upgrade moved it: fail loudly rather than hang later
        raise RuntimeError("cannot set a timeout on chromadb's HTTP client; check its version")
    session.timeout = timeout_of(chroma)
    session.event_hooks["request"].append(_patient_writes(chroma))
    return client
