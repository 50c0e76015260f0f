"""Backup and re-embed against real service processes (docs/backup.md).

- ``python -m ingest --export`` while ``python -m service`` serves the embedded index
  goes through the service (it owns the folder) and the service keeps answering; the
  archive imported into a new data folder serves the same answers and citations.
- ``python -m ingest --reembed`` beside a serving two-worker service, killed with SIGKILL
  half-way, leaves the index on the old model (the service answers as before,
  throughout); run again, it resumes from its last checkpoint, then swaps; a service
  started with the old settings then stops, naming ``--reembed``, and one with the new
  model serves the index.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.cases import load_cases

from .support import (
    CORPUS,
    ROOT,
    ChromaServer,
    ServiceProcess,
    clean_env,
    http_env,
    run_ingest,
)

pytestmark = [pytest.mark.slow]

QUESTIONS = [c.question for c in load_cases() if not c.history][:12]


def _answers(service: ServiceProcess) -> list[dict[str, Any]]:
    out = []
    for q in QUESTIONS:
        r = httpx.post(f"{service.url}/ask", json={"question": q}, timeout=30)
        assert r.status_code == 200, r.text
        out.append({k: r.json()[k] for k in ("answer", "refused", "citations")})
    return out


class AskLoop(threading.Thread):
    """Asks one question after another until stopped; counts answers and failures."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.done, self.failed = url, 0, 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                r = httpx.post(f"{self.url}/ask", json={"question": QUESTIONS[0]}, timeout=30)
                ok = r.status_code == 200 and not r.json()["refused"]
            except httpx.HTTPError:
                ok = False
            self.done += ok
            self.failed += not ok


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {
        "NEWSQA_DATA__DIR": str(data),
        "NEWSQA_ANSWER__MODE": "extractive",
        "NEWSQA_SERVER__WORKERS": "1",
        "NEWSQA_RATE_LIMIT__ENABLED": "false",
        **extra,
    }


def test_export_while_serving_then_import_answers_the_same(tmp_path: Path) -> None:
    original = _env(tmp_path / "original")
    assert run_ingest(original, str(CORPUS)).returncode == 0
    archive = tmp_path / "backup.tar.gz"
    service = ServiceProcess(original, tmp_path / "original.log").start()
    try:
        service.wait_healthy()
        before = _answers(service)
        loop = AskLoop(service.url)
        loop.start()
        exported = run_ingest(original, "--export", str(archive), "--vectors")
        loop.halt.set()
        loop.join()
        assert exported.returncode == 0, exported.stderr
        assert "/documents/export/archive.tar.gz" in service.tail()  # the service owns the folder
        assert "exported" in exported.stdout and "5 documents" in exported.stdout
        assert loop.failed == 0 and loop.done > 0  # it kept answering meanwhile
        assert _answers(service) == before
    finally:
        service.stop()

    restored = _env(tmp_path / "restored")
    imported = run_ingest(restored, "--import", str(archive))
    assert imported.returncode == 0, imported.stderr
    again = run_ingest(restored, "--import", str(archive))
    assert again.returncode == 2 and "not empty" in again.stderr
    service = ServiceProcess(restored, tmp_path / "restored.log").start()
    try:
        service.wait_healthy()
        assert _answers(service) == before
    finally:
        service.stop()


