"""The document API: the CLI's idempotent ingestion over HTTP, with limits and clean errors.

The lifecycle tests run twice: on embedded Chroma, and on a real `chroma run` server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.components.embeddings import Embedder
from service.index.errors import IndexUnavailable
from service.settings import Settings

from .support import (
    FERRY_QUESTION,
    FERRY_SOURCE,
    FERRY_TEXT,
    ChromaServer,
    base_settings,
    http_settings,
    make_app,
)

BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("http", id="chroma-server", marks=[pytest.mark.chroma_server, pytest.mark.slow]),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "http":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        return http_settings(tmp_path, server)
    return base_settings(tmp_path)


@pytest.fixture()
def client(backend: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(make_app(backend, embedder)) as c:
        yield c


@pytest.fixture()
def small(tmp_path: Path, embedder: Embedder) -> Iterator[TestClient]:
    """Embedded, with small limits, for the refusal tests."""
    settings = base_settings(
        tmp_path,
        ingest={"max_document_bytes": 2048},
        documents={"max_request_bytes": 4096, "max_documents": 2},
    )
    with TestClient(make_app(settings, embedder)) as c:
        yield c


def cited_sources(answer: dict[str, Any]) -> set[str]:
    return {c["source"] for c in answer["citations"]}


def test_add_unchanged_replace_list_get_delete(client: TestClient) -> None:
    documents = client.app.state.documents_service  # type: ignore[attr-defined]
    documents.sweep.interval_s = 0.0  # sweep unused vectors at once, not 30 s apart
    r = client.post("/documents", json={"source": FERRY_SOURCE, "text": FERRY_TEXT})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "added" and r.json()["sentences"] == 3
    assert r.headers["location"] == f"/documents/{FERRY_SOURCE}"

    # This process answers from the new document at once (no refresh interval to wait for).
    answer = client.post("/ask", json={"question": FERRY_QUESTION}).json()
    assert not answer["refused"] and FERRY_SOURCE in cited_sources(answer), answer

    again = client.post("/documents", json={"source": FERRY_SOURCE, "text": FERRY_TEXT})
    assert again.status_code == 200 and again.json()["status"] == "unchanged"

    changed = FERRY_TEXT.replace("March 14", "April 2")
    replaced = client.post("/documents", json={"source": FERRY_SOURCE, "text": changed})
    assert replaced.status_code == 200 and replaced.json()["status"] == "replaced"
    texts = [s["text"] for s in client.get(f"/sources/{FERRY_SOURCE}").json()["sentences"]]
    assert any("April 2" in t for t in texts) and not any("March 14" in t for t in texts)

    listing = client.get("/documents").json()
    assert listing["count"] == 1 and listing["documents"][0]["source"] == FERRY_SOURCE
    one = client.get(f"/documents/{FERRY_SOURCE}").json()
    assert one["sentences"] == 3 and one["title"]

    gone = client.delete(f"/documents/{FERRY_SOURCE}")
    assert gone.status_code == 200 and gone.json()["status"] == "removed"
    assert client.get(f"/documents/{FERRY_SOURCE}").status_code == 404
    assert client.delete(f"/documents/{FERRY_SOURCE}").status_code == 404
    after = client.post("/ask", json={"question": FERRY_QUESTION}).json()
    assert FERRY_SOURCE not in cited_sources(after)

    # The vectors no document uses any more (the replaced first sentence, then all three)
    # are removed in the background.
    store = documents.container.state().store
    deadline = time.monotonic() + 30
    while store.vectors.count() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store.vectors.count() == 0 and documents.sweep.removed == 4


def test_multipart_upload_uses_the_file_name_or_a_source_field(client: TestClient) -> None:
    files = {"file": (FERRY_SOURCE, FERRY_TEXT.encode(), "text/plain")}
    r = client.post("/documents", files=files)
    assert r.status_code == 201 and r.json()["source"] == FERRY_SOURCE
    html = "<html><body><nav>Menu</nav><p>" + FERRY_TEXT + "</p></body></html>"
    r = client.post(
        "/documents",
        files={"file": ("upload.bin", html.encode(), "text/html")},
        data={"source": "006_ferry.html"},
    )
    assert r.status_code == 201 and r.json()["source"] == "006_ferry.html"
    assert client.get("/documents").json()["count"] == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"source": "../etc/passwd.txt", "text": "x."}, 400, "invalid_source"),
        ({"source": "a/b.txt", "text": "x."}, 400, "invalid_source"),
        ({"source": "a\\b.txt", "text": "x."}, 400, "invalid_source"),
        ({"source": "..hidden.txt", "text": "x."}, 400, "invalid_source"),
        ({"source": ".txt", "text": "x."}, 400, "invalid_source"),
        ({"source": "report.pdf", "text": "x."}, 415, "unsupported_media_type"),
        ({"source": "noext", "text": "x."}, 415, "unsupported_media_type"),
        ({"source": "ok.txt"}, 422, "invalid_request"),
        ({"source": "ok.txt", "text": "x.", "extra": 1}, 422, "invalid_request"),
        ({"source": "ok.txt", "text": "   \n\n  "}, 422, "invalid_document"),
        ({"source": "ok.txt", "text": "bin\x00ary"}, 422, "invalid_document"),
    ],
)
def test_bad_documents_are_4xx_json(
    small: TestClient, body: dict[str, str], status: int, code: str
) -> None:
    r = small.post("/documents", json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"] == code and r.json()["request_id"]
    assert small.get("/documents").json()["count"] == 0


def test_bad_requests_are_4xx_json_never_500(small: TestClient) -> None:
    cases = [
        small.post("/documents", content=b"not json", headers={"content-type": "application/json"}),
        small.post("/documents", content=b"source=x", headers={"content-type": "text/plain"}),
        small.post("/documents", files={"file": ("a.png", b"\x89PNG", "image/png")}),
        small.post("/documents", files={"file": ("a.txt", b"x.", "image/png")}),
        small.post("/documents", files={"other": ("a.txt", b"x.", "text/plain")}),
        small.post(
            "/documents",
            content=b"--b\r\nbroken",
            headers={"content-type": "multipart/form-data; boundary=b"},
        ),
        small.get("/documents/..%2F..%2Fetc%2Fpasswd"),
        small.get("/documents/bad%5Cname.txt"),
        small.delete("/documents/..secret.txt"),
    ]
    for r in cases:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
        assert "error" in r.json()
    assert small.get("/documents").json()["count"] == 0


def test_document_over_the_document_limit_is_413(small: TestClient) -> None:
    big = "A plain sentence about ferries. " * 100  # ~3.2 KB: under the body cap, over 2 KB
    r = small.post("/documents", json={"source": "big.txt", "text": big})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


def test_max_documents_is_enforced(small: TestClient) -> None:
    for name in ("a.txt", "b.txt"):
        assert (
            small.post("/documents", json={"source": name, "text": FERRY_TEXT}).status_code == 201
        )
    r = small.post("/documents", json={"source": "c.txt", "text": FERRY_TEXT})
    assert r.status_code == 409 and r.json()["error"] == "index_full"
    # Replacing an existing document is still allowed when full.
    assert (
        small.post("/documents", json={"source": "a.txt", "text": FERRY_TEXT + "More."}).status_code
        == 200
    )


class _Body:
    """An ASGI receive() that counts how much of a request body the app pulled."""

    def __init__(self, chunks: int, size: int) -> None:
        self.left, self.size, self.pulled = chunks, size, 0

    async def __call__(self) -> dict[str, Any]:
        if self.left <= 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.pulled += 1
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.left > 0}


def _call(app: FastAPI, headers: list[tuple[bytes, bytes]], body: _Body) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/documents",
        "raw_path": b"/documents",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    # A thread of its own: an earlier test (Playwright's sync API) may have left an event
    # loop marked as running in this thread, and asyncio.run() refuses to nest in it.
    worker = threading.Thread(target=lambda: asyncio.run(app(scope, body, send)))
    worker.start()
    worker.join(timeout=60)
    start = next(m for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(start["status"]), payload


def test_size_limit_is_enforced_before_the_body_is_read(tmp_path: Path, embedder: Embedder) -> None:
    settings = base_settings(tmp_path, documents={"max_request_bytes": 64 * 1024})
    app = make_app(settings, embedder)
    # 1) A declared Content-Length over the limit: refused without pulling a single chunk.
    declared = _Body(chunks=10_000, size=64 * 1024)
    status, payload = _call(
        app,
        [(b"content-type", b"application/json"), (b"content-length", b"655360000")],
        declared,
    )
    assert status == 413 and json.loads(payload)["error"] == "payload_too_large"
    assert declared.pulled == 0
    # 2) No Content-Length (chunked): cut off as soon as the limit is passed, not at the end.
    streamed = _Body(chunks=10_000, size=16 * 1024)
    status, payload = _call(app, [(b"content-type", b"application/json")], streamed)
    assert status == 413 and json.loads(payload)["error"] == "payload_too_large"
    assert streamed.pulled <= 5


def test_a_write_that_fails_half_way_keeps_the_old_version(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        client.post("/documents", json={"source": FERRY_SOURCE, "text": FERRY_TEXT}).status_code
        == 201
    )
    before = client.get(f"/sources/{FERRY_SOURCE}").json()["sentences"]
    store = client.app.state.container.state().store  # type: ignore[attr-defined]
    calls = {"n": 0}
    real_upsert = store.manifest.upsert

    def manifest_fails(*args: Any, **kwargs: Any) -> None:  # Chroma dies before the commit
        calls["n"] += 1
        raise httpx.ConnectError("connection refused")

    def chroma_down() -> None:
        raise IndexUnavailable("Chroma does not answer: connection refused")

    monkeypatch.setattr(store.manifest, "upsert", manifest_fails)
    monkeypatch.setattr(store, "heartbeat", chroma_down)
    changed = FERRY_TEXT.replace("600 passengers", "900 passengers")
    r = client.post("/documents", json={"source": FERRY_SOURCE, "text": changed})
    assert calls["n"] == 1
    assert r.status_code == 503 and r.json()["error"] == "index_unavailable"
    monkeypatch.setattr(store.manifest, "upsert", real_upsert)
    monkeypatch.undo()
    after = client.get(f"/sources/{FERRY_SOURCE}").json()["sentences"]
    assert after == before, "readers must still see the old version whole"
    assert client.get(f"/documents/{FERRY_SOURCE}").json()["sentences"] == 3
