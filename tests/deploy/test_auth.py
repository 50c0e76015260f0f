"""API keys: off by default, on when configured, read/admin scopes, rotation from a file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.keys import KeyRing, KeysFileError, digest, parse_keys_file
from service.components.embeddings import Embedder
from service.settings import AuthSettings, Settings

from .support import ROOT, make_app, with_

READ_KEY = "read-key-3f9a1c"
ADMIN_KEY = "admin-key-77b2e0"
ASK = {"question": "What did Ushakov say?"}
OPEN_PATHS = ["/health", "/ready", "/widget.js", "/demo", "/docs", "/openapi.json", "/metrics"]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error(response: Any, status: int, code: str) -> None:  # httpx or httpx2
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.fixture()
def keyed(indexed: Settings, embedder: Embedder) -> Iterator[TestClient]:
    # The admin key is configured by its digest: the clear key need not be in the env.
    settings = with_(indexed, auth={"read_keys": [READ_KEY], "admin_keys": [digest(ADMIN_KEY)]})
    with TestClient(make_app(settings, embedder)) as client:
        yield client


def test_auth_is_off_without_keys(indexed: Settings, embedder: Embedder) -> None:
    with TestClient(make_app(indexed, embedder)) as client:
        assert client.post("/ask", json=ASK).status_code == 200
        assert client.get("/documents").status_code == 200


def test_missing_or_wrong_key_is_401_json(keyed: TestClient) -> None:
    r = keyed.post("/ask", json=ASK)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    wrong = keyed.post("/ask", json=ASK, headers=bearer("not-a-key"))
    assert_error(wrong, 401, "unauthorized")
    assert "not-a-key" not in wrong.text
    basic = keyed.post("/ask", json=ASK, headers={"Authorization": f"Basic {READ_KEY}"})
    assert_error(basic, 401, "unauthorized")
    # A route nobody listed as open is protected too (secure by default).
    assert_error(keyed.get("/sources"), 401, "unauthorized")


def test_read_key_may_ask_but_not_administer(keyed: TestClient) -> None:
    assert keyed.post("/ask", json=ASK, headers=bearer(READ_KEY)).status_code == 200
    assert keyed.get("/sources", headers=bearer(READ_KEY)).status_code == 200
    assert_error(keyed.get("/documents", headers=bearer(READ_KEY)), 403, "forbidden")
    post = keyed.post(
        "/documents", json={"source": "x.txt", "text": "A sentence."}, headers=bearer(READ_KEY)
    )
    assert_error(post, 403, "forbidden")
    delete = keyed.delete("/documents/000_412d1c09e69c2b39.txt", headers=bearer(READ_KEY))
    assert_error(delete, 403, "forbidden")
    listing = keyed.get("/documents", headers=bearer(ADMIN_KEY)).json()
    assert listing["count"] == 5, "a refused admin call must change nothing"


def test_admin_key_may_do_both(keyed: TestClient) -> None:
    assert keyed.get("/documents", headers=bearer(ADMIN_KEY)).status_code == 200
    assert keyed.post("/ask", json=ASK, headers=bearer(ADMIN_KEY)).status_code == 200


@pytest.mark.parametrize("path", OPEN_PATHS)
def test_probes_widget_docs_and_metrics_stay_open(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_metrics_can_require_the_admin_key(indexed: Settings, embedder: Embedder) -> None:
    settings = with_(
        indexed,
        auth={"read_keys": [READ_KEY], "admin_keys": [ADMIN_KEY]},
        observability={"metrics_public": False},
    )
    with TestClient(make_app(settings, embedder)) as client:
        assert_error(client.get("/metrics"), 401, "unauthorized")
        assert_error(client.get("/metrics", headers=bearer(READ_KEY)), 403, "forbidden")
        assert client.get("/metrics", headers=bearer(ADMIN_KEY)).status_code == 200


def test_cors_preflight_needs_no_key(indexed: Settings, embedder: Embedder) -> None:
    settings = with_(
        indexed,
        auth={"read_keys": [READ_KEY]},
        server={"cors_origins": ["https://intranet.example"]},
    )
    with TestClient(make_app(settings, embedder)) as client:
        r = client.options(
            "/ask",
            headers={
                "Origin": "https://intranet.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://intranet.example"
        assert "authorization" in r.headers["access-control-allow-headers"].lower()


def _new_key_line(name: str, scope: str) -> tuple[str, str]:
    """(key, keys-file line) from the CLI an operator uses."""
    done = subprocess.run(
        [sys.executable, "-m", "service.auth", "new", name, scope],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = done.stderr.strip().rsplit(" ", 1)[-1]
    return key, done.stdout.strip()


def test_keys_file_holds_only_digests_and_rotates_without_restart(
    tmp_path: Path, indexed: Settings, embedder: Embedder
) -> None:
    old_key, old_line = _new_key_line("intranet-bot", "read")
    admin_key, admin_line = _new_key_line("ops", "admin")
    assert old_key not in old_line and old_line.endswith(digest(old_key))
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(f"# name scope digest\n{old_line}\n{admin_line}\n")
    settings = with_(indexed, auth={"keys_file": keys_file, "reload_interval_s": 0})
    app = make_app(settings, embedder)
    with TestClient(app) as client:
        assert client.post("/ask", json=ASK, headers=bearer(old_key)).status_code == 200
        assert client.get("/documents", headers=bearer(admin_key)).status_code == 200
        assert_error(client.get("/documents", headers=bearer(old_key)), 403, "forbidden")

        # Rotate: the new key replaces the old one in the file; no restart.
        new_key, new_line = _new_key_line("intranet-bot", "read")
        tmp = keys_file.with_suffix(".new")
        tmp.write_text(f"{new_line}\n{admin_line}\n")
        os.replace(tmp, keys_file)  # atomic, as an operator's tooling would
        assert client.post("/ask", json=ASK, headers=bearer(new_key)).status_code == 200
        assert_error(client.post("/ask", json=ASK, headers=bearer(old_key)), 401, "unauthorized")

        # A broken file (half-written, a typo) keeps the last good keys rather than locking out.
        keys_file.write_text("intranet-bot read not-a-digest\n")
        time.sleep(0.01)
        assert client.post("/ask", json=ASK, headers=bearer(new_key)).status_code == 200

    ring: KeyRing = app.state.keys
    kept = repr(vars(ring))
    for key in (old_key, new_key, admin_key):
        assert key not in kept, "keys must be kept as digests only"


def test_missing_keys_file_is_a_start_up_error(tmp_path: Path, indexed: Settings) -> None:
    with pytest.raises(KeysFileError):
        KeyRing(AuthSettings(keys_file=tmp_path / "absent.txt"))  # type: ignore[call-arg]


def test_keys_file_errors_name_the_line_but_never_the_value() -> None:
    with pytest.raises(KeysFileError) as err:
        parse_keys_file("ok read sha256:" + "0" * 64 + "\nbot read my-clear-key-123\n", "keys")
    assert "keys:2" in str(err.value) and "my-clear-key-123" not in str(err.value)
    with pytest.raises(KeysFileError):
        parse_keys_file("bot superuser sha256:" + "0" * 64)
