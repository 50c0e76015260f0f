"""Secrets (API keys, the LLM key) never reach a log line, an error body or a header."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from service.components.embeddings import Embedder
from service.observability.logs import JsonFormatter, TextFormatter
from service.settings import Settings

from .support import make_app, with_

LLM_KEY = "sk-test-llm-key-5d1e9b"
READ_KEY = "read-secret-a81f"
ADMIN_KEY = "admin-secret-c02d"
SECRETS = (LLM_KEY, READ_KEY, ADMIN_KEY)


def test_secrets_never_appear_in_logs_or_responses(
    indexed: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = with_(
        indexed,
        # Extractive mode with an LLM key set: the key is configured but must stay hidden.
        llm={"api_key": LLM_KEY},
        auth={"read_keys": [READ_KEY], "admin_keys": [ADMIN_KEY]},
        observability={"log_questions": True, "metrics_public": False},
    )
    app = make_app(settings, embedder)
    seen: list[str] = []
    with TestClient(app) as client:
        calls = [
            client.post("/ask", json={"question": "What did Ushakov say?"}),
            client.post(
                "/ask", json={"question": "x"}, headers={"Authorization": "Bearer " + READ_KEY[:-1]}
            ),
            client.post(
                "/ask", json={"question": ""}, headers={"Authorization": "Bearer " + READ_KEY}
            ),
            client.post(
                "/ask",
                json={"question": "Ushakov?", "mode": "llm"},
                headers={"Authorization": "Bearer " + READ_KEY},
            ),
            client.get("/documents", headers={"Authorization": "Bearer " + READ_KEY}),
            client.get("/metrics", headers={"Authorization": "Bearer " + ADMIN_KEY}),
            client.post(
                "/documents",
                json={"source": "../a.txt", "text": READ_KEY},
                headers={"Authorization": "Bearer " + ADMIN_KEY},
            ),
            client.get("/openapi.json"),
            client.get("/ready"),
        ]
        for r in calls:
            seen.append(r.text)
            seen.append(repr(dict(r.headers)))
    statuses = [r.status_code for r in calls]
    assert 401 in statuses and 403 in statuses and 400 in statuses and 200 in statuses
    for fmt in (JsonFormatter(), TextFormatter()):
        seen += [fmt.format(record) for record in caplog.records]
    seen.append(repr(settings))
    seen.append(settings.model_dump_json())
    blob = "\n".join(seen)
    for secret in SECRETS:
        assert secret not in blob, f"a secret leaked: {secret[:6]}…"
