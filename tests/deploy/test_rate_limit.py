"""Rate limits on the answering endpoints: per key, or per client IP when auth is off."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.components.embeddings import Embedder
from service.settings import Settings

from .support import make_app, with_

ASK = {"question": "What did Ushakov say?"}


def test_fourth_ask_in_a_minute_is_429_with_retry_after(
    indexed: Settings, embedder: Embedder
) -> None:
    settings = with_(indexed, rate_limit={"ask": "3/minute"})
    with TestClient(make_app(settings, embedder)) as client:
        statuses = [client.post("/ask", json=ASK).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        r = client.post("/ask", json=ASK)
        assert r.status_code == 429
        body = r.json()
        assert body["error"] == "rate_limited" and body["request_id"] == r.headers["x-request-id"]
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # The streaming endpoint shares the budget; reading sources is not limited.
        assert client.post("/ask/stream", json=ASK).status_code == 429
        assert all(client.get("/sources").status_code == 200 for _ in range(5))


def test_limits_are_per_client_ip_when_auth_is_off(indexed: Settings, embedder: Embedder) -> None:
    app = make_app(with_(indexed, rate_limit={"ask": "2/minute"}), embedder)
    with (
        TestClient(app, client=("10.0.0.1", 5000)) as one,
        TestClient(app, client=("10.0.0.2", 5000)) as two,
    ):
        assert [one.post("/ask", json=ASK).status_code for _ in range(3)] == [200, 200, 429]
        assert two.post("/ask", json=ASK).status_code == 200


def test_limits_are_per_key_when_auth_is_on(indexed: Settings, embedder: Embedder) -> None:
    settings = with_(
        indexed,
        rate_limit={"ask": "2/minute"},
        auth={"read_keys": ["key-of-alice", "key-of-bob"]},
    )
    with TestClient(make_app(settings, embedder)) as client:
        alice = {"Authorization": "Bearer key-of-alice"}
        bob = {"Authorization": "Bearer key-of-bob"}
        got = [client.post("/ask", json=ASK, headers=alice).status_code for _ in range(3)]
        assert got == [200, 200, 429]
        assert client.post("/ask", json=ASK, headers=bob).status_code == 200
        # Unauthenticated calls are refused (401) before they could spend anyone's budget.
        assert client.post("/ask", json=ASK).status_code == 401


def test_limits_can_be_switched_off(indexed: Settings, embedder: Embedder) -> None:
    settings = with_(indexed, rate_limit={"ask": "1/minute", "enabled": False})
    with TestClient(make_app(settings, embedder)) as client:
        assert [client.post("/ask", json=ASK).status_code for _ in range(3)] == [200] * 3
