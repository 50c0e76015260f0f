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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from service.settings import Settings


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    latency_ms: float  # wall clock around the request, as a client sees it


class ServiceClient:
    """The calls the eval makes, over an ``httpx.Client`` or a Starlette ``TestClient``
    (typed ``Any``: the two share ``get``/``post`` but no declared type)."""

    def __init__(self, http: Any, where: str) -> None:
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


def eval_settings(data_dir: Path | None) -> Any:
    from service.settings import Settings

    settings = Settings()
    if data_dir is not None:
        settings.data.dir = data_dir
        settings.chroma.path = None
    return settings


class InProcess(AbstractContextManager["InProcess"]):
    """The app built from settings, with its lifespan running, behind a TestClient.

    The app does not index on start-up (``make run`` runs the ingester first), so the
    default corpus is indexed here into ``settings``' data folder before the app starts,
    the way ``python -m ingest`` does it (unchanged files are skipped). The app's own
    embedder is reused, so the model is loaded once.
    """

    def __init__(self, settings: Settings) -> None:
        from fastapi.testclient import TestClient

        from service.app import create_app

        self.settings = settings
        self.app = create_app(settings)
        self.embedder = self.app.state.container.embedder
        self._test_client = TestClient(self.app, raise_server_exceptions=False)
        self.client = ServiceClient(self._test_client, "in-process")
        self.index_summary = ""

    def index_corpus(self) -> str:
        from ingest.loaders import find_documents
        from ingest.pipeline import Ingester
        from service.index.store import IndexStore, make_client

        s = self.settings
        store = IndexStore(make_client(s), s.chroma.collection, self.embedder.name)
        files = find_documents([s.data.corpus_dir], s.ingest.suffixes)
        tagger = self.app.state.container.ingest_tagger
        summary = Ingester(store, self.embedder, s.ingest, tagger).ingest_paths(files)
        if summary.count("failed"):
            raise RuntimeError(f"indexing the corpus failed: {summary.line()}")
        return summary.line()

    def __enter__(self) -> InProcess:
        self.index_summary = self.index_corpus()
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
