"""Fixtures for the widget's browser tests: the real service in a subprocess, and Chromium.

The service is started the way an operator starts it (``python -m ingest`` then
``python -m service``) on a free loopback port, with its index in a temporary folder, so
the widget is tested against real answers, real citations and real errors. The index holds
the five articles plus one extra document whose sentence contains HTML, for the XSS test.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make browser-deps``), driven by
the pip ``playwright`` package; ``playwright install`` is never needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import XSS_DOCUMENT, XSS_SOURCE

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Set to the URL of an already running service to debug against it instead of starting one
# (it must have indexed data/articles and the XSS document above).
EXTERNAL_URL_ENV = "NEWSQA_BROWSER_BASE_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _service_env(tmp: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "OPENAI_"))}
    env.update(
        NEWSQA_DATA__DIR=str(tmp),
        NEWSQA_CHROMA__PATH=str(tmp / "chroma"),
        NEWSQA_SERVER__HOST="127.0.0.1",
        NEWSQA_SERVER__PORT=str(port),
        NEWSQA_ANSWER__MODE="extractive",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the service exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            r = httpx.get(f"{base}/ready", timeout=2)
            if r.status_code == 200:
                return
            last = r.text
        except httpx.HTTPError as e:
            last = repr(e)
        time.sleep(0.3)
    pytest.fail(
        f"the service was not ready after {timeout_s}s ({last}):\n{log.read_text()[-4000:]}"
    )


@pytest.fixture(scope="session")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real newsqa service with the articles and the XSS document indexed."""
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        yield external.rstrip("/")
        return
    tmp = tmp_path_factory.mktemp("newsqa-browser")
    extra = tmp / "extra"
    extra.mkdir()
    (extra / XSS_SOURCE).write_text(XSS_DOCUMENT, encoding="utf-8")
    port = _free_port()
    env = _service_env(tmp, port)
    ingest = subprocess.run(
        [sys.executable, "-m", "ingest", "data/articles", str(extra)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert ingest.returncode == 0, f"ingest failed:\n{ingest.stdout}\n{ingest.stderr}"
    log = tmp / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, log, timeout_s=300)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def api(service_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client on the same service, to get the expected values."""
    with httpx.Client(base_url=service_url, timeout=60) as client:
        sources = {s["source"] for s in client.get("/sources").json()["sources"]}
        assert XSS_SOURCE in sources and len(sources) >= 6, f"index is missing documents: {sources}"
        yield client


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def context_factory(chromium: Any) -> Iterator[Any]:
    """New browser contexts (fresh sessionStorage); each page's JS errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("viewport", {"width": 1280, "height": 800})
        ctx = chromium.new_context(**kwargs)
        ctx.set_default_timeout(30_000)
        ctx.add_init_script(STATE_RECORDER)
        ctx.on("page", lambda p: p.on("pageerror", lambda e: errors.append(str(e))))
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(context_factory: Any) -> Any:
    ctx = context_factory()
    return ctx.new_page()


# Records every class a message element takes inside the widget's shadow root, so a test can
# see the progress indicator and the streamed text that come before the final answer.
STATE_RECORDER = """
(() => {
  window.__nqaStates = [];
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.target.classList && r.target.classList.contains('msg')) {
          window.__nqaStates.push(r.target.className);
        }
      }
    }).observe(root, {subtree: true, attributes: true, attributeFilter: ['class']});
    return root;
  };
})();
"""
