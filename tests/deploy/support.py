"""Helpers for the deployment tests: a real `chroma run` server, service processes, apps.

The Chroma server is the one the chromadb package installs (``.venv/bin/chroma``), started
on a free loopback port with its data in a temporary folder; the service processes are
``python -m service`` / ``python -m ingest`` started the way an operator starts them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.app import create_app
from service.components.child_process import free_loopback_port as free_port
from service.components.embeddings import Embedder
from service.settings import Settings
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "articles"
CHROMA_BIN = Path(sys.executable).with_name("chroma")

# A document none of the articles resembles, so that answering from it proves it was seen.
FERRY_SOURCE = "005_ferry.txt"
FERRY_TEXT = (
    "Tallinn Harbour Opens Electric Ferry Route\n\n"
    "Harbour officials in Tallinn said on Tuesday that the electric ferry Saaremaa Spirit "
    "will begin regular service on March 14.\n"
    "The ferry carries 600 passengers and charges its batteries in twelve minutes at each "
    "port, according to the shipyard Baltic Workboats.\n"
    "Port director Kaja Linnamets said the route would cut the harbour's diesel use by a "
    "third.\n"
)
FERRY_QUESTION = "When will the Saaremaa Spirit ferry begin service?"


def cites(answer: dict[str, Any], source: str) -> bool:
    return not answer.get("refused") and any(c["source"] == source for c in answer["citations"])


def wait_for(check: Any, timeout_s: float, interval_s: float = 0.2) -> float:
    """Seconds until ``check()`` is true; fails after ``timeout_s``."""
    started = time.monotonic()
    last: Any = None
    while time.monotonic() - started < timeout_s:
        try:
            last = check()
            if last is True:
                return time.monotonic() - started
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(interval_s)
    pytest.fail(f"not true after {timeout_s}s (last: {last!r})")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without NEWSQA_/OPENAI_ variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "OPENAI_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


class ChromaServer:
    """``chroma run --path DIR --port N`` in a subprocess; can be stopped, paused, restarted."""

    def __init__(self, path: Path, log: Path, args: list[str] | None = None) -> None:
        self.path = path
        self.port = free_port()
        self.log = log
        # The arguments after `chroma` (e.g. docker-compose.yml's command); --path, --port
        # and --host are replaced by this machine's.
        self.args = args or ["run", "--path", "PATH", "--port", "PORT"]
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        args = list(self.args)
        for flag, value in (("--path", str(self.path)), ("--port", str(self.port))):
            args[args.index(flag) + 1] = value
        if "--host" in args:
            args[args.index("--host") + 1] = "127.0.0.1"
        return [str(CHROMA_BIN), *args]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        if not CHROMA_BIN.exists():
            pytest.fail(f"{CHROMA_BIN} is missing: the chromadb package installs it")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=clean_env(),
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"chroma exited with {self.proc.returncode}:\n{self.tail()}")
            if self.alive():
                return
            time.sleep(0.2)
        pytest.fail(f"chroma did not answer its heartbeat in {timeout_s}s:\n{self.tail()}")

    def alive(self) -> bool:
        try:
            return httpx.get(self.url + "/api/v2/heartbeat", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # in case a test paused it
        stop(self.proc)
        self.proc = None

    def pause(self) -> None:
        """Freeze the server: it keeps its port but answers nothing (a hung server)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def base_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data": {"dir": data_dir, "corpus_dir": CORPUS},
        "chroma": {"mode": "embedded", "path": data_dir / "chroma"},
        "llm": {"base_url": None, "api_key": None},
        "answer": {"mode": "extractive"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(**values)


def http_settings(data_dir: Path, server: ChromaServer, **overrides: Any) -> Settings:
    """Settings for the Chroma server, with a collection of the test's own."""
    chroma = {
        "mode": "http",
        "host": "127.0.0.1",
        "port": server.port,
        "collection": f"t_{uuid.uuid4().hex[:12]}",
        **overrides.pop("chroma", {}),
    }
    return base_settings(data_dir, chroma=chroma, **overrides)


def with_(settings: Settings, **sections: dict[str, Any]) -> Settings:
    """A copy of ``settings`` with some sections' fields changed (validated)."""
    data = settings.model_dump()
    for name, values in sections.items():
        data[name] = {**data[name], **values}
    return Settings(**data)


def make_app(settings: Settings, embedder: Embedder) -> FastAPI:
    """The real app, sharing the session's loaded model (loading it again costs seconds)."""
    app = create_app(settings)
    app.state.container.embedder = embedder
    return app


class ServiceProcess:
    """``python -m service`` on a free port, configured by environment variables only."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = clean_env(
            **{**env, "NEWSQA_SERVER__HOST": "127.0.0.1", "NEWSQA_SERVER__PORT": str(self.port)}
        )
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, command: list[str] | None = None) -> ServiceProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command or [sys.executable, "-m", "service"],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        return self

    def wait_healthy(self, timeout_s: float = 120.0) -> None:
        """Up and serving (the model is loaded before the server accepts requests)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the service exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail(f"the service did not start in {timeout_s}s:\n{self.tail()}")

    def stop(self) -> None:
        stop(self.proc, timeout=20)
        self.proc = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def run_ingest(
    env: dict[str, str], *args: str, timeout_s: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest", "-q", *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def http_env(server: ChromaServer, collection: str, data_dir: Path) -> dict[str, str]:
    return {
        "NEWSQA_CHROMA__MODE": "http",
        "NEWSQA_CHROMA__HOST": "127.0.0.1",
        "NEWSQA_CHROMA__PORT": str(server.port),
        "NEWSQA_CHROMA__COLLECTION": collection,
        "NEWSQA_DATA__DIR": str(data_dir),
        "NEWSQA_ANSWER__MODE": "extractive",
    }


def corpus_copy(dest: Path) -> Path:
    shutil.copytree(CORPUS, dest)
    return dest


class LiveServer:
    """The app under the real uvicorn configuration (``service.server``), in a thread of
    this process on a free loopback port: raw sockets can talk to it, and it shares the
    session's loaded model."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        import threading

        import uvicorn

        from service.server import uvicorn_config

        self.port = free_port()
        config = uvicorn_config(app, settings.server)
        config.host, config.port = "127.0.0.1", self.port
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


def serve_the_ferry(tmp_path: Path, server: ChromaServer, collection: str) -> ServiceProcess:
    """``python -m service`` on the Chroma server, serving the ferry document, ready."""
    service = ServiceProcess(
        http_env(server, collection, tmp_path / "svc"), tmp_path / "svc.log"
    ).start()
    service.wait_healthy()
    added = httpx.post(
        f"{service.url}/documents", json={"source": FERRY_SOURCE, "text": FERRY_TEXT}, timeout=60
    )
    assert added.status_code == 201, added.text
    assert httpx.get(f"{service.url}/ready", timeout=10).status_code == 200
    return service


def answers_the_ferry(service: ServiceProcess) -> bool:
    r = httpx.post(f"{service.url}/ask", json={"question": FERRY_QUESTION}, timeout=30)
    return r.status_code == 200 and cites(r.json(), FERRY_SOURCE)
