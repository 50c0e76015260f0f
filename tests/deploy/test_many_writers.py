"""Many writers, one truth, embedded mode: `python -m ingest` run beside a serving process
writes through it (the service owns the folder), while a request loop sees only 200s.

With two workers the service serves the embedded folder through a Chroma server it starts
and stops itself (service/index/managed_server.py); the workers follow each other's writes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.index.ownership import read_owner

from .support import (
    CORPUS,
    FERRY_QUESTION,
    FERRY_SOURCE,
    FERRY_TEXT,
    ServiceProcess,
    cites,
    run_ingest,
    wait_for,
)

pytestmark = [pytest.mark.slow]

REFRESH_S = 2.0
# New documents on topics none of the articles touches, each with a question only it answers.
NEW_DOCS = {
    FERRY_SOURCE: (FERRY_TEXT, FERRY_QUESTION),
    "006_orchard.txt": (
        "Valley Orchard Tests Frost Fans\n\n"
        "The Kessler apple orchard installed six frost fans in February.\n"
        "Owner Mirela Kessler said the fans saved most of the early blossom last spring.\n",
        "How many frost fans did the Kessler orchard install?",
    ),
    "007_library.txt": (
        "City Library Lends Telescopes\n\n"
        "The Brindle Street library now lends 12 telescopes to members.\n"
        "Librarian Tomas Okafor said the waiting list reached ninety names in a week.\n",
        "How many telescopes does the Brindle Street library lend?",
    ),
    "008_bakery.txt": (
        "Bakery Switches To Rye Sourdough\n\n"
        "The Oldgate bakery replaced its white loaf with a rye sourdough in March.\n"
        "Baker Ines Varga said rye sales tripled within a month.\n",
        "What did the Oldgate bakery replace its white loaf with?",
    ),
}


class AskLoop(threading.Thread):
    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.statuses: dict[int, int] = {}
        self.sent = 0
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.done.is_set():
                for method, path, body in (
                    ("POST", "/ask", {"question": "What did Ushakov say?"}),
                    ("GET", "/sources", None),
                ):
                    try:
                        status = http.request(method, path, json=body).status_code
                    except httpx.HTTPError:
                        status = 0
                    self.sent += 1
                    self.statuses[status] = self.statuses.get(status, 0) + 1


def processes_running(*words: str) -> list[int]:
    """Pids whose command line holds all of ``words`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = " ".join(a.decode(errors="replace") for a in argv)
        if (
            entry.name.isdigit()
            and int(entry.name) != os.getpid()
            and all(w in text for w in words)
        ):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("workers", [1, 2])
def test_an_ingest_beside_a_serving_process_goes_through_it(tmp_path: Path, workers: int) -> None:
    data = tmp_path / "data"
    env = {
        "NEWSQA_SERVER__WORKERS": str(workers),
        "NEWSQA_DATA__DIR": str(data),
        "NEWSQA_ANSWER__MODE": "extractive",
        "NEWSQA_RETRIEVAL__REFRESH_INTERVAL_S": str(REFRESH_S),
        "NEWSQA_RATE_LIMIT__ENABLED": "false",
    }
    first = run_ingest(env, str(CORPUS))  # no service yet: the CLI owns the folder itself
    assert first.returncode == 0 and "5 added" in first.stdout, first.stderr
    new = tmp_path / "new"
    new.mkdir()
    for name, (text, _) in NEW_DOCS.items():
        (new / name).write_text(text, encoding="utf-8")

    service = ServiceProcess(env, tmp_path / "svc.log").start()
    try:
        service.wait_healthy()
        owner = read_owner(data / "chroma")
        assert owner is not None and owner.kind == "service" and owner.url == service.url
        servers = processes_running("chroma", "run", "--path", str(data / "chroma"))
        assert len(servers) == (1 if workers > 1 else 0), servers
        loop = AskLoop(service.url)
        loop.start()
        time.sleep(1.0)
        done = run_ingest(env, str(new))  # another process, while requests run
        finished_at = time.monotonic()
        assert done.returncode == 0, done.stderr
        assert f"{len(NEW_DOCS)} added" in done.stdout
        for name, (_, question) in NEW_DOCS.items():

            def answers(question: str = question, name: str = name) -> bool:
                # Several answers in a row, each on a new connection: any worker may take one.
                for _ in range(2 * workers):
                    r = httpx.post(f"{service.url}/ask", json={"question": question}, timeout=30)
                    if not (r.status_code == 200 and cites(r.json(), name)):
                        return False
                return True

            wait_for(answers, timeout_s=REFRESH_S + 5)
        print(
            f"\nall new documents answered {time.monotonic() - finished_at:.2f} s after the ingest"
        )
        assert run_ingest(env, "--check", str(new)).returncode == 0  # through the service too
        gone = run_ingest(env, "--remove", "008_bakery.txt")
        assert gone.returncode == 0 and "1 removed" in gone.stdout, gone.stderr
        time.sleep(1.0)
        loop.done.set()
        loop.join()
        print(f"request loop: {loop.sent} requests, statuses {loop.statuses}")
        assert set(loop.statuses) == {200} and loop.sent > 10
        sources = httpx.get(f"{service.url}/sources", timeout=30).json()["sources"]
        assert {s["source"] for s in sources} >= set(NEW_DOCS) - {"008_bakery.txt"}
    finally:
        service.stop()
    assert "Traceback" not in service.tail(), service.tail()
    assert read_owner(data / "chroma") is None  # released on a clean stop
    assert not processes_running("chroma", "run", "--path", str(data / "chroma"))
