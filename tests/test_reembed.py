"""Another embedding model: the service and ``python -m ingest`` refuse it with an error
naming ``python -m ingest --reembed``; the re-embed swaps the index to the new model, and
re-embedding back to a model the cache knows embeds nothing and answers exactly as before.

The second model is the same all-MiniLM-L6-v2 weights at ``embedding.precision=int8``
(ONNX Runtime's dynamic quantisation, made locally from the bundled weights): another
model id and other vectors, with no download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eval.cases import load_cases
from ingest.__main__ import main
from service.app import create_app
from service.index.errors import EmbedderMismatch
from service.index.store import IndexStore, make_client
from service.settings import Settings
from tests.conftest import CORPUS, make_settings

QUESTIONS = [c for c in load_cases() if not c.history][:20]


def _answers(settings: Settings) -> list[dict[str, Any]]:
    with TestClient(create_app(settings)) as client:
        replies = [client.post("/ask", json={"question": c.question}).json() for c in QUESTIONS]
    return [{k: r[k] for k in ("answer", "refused", "citations")} for r in replies]


def test_another_model_is_refused_until_reembed_and_the_cache_makes_the_way_back_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fp32 = make_settings(tmp_path / "data")
    int8 = make_settings(tmp_path / "data", embedding={"precision": "int8"})
    monkeypatch.setenv("NEWSQA_DATA__DIR", str(fp32.data.dir))
    monkeypatch.setenv("NEWSQA_CHROMA__PATH", str(fp32.chroma_path))
    assert main(["-q", str(CORPUS)]) == 0
    before = _answers(fp32)
    store = IndexStore(make_client(fp32), fp32.chroma.collection, "st:model")
    texts = len(store.load_current(store.documents()).keys)

    # Another model: the service does not start, the ingester does not write.
    with (
        pytest.raises(EmbedderMismatch, match=r"python -m ingest --reembed"),
        TestClient(create_app(int8)),
    ):
        pass
    monkeypatch.setenv("NEWSQA_EMBEDDING__PRECISION", "int8")
    capsys.readouterr()
    assert main(["-q", str(CORPUS)]) == 2
    err = capsys.readouterr().err
    assert "'st:model'" in err and "'st:model:int8'" in err and "--reembed" in err

    assert main(["-q", "--reembed"]) == 0
    out = capsys.readouterr().out
    assert f"re-embedded {texts} texts ({texts} embedded, 0 from cache)" in out
    assert "st:model:int8 (384 dimensions)" in out
    with pytest.raises(EmbedderMismatch, match=r"--reembed"), TestClient(create_app(fp32)):
        pass
    with_int8 = _answers(int8)
    assert sum(not a["refused"] for a in with_int8) >= sum(not a["refused"] for a in before) - 3
    store = IndexStore(make_client(int8), int8.chroma.collection, "st:model:int8")
    assert (store.embedding.embedder, store.embedding.dimension) == ("st:model:int8", 384)
    names = {c.name for c in store.client.list_collections()}
    assert f"{fp32.chroma.collection}__vectors" not in names  # the old one, dropped

    # Back to the first model: every vector comes from the cache, answers are the same.
    monkeypatch.delenv("NEWSQA_EMBEDDING__PRECISION")
    assert main(["-q", "--reembed"]) == 0
    assert f"({texts} embedded" not in (out := capsys.readouterr().out)
    assert f"re-embedded {texts} texts (0 embedded, {texts} from cache)" in out
    assert _answers(fp32) == before
    assert main(["-q", "--reembed"]) == 0
    assert "nothing to re-embed" in capsys.readouterr().out
