"""Safe by default: no keyless document writes off loopback, no cross-site state changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.auth.keys import digest
from service.components.embeddings import Embedder
from service.settings import Settings

from .support import make_app, with_

ASK = {"question": "What did Ushakov say?"}
ADMIN_KEY = "admin-key-5d1e2f"
UNKNOWN = "/documents/999_nothing_here.txt"  # a DELETE that passes every guard answers 404


def client_for(settings: Settings, embedder: Embedder) -> TestClient:
    return TestClient(make_app(settings, embedder))


@pytest.fixture()
def exposed(indexed: Settings, embedder: Embedder) -> Iterator[TestClient]:
    """Auth off, listening on every interface: the old docker-compose default."""
    with client_for(with_(indexed, server={"host": "0.0.0.0"}), embedder) as c:
        yield c


def test_no_keyless_document_writes_off_loopback(exposed: TestClient) -> None:
    upload = exposed.post(
        "/documents", files={"file": ("005_planted.txt", b"Title\n\nA planted claim.")}
    )
    assert upload.status_code == 403, upload.text
    assert upload.json()["error"] == "forbidden" and "admin key" in upload.json()["detail"]
    assert exposed.delete("/documents/000_ukraine.txt").status_code == 403
    # Reading and asking need no key.
    assert exposed.get("/documents").status_code == 200
    assert exposed.post("/ask", json=ASK).status_code == 200


def test_loopback_writes_are_allowed_unless_turned_off(
    indexed: Settings, embedder: Embedder
) -> None:
    with client_for(indexed, embedder) as local:  # server.host defaults to 127.0.0.1
        assert local.delete(UNKNOWN).status_code == 404
    strict = with_(indexed, auth={"allow_local_writes_without_key": False})
    with client_for(strict, embedder) as c:
        assert c.delete(UNKNOWN).status_code == 403


def test_an_admin_key_allows_writes_on_any_interface(indexed: Settings, embedder: Embedder) -> None:
    settings = with_(indexed, server={"host": "0.0.0.0"}, auth={"admin_keys": [digest(ADMIN_KEY)]})
    with client_for(settings, embedder) as c:
        assert c.delete(UNKNOWN).status_code == 401
        ok = c.delete(UNKNOWN, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert ok.status_code == 404, ok.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_state_changes_are_refused_with_auth_off(
    indexed: Settings, embedder: Embedder, headers: dict[str, str]
) -> None:
    with client_for(indexed, embedder) as c:  # loopback, auth off: writes otherwise allowed
        form = c.post(
            "/documents",
            files={"file": ("005_planted.txt", b"Title\n\nA planted claim.")},
            headers=headers,
        )
        assert form.status_code == 403 and form.json()["error"] == "cross_site", form.text
        assert c.delete(UNKNOWN, headers=headers).status_code == 403
        assert c.post("/ask", json=ASK, headers=headers).status_code == 403
        # Reads are not state changes: a page elsewhere cannot read them anyway (CORS).
        assert c.get("/sources", headers=headers).status_code == 200


def test_own_origin_listed_origins_and_non_browsers_pass(
    indexed: Settings, embedder: Embedder
) -> None:
    widget_page = "https://intranet.example"
    settings = with_(indexed, server={"cors_origins": [widget_page]})
    with client_for(settings, embedder) as c:
        assert c.post("/ask", json=ASK).status_code == 200  # curl, the CLI: no Origin
        same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        assert c.post("/ask", json=ASK, headers=same).status_code == 200
        assert c.delete(UNKNOWN, headers=same).status_code == 404
        listed = {"Origin": widget_page, "Sec-Fetch-Site": "cross-site"}
        assert c.post("/ask", json=ASK, headers=listed).status_code == 200
        # The widget's origins may ask, never write documents.
        assert c.delete(UNKNOWN, headers=listed).status_code == 403
