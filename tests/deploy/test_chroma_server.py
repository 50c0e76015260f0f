"""Against a real `chroma run` server: the CLI, the API, two service processes, outages.

Timings measured here are printed (``-s`` shows them) and bounded by assertions.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.components.embeddings import Embedder

from .support import (
    CORPUS,
    FERRY_QUESTION,
    FERRY_SOURCE,
    FERRY_TEXT,
    ChromaServer,
    ServiceProcess,
    answers_the_ferry,
    cites,
    http_env,
    http_settings,
    make_app,
    run_ingest,
    serve_the_ferry,
    wait_for,
)

pytestmark = [pytest.mark.chroma_server, pytest.mark.slow]

# What "within a second or two" means here: Chroma's timeout (2 s) plus a margin.
UNAVAILABLE_WITHIN_S = 3.5


@pytest.fixture()
def services(tmp_path: Path, chroma_server: ChromaServer) -> Iterator[list[ServiceProcess]]:
    collection = f"two_{uuid.uuid4().hex[:10]}"
    procs = [
        ServiceProcess(
            http_env(chroma_server, collection, tmp_path / name), tmp_path / f"{name}.log"
        )
        for name in ("a", "b")
    ]
    try:
        for p in procs:
            p.start()
        for p in procs:
            p.wait_healthy()
        yield procs
    finally:
        for p in procs:
            p.stop()


def test_ingest_cli_and_api_against_the_server(
    tmp_path: Path, chroma_server: ChromaServer, embedder: Embedder
) -> None:
    settings = http_settings(tmp_path, chroma_server)
    env = http_env(chroma_server, settings.chroma.collection, tmp_path)
    first = run_ingest(env, str(CORPUS))
    assert first.returncode == 0, first.stderr
    assert "5 added" in first.stdout
    second = run_ingest(env, str(CORPUS))
    assert "5 unchanged" in second.stdout
    assert run_ingest(env, "--check", str(CORPUS)).returncode == 0

    with TestClient(make_app(settings, embedder)) as client:
        ready = client.get("/ready").json()
        assert ready["status"] == "ready" and ready["documents"] == 5
        answer = client.post("/ask", json={"question": "What did Ushakov say?"}).json()
        assert not answer["refused"]
        assert len({c["source"] for c in answer["citations"]}) >= 2
        for c in answer["citations"]:
            stored = client.get(f"/sources/{c['source']}/sentences/{c['sentence']}").json()
            assert stored["text"] == c["text"]

    # The CLI's removal is seen by the API too (same server, same collection).
    assert run_ingest(env, "--remove", "000_412d1c09e69c2b39.txt").returncode == 0
    with TestClient(make_app(settings, embedder)) as client:
        assert client.get("/ready").json()["documents"] == 4


def test_a_document_added_through_one_process_is_answered_by_the_other(
    services: list[ServiceProcess],
) -> None:
    a, b = services
    assert (
        httpx.post(f"{b.url}/ask", json={"question": FERRY_QUESTION}, timeout=30).status_code == 200
    )
    added = httpx.post(
        f"{a.url}/documents", json={"source": FERRY_SOURCE, "text": FERRY_TEXT}, timeout=60
    )
    assert added.status_code == 201, added.text
    added_at = time.monotonic()
    assert cites(
        httpx.post(f"{a.url}/ask", json={"question": FERRY_QUESTION}, timeout=30).json(),
        FERRY_SOURCE,
    )

    def b_answers() -> bool:
        r = httpx.post(f"{b.url}/ask", json={"question": FERRY_QUESTION}, timeout=30)
        return cites(r.json(), FERRY_SOURCE)

    wait_for(b_answers, timeout_s=15)
    seen_after = time.monotonic() - added_at
    print(f"\nprocess B answered from the new document {seen_after:.2f} s after A added it")
    assert seen_after < 10  # refresh interval 2 s + snapshot rebuild

    # And back: B removes it, A stops citing it.
    assert httpx.delete(f"{b.url}/documents/{FERRY_SOURCE}", timeout=30).status_code == 200

    def a_forgot() -> bool:
        r = httpx.post(f"{a.url}/ask", json={"question": FERRY_QUESTION}, timeout=30)
        return not cites(r.json(), FERRY_SOURCE)

    wait_for(a_forgot, timeout_s=15)
    assert httpx.get(f"{a.url}/documents", timeout=30).json()["count"] == 0


def _timed(method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.request(method, url, timeout=30, **kwargs)
    return r, time.monotonic() - started


def test_chroma_down_gives_fast_503_and_the_service_recovers_by_itself(
    tmp_path: Path, own_chroma_server: ChromaServer
) -> None:
    server = own_chroma_server
    service = serve_the_ferry(tmp_path, server, "outage_test")
    try:
        ask = {"question": FERRY_QUESTION}

        # 1) The server is stopped (a crash, a restart): refused connections.
        server.stop()
        for _ in range(3):
            ready, t_ready = _timed("GET", f"{service.url}/ready")
            assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
            r, t_ask = _timed("POST", f"{service.url}/ask", json=ask)
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "index_unavailable" and r.headers["retry-after"]
            print(f"\nChroma stopped: /ready 503 in {t_ready:.3f} s, /ask 503 in {t_ask:.3f} s")
            assert t_ready < UNAVAILABLE_WITHIN_S and t_ask < UNAVAILABLE_WITHIN_S
        docs, t_docs = _timed("GET", f"{service.url}/documents")
        assert docs.status_code == 503 and t_docs < UNAVAILABLE_WITHIN_S
        write, t_write = _timed(
            "POST", f"{service.url}/documents", json={"source": "x.txt", "text": FERRY_TEXT}
        )
        assert write.status_code == 503 and t_write < UNAVAILABLE_WITHIN_S + 1

        # Back on the same port with the same data: no restart of the service needed.
        server.start()
        back_at = time.monotonic()

        def answers() -> bool:
            return answers_the_ferry(service)

        wait_for(answers, timeout_s=20)
        print(f"recovered {time.monotonic() - back_at:.2f} s after Chroma answered again")
        assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200

        # 2) The server hangs (paused: it holds its port but never answers): the timeout.
        server.pause()
        try:
            r, t_hung = _timed("POST", f"{service.url}/ask", json=ask)
            # Until the watch notices the hang, the snapshot in memory answers (the dense
            # search reads its vectors, retrieval.exact_dense_max): a correct answer or a
            # 503, but fast either way, never a wait on the hung server.
            assert r.status_code in (200, 503), r.text
            if r.status_code == 200:
                assert cites(r.json(), FERRY_SOURCE)
            print(f"Chroma hung: /ask {r.status_code} in {t_hung:.3f} s")
            assert t_hung < UNAVAILABLE_WITHIN_S
            ready, t_ready = _timed("GET", f"{service.url}/ready")
            assert ready.status_code == 503 and t_ready < UNAVAILABLE_WITHIN_S
        finally:
            server.resume()
        resumed_at = time.monotonic()
        wait_for(answers, timeout_s=20)
        print(f"recovered {time.monotonic() - resumed_at:.2f} s after the hung server resumed")
    finally:
        service.stop()
    assert "Traceback" not in service.tail(), service.tail()