def test_reembed_killed_half_way_resumes_and_the_old_index_serves_until_the_swap(
    tmp_path: Path,
) -> None:
    """Beside ``python -m service`` with two workers on the embedded index (what ``make
    run`` starts on two cores): the service serves the folder through a Chroma server
    and names its port in the owner record, and the re-embed writes through it."""
    old = _env(tmp_path / "data", NEWSQA_SERVER__WORKERS="2")
    new = {**old, "NEWSQA_EMBEDDING__PRECISION": "int8", "NEWSQA_INGEST__REEMBED_BATCH": "8"}
    assert run_ingest(old, str(CORPUS)).returncode == 0
    serving = ServiceProcess(old, tmp_path / "old.log").start()
    try:
        serving.wait_healthy()
        before = _answers(serving)
        loop = AskLoop(serving.url)
        loop.start()
        exported = run_ingest(old, "--export", str(tmp_path / "backup.tar.gz"))
        assert exported.returncode == 0 and "5 documents" in exported.stdout, exported.stderr

        # Killed after three checkpoints (8 texts each) of ~130.
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--reembed"],
            cwd=ROOT,
            env=clean_env(**new),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        checkpoints = 0
        for line in proc.stderr:
            checkpoints += line.startswith("re-embedded ")
            if checkpoints == 3:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, proc.stdout.read() if proc.stdout else ""
        assert _answers(serving) == before  # no swap yet: the old vectors answer

        resumed = run_ingest(new, "--reembed")
        assert resumed.returncode == 0, resumed.stderr
        line = resumed.stdout.strip().splitlines()[-1]
        written, done = int(line.split()[1]), int(line.split(" done before")[0].split()[-1])
        assert done >= 24 and written > 0, line  # it did not start over
        embedded = int(line.split("(")[1].split()[0])
        assert embedded <= written, line  # the killed run's batch in flight: from the cache
        assert "is kept for services still running" in line  # the workers still read it
        assert _answers(serving) == before  # the running service still reads the old one
        loop.halt.set()
        loop.join()
        assert loop.failed == 0 and loop.done > 0  # it answered all along
    finally:
        serving.stop()

    # Started with the old settings now: stopped at start-up, naming the way out (one
    # worker: its start-up; two: the check before any worker starts).
    for workers in ("1", "2"):
        env = {**old, "NEWSQA_SERVER__WORKERS": workers}
        refused = ServiceProcess(env, tmp_path / f"refused-{workers}.log").start()
        assert refused.proc is not None
        assert refused.proc.wait(timeout=120) != 0
        assert "python -m ingest --reembed" in refused.tail()

    dropped = run_ingest(new, "--reembed")  # no service: the unused collection goes
    assert "nothing to re-embed; dropped unused vectors collections" in dropped.stdout
    swapped = ServiceProcess(new, tmp_path / "new.log").start()
    try:
        swapped.wait_healthy()
        after = _answers(swapped)
        assert sum(not a["refused"] for a in after) >= sum(not a["refused"] for a in before) - 2
    finally:
        swapped.stop()


def test_an_import_killed_at_any_moment_leaves_no_half_index(tmp_path: Path) -> None:
    """SIGKILL at several moments of ``--import``: the index then holds no document or all
    of them, never some, and an import into the emptied folder runs to the end."""
    source = _env(tmp_path / "source")
    assert run_ingest(source, str(CORPUS)).returncode == 0
    archive = tmp_path / "backup.tar.gz"
    assert run_ingest(source, "--export", str(archive)).returncode == 0  # texts: it embeds

    started = time.monotonic()
    full = run_ingest(_env(tmp_path / "timed"), "--import", str(archive))
    assert full.returncode == 0, full.stderr
    took = time.monotonic() - started
    for i, share in enumerate((0.55, 0.65, 0.75, 0.85)):
        data = tmp_path / f"killed-{i}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "-q", "--import", str(archive)],
            cwd=ROOT,
            env=clean_env(**_env(data)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(took * share)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        held = _count(data)
        assert held in (0, 5), (share, held)
        again = run_ingest(_env(data), "--import", str(archive))
        if held == 0:
            assert again.returncode == 0 and _count(data) == 5, again.stderr
        else:
            assert again.returncode == 2 and "not empty" in again.stderr


def _count(data: Path) -> int:
    """Documents in the index of ``data``, read by a process of its own (this one must not
    open a folder other processes write)."""
    script = (
        "import sys; from service.index.store import IndexStore, make_client; "
        "from service.settings import Settings; s = Settings(); "
        "print(IndexStore(make_client(s), s.chroma.collection, '?', check_embedder=False)"
        ".document_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean_env(**_env(data)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(out.stdout.strip())


def test_on_a_chroma_server_another_model_stops_the_service_before_it_serves(
    tmp_path: Path, chroma_server: ChromaServer
) -> None:
    """One line naming ``--reembed``, checked before the app is built (no model loaded)."""
    env = http_env(chroma_server, f"t_{uuid.uuid4().hex[:12]}", tmp_path / "data")
    assert run_ingest(env, str(CORPUS)).returncode == 0
    for workers in ("1", "2"):
        refused = ServiceProcess(
            {**env, "NEWSQA_EMBEDDING__PRECISION": "int8", "NEWSQA_SERVER__WORKERS": workers},
            tmp_path / f"refused-{workers}.log",
        ).start()
        assert refused.proc is not None
        assert refused.proc.wait(timeout=60) == 1
        assert "cannot start: index" in refused.tail() and "--reembed" in refused.tail()
        assert "Traceback" not in refused.tail()
