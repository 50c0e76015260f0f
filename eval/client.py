"""Talk to the service the same way whether it runs in this process or behind a URL.

In-process, the app is built with ``create_app(settings)`` and called through
``fastapi.testclient.TestClient`` (its lifespan runs, so the index is built or loaded as
in production); over HTTP, an ``httpx.Client`` calls ``--url``. Either way the eval only
uses the public HTTP contract of ``docs/API.md``.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import httpx

if TYPE_CHECKING:
    from service.settings import Settings


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    latency_ms: float  # wall clock around the request, as a client sees it


class HTTPLike(Protocol):
    def get(self, url: str, **kwargs: Any) -> httpx.Response: ...
    def post(self, url: str, **kwargs: Any) -> httpx.Response: ...


class ServiceClient:
    """The calls the eval makes, over anything with httpx's ``get``/``post``."""

    def __init__(self, http: HTTPLike, where: str) -> None:
        self.http = http
        self.where = where  # "in-process" or the base URL, for the report
        self._sentence = lru_cache(maxsize=4096)(self._fetch_sentence)

    def ask(self, payload: dict[str, Any]) -> Reply:
        started = time.perf_counter()
        resp = self.http.post("/ask", json=payload)
        latency = (time.perf_counter() - started) * 1000
        try:
            body = resp.json()
        except ValueError:
            body = {"error": "not_json", "detail": resp.text[:500]}
        return Reply(resp.status_code, body if isinstance(body, dict) else {}, latency)

    def get_json(self, path: str) -> Any:
        resp = self.http.get(path)
        resp.raise_for_status()
        return resp.json()

    def _fetch_sentence(self, source: str, number: int) -> str | None:
        resp = self.http.get(f"/sources/{source}/sentences/{number}")
        if resp.status_code != 200:
            return None
        text = resp.json().get("text")
        return text if isinstance(text, str) else None

    def sentence(self, source: str, number: int) -> str | None:
        """The stored text of a sentence, or None when the service has no such sentence."""
        return self._sentence(source, number)


class InProcess(AbstractContextManager["InProcess"]):
    """The app built from settings, with its lifespan running, behind a TestClient."""

    def __init__(self, settings: Settings) -> None:
        from fastapi.testclient import TestClient

        from service.app import create_app

        self.settings = settings
        self._test_client = TestClient(create_app(settings), raise_server_exceptions=False)
        self.client = ServiceClient(self._test_client, "in-process")

    def __enter__(self) -> InProcess:
        self._test_client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._test_client.__exit__(*exc)


class OverHTTP(AbstractContextManager["OverHTTP"]):
    """A running service at ``url``."""

    def __init__(self, url: str, timeout_s: float = 120.0, headers: dict[str, str] | None = None):
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s, headers=headers)
        self.client = ServiceClient(self._http, url)

    def __enter__(self) -> OverHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()
