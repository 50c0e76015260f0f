"""``python -m ingest --export`` / ``--import``: one archive file, restored into an empty
data folder, answers the home eval suite (dev and holdout questions) exactly as the
original index did; damaged, truncated, unknown or misplaced archives are refused with
exit code 2 and leave the index empty."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eval.cases import load_cases
from ingest.__main__ import main
from service.app import create_app
from service.index.archive import FORMAT_VERSION, MANIFEST, read_archive
from service.index.store import IndexStore, make_client
from service.settings import Settings
from tests.conftest import CORPUS, make_settings

# Fields of an answer that must be identical (timings differ from run to run).
SAME = ("answer", "refused", "citations", "refusal_reason", "answerability", "claims")


def _answers(settings: Settings) -> list[dict[str, Any]]:
    out = []
    with TestClient(create_app(settings)) as client:
        for case in load_cases():
            payload = {"question": case.question, "history": [t.model_dump() for t in case.history]}
            r = client.post("/ask", json=payload)
            assert r.status_code == 200, r.text
            out.append({k: r.json().get(k) for k in SAME})
    return out


def _cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """``python -m ingest`` in this process, configured for ``settings``' data folder."""
    monkeypatch.setenv("NEWSQA_DATA__DIR", str(settings.data.dir))
    monkeypatch.setenv("NEWSQA_CHROMA__PATH", str(settings.chroma_path))
    return main(["-q", *argv])


def _documents(settings: Settings) -> dict[str, Any]:
    store = IndexStore(make_client(settings), settings.chroma.collection, "?", check_embedder=False)
    return store.documents()


@pytest.mark.parametrize("vectors", [True, False], ids=["with-vectors", "texts-only"])
def test_restored_index_answers_the_eval_suite_exactly_as_the_original(
    corpus_index: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vectors: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _answers(corpus_index)
    archive = tmp_path / "backup.tar.gz"
    flags = ["--vectors"] if vectors else []
    assert _cli(corpus_index, monkeypatch, "--export", str(archive), *flags) == 0
    read = read_archive(archive)
    assert read.manifest["format_version"] == FORMAT_VERSION
    assert read.manifest["embedding"] == {"model": "st:model", "dimension": 384}
    assert read.manifest["counts"]["documents"] == 5
    assert (read.vectors is not None) == vectors

    restored = make_settings(tmp_path / "restored")
    assert _cli(restored, monkeypatch, "--import", str(archive)) == 0
    assert "imported" in capsys.readouterr().out
    # Versions, content hashes, titles, dates and write times come back as they were.
    assert _documents(restored) == _documents(corpus_index)
    assert _cli(restored, monkeypatch, "--check", str(CORPUS)) == 0  # up to date
    after = _answers(restored)
    assert after == before
    assert sum(not a["refused"] for a in after) > 50  # the suite was answered, not refused


@pytest.fixture(scope="module")
def archive(corpus_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "backup.tar.gz"
    with pytest.MonkeyPatch.context() as mp:
        assert _cli(corpus_index, mp, "--export", str(path), "--vectors") == 0
    return path


def _rewritten(source: Path, target: Path, change: Any) -> Path:
    """``source`` with its manifest changed by ``change(manifest)``."""
    with tarfile.open(source, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    manifest = json.loads(members[MANIFEST])
    change(manifest)
    members[MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def _damaged(source: Path, target: Path) -> Path:
    """One byte of the documents member changed, the archive otherwise well-formed."""
    with tarfile.open(source, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    docs = bytearray(members["documents.jsonl"])
    docs[10] = ord("X") if docs[10] != ord("X") else ord("Y")
    members["documents.jsonl"] = bytes(docs)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda a, t: t.write_bytes(a.read_bytes()[: len(a.read_bytes()) // 2]) and t, "truncated"),
        (lambda a, t: t.write_bytes(gzip.compress(b"not a tar file")) and t, "readable archive"),
        (_damaged, "does not match its sha256"),
        (
            lambda a, t: _rewritten(a, t, lambda m: m.update(format_version=FORMAT_VERSION + 1)),
            "format version 2",
        ),
        (lambda a, t: _rewritten(a, t, lambda m: m.update(format="zip")), "not an index archive"),
    ],
    ids=["truncated", "not-a-tar", "damaged", "unknown-version", "unknown-format"],
)
def test_bad_archives_are_refused_with_exit_2_and_leave_the_index_empty(
    archive: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make: Any,
    message: str,
) -> None:
    bad = make(archive, tmp_path / "bad.tar.gz")
    target = make_settings(tmp_path / "data")
    assert _cli(target, monkeypatch, "--import", str(bad)) == 2
    assert message in capsys.readouterr().err
    assert _documents(target) == {}


def test_import_refuses_a_data_folder_that_holds_an_index(
    archive: Path,
    corpus_index: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _documents(corpus_index)
    assert _cli(corpus_index, monkeypatch, "--import", str(archive)) == 2
    assert "not empty (5 documents)" in capsys.readouterr().err
    assert _documents(corpus_index) == before


def test_an_import_killed_before_its_commit_leaves_an_empty_index_and_can_run_again(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staged manifest is renamed into place last: an import that dies before it
    (here: the rename fails, as a kill at that point would leave it) shows no document,
    and the next import starts over and completes."""
    target = make_settings(tmp_path / "data")
    from chromadb.api.models.Collection import Collection

    real = Collection.modify

    def dies(self: Collection, name: str | None = None, **kw: Any) -> None:
        if name is not None:
            raise KeyboardInterrupt  # the process stops here
        real(self, name=name, **kw)

    monkeypatch.setattr(Collection, "modify", dies)
    with pytest.raises(KeyboardInterrupt):
        _cli(target, monkeypatch, "--import", str(archive))
    assert _documents(target) == {}
    monkeypatch.setattr(Collection, "modify", real)
    assert _cli(target, monkeypatch, "--import", str(archive)) == 0
    assert len(_documents(target)) == 5
