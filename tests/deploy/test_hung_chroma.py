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
    ChromaServer,
    answers_the_ferry,
    serve_the_ferry,
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
    service = serve_the_ferry(tmp_path, server, "hang_test")
    try:
        ask = {"question": FERRY_QUESTION}
        probe = HealthProbe(service.url)
        probe.start()
        time.sleep(0.5)

        server.pause()
        hung_at = time.monotonic()
        try:
            # Ask and probe readiness side by side until each says 503: the first 503 of
            # each must come within DETECTED_WITHIN_S of the hang.
            seen: dict[str, float] = {}
            bodies: list[str] = []

            def until_503(name: str, method: str, path: str, body: object) -> None:
                while time.monotonic() - hung_at < 10:
                    r = httpx.request(method, service.url + path, json=body, timeout=10)
                    if r.status_code == 503:
                        seen[name] = time.monotonic() - hung_at
                        bodies.append(r.text)
                        return
                    time.sleep(0.05)

            pollers = [
                threading.Thread(target=until_503, args=("ask", "POST", "/ask", ask)),
                threading.Thread(target=until_503, args=("ready", "GET", "/ready", None)),
            ]
            for t in pollers:
                t.start()
            for t in pollers:
                t.join()
            print(f"\nChroma hung: 503 after {seen} s; /health slowest {probe.slowest:.3f} s")
            assert set(seen) == {"ask", "ready"}
            assert max(seen.values()) < DETECTED_WITHIN_S
            # Once the watch knows (two missed heartbeats, 2.5 s at most), at once; and the
            # bodies say what is down, not where.
            time.sleep(max(0.0, hung_at + 3.0 - time.monotonic()))
            r = httpx.post(service.url + "/ask", json=ask, timeout=10)
            assert r.status_code == 503 and r.elapsed.total_seconds() < 0.5
            assert r.json()["error"] == "index_unavailable" and r.headers["retry-after"]
            for text in [*bodies, r.text]:
                assert "127.0.0.1" not in text and str(server.port) not in text
            time.sleep(1.0)  # a while hung, probes included
        finally:
            server.resume()
        resumed_at = time.monotonic()

        wait_for(lambda: answers_the_ferry(service), timeout_s=10)
        print(f"recovered {time.monotonic() - resumed_at:.2f} s after SIGCONT")
        assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200
        probe.done.set()
        probe.join()
        assert probe.failures == 0
        assert probe.slowest < HEALTH_UNDER_S, f"/health took {probe.slowest:.3f} s"
    finally:
        service.stop()
    assert "Traceback" not in service.tail(), service.tail()
