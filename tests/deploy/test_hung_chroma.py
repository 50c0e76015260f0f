"""A hung Chroma server (SIGSTOP: it keeps its port and answers nothing) never blocks the
service: /health stays fast, /ready and /ask answer 503 within 2 s of the hang, and both
recover by themselves after SIGCONT."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from .support import (
    FERRY_QUESTION,
    FERRY_SOURCE,
    FERRY_TEXT,
    ChromaServer,
    ServiceProcess,
    cites,
    http_env,
    wait_for,
)

pytestmark = [pytest.mark.chroma_server, pytest.mark.slow]

DETECTED_WITHIN_S = 2.0
HEALTH_UNDER_S = 0.1


class HealthProbe(threading.Thread):
    """Polls /health all along and keeps the slowest answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.slowest = 0.0
        self.failures = 0
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5) as http:
            while not self.done.is_set():
                started = time.monotonic()
                try:
                    ok = http.get(self.url + "/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.failures += not ok
                time.sleep(0.05)


def test_a_hung_chroma_never_blocks_the_service(
    tmp_path: Path, own_chroma_server: ChromaServer
) -> None:
    server = own_chroma_server
    service = ServiceProcess(
        http_env(server, "hang_test", tmp_path / "svc"), tmp_path / "svc.log"
    ).start()
    try:
        service.wait_healthy()
        ask = {"question": FERRY_QUESTION}
        added = httpx.post(
            f"{service.url}/documents",
            json={"source": FERRY_SOURCE, "text": FERRY_TEXT},
            timeout=60,
        )
        assert added.status_code == 201, added.text
        assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200
        probe = HealthProbe(service.url)
        probe.start()
        time.sleep(0.5)

        server.pause()
        hung_at = time.monotonic()
        try:
            # Ask and probe readiness until both say 503; each answer must come in time.
            seen: dict[str, float] = {}
            bodies: list[str] = []
            while len(seen) < 2 and time.monotonic() - hung_at < 10:
                for name, method, path, body in (
                    ("ask", "POST", "/ask", ask),
                    ("ready", "GET", "/ready", None),
                ):
                    r = httpx.request(method, service.url + path, json=body, timeout=10)
                    if r.status_code == 503 and name not in seen:
                        seen[name] = time.monotonic() - hung_at
                        bodies.append(r.text)
                time.sleep(0.05)
            print(f"\nChroma hung: 503 after {seen} s; /health slowest {probe.slowest:.3f} s")
            assert set(seen) == {"ask", "ready"}
            assert max(seen.values()) < DETECTED_WITHIN_S
            # Once known, at once; and the bodies say what is down, not where.
            r = httpx.post(service.url + "/ask", json=ask, timeout=10)
            assert r.status_code == 503 and r.elapsed.total_seconds() < 0.5
            assert r.json()["error"] == "index_unavailable" and r.headers["retry-after"]
            for text in [*bodies, r.text]:
                assert "127.0.0.1" not in text and str(server.port) not in text
            time.sleep(1.0)  # a while hung, probes included
        finally:
            server.resume()
        resumed_at = time.monotonic()

        def answers() -> bool:
            r = httpx.post(f"{service.url}/ask", json=ask, timeout=30)
            return r.status_code == 200 and cites(r.json(), FERRY_SOURCE)

        wait_for(answers, timeout_s=10)
        print(f"recovered {time.monotonic() - resumed_at:.2f} s after SIGCONT")
        assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200
        probe.done.set()
        probe.join()
        assert probe.failures == 0
        assert probe.slowest < HEALTH_UNDER_S, f"/health took {probe.slowest:.3f} s"
    finally:
        service.stop()
    assert "Traceback" not in service.tail(), service.tail()
