"""Fixtures for the widget's browser tests: the real service in a subprocess, and Chromium.

The service is started the way an operator starts it (``python -m ingest`` then
``python -m service``) on a free loopback port, with its index in a temporary folder, so
the widget is tested against real answers, real citations and real errors. The index holds
the five articles plus one extra document whose sentence contains HTML, for the XSS test,
and one page of a local news site indexed from its feed (``python -m ingest --feed``), so
that a citation has a URL, a date and a site: the widget links the original page.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make browser-deps``), driven by
the pip ``playwright`` package; ``playwright install`` is never needed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.feed_site import Page, Site, rss
from tests.processes import stop

from .helpers import (
    DISPUTE_REPORTS,
    FIRE_REPORTS,
    NEWS_PAGE,
    NEWS_PATH,
    XSS_COPY,
    XSS_DOCUMENT,
    XSS_SOURCE,
    intranet_page,
)

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

DEPLOYED_KEY = "widget-test-read-key"
DEPLOYED_LIMIT = "3/minute"

# Set to the URL of an already running service to debug against it instead of starting one
# (it must have indexed data/articles and the XSS document above).
EXTERNAL_URL_ENV = "NEWSQA_BROWSER_BASE_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _service_env(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment of one service process: its own index copy, port and settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "OPENAI_"))}
    env.update(
        NEWSQA_DATA__DIR=str(data_dir),
        NEWSQA_CHROMA__PATH=str(data_dir / "chroma"),
        NEWSQA_SERVER__HOST="127.0.0.1",
        NEWSQA_SERVER__PORT=str(port),
        NEWSQA_ANSWER__MODE="extractive",
        # explicit, so that a developer's .env cannot turn keys or tight limits on
        NEWSQA_AUTH__READ_KEYS="[]",
        NEWSQA_AUTH__ADMIN_KEYS="[]",
        NEWSQA_OBSERVABILITY__LOG_FORMAT="text",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.update({f"NEWSQA_{k.upper()}": v for k, v in settings.items()})
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


@contextmanager
def _running_service(index: Path, tmp: Path, **settings: str) -> Iterator[str]:
    """``python -m service`` on a copy of ``index`` (embedded Chroma is one process's)."""
    data_dir = tmp / "data"
    shutil.copytree(index, data_dir)
    port = _free_port()
    env = _service_env(data_dir, port, **settings)
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
        stop(proc)


@pytest.fixture(scope="session")
def news_site() -> Iterator[str]:
    """A news site on a loopback port: a feed with one article page (``NEWS_PAGE``), alive
    for the whole session so that the widget's "original" links open it."""
    site = Site().start()
    site.routes["/feed.xml"] = rss(
        ("Bridge", f"{site.url}{NEWS_PATH}", "Mon, 30 Nov 2026 08:00:00 GMT")
    )
    site.routes[NEWS_PATH] = Page(NEWS_PAGE)
    try:
        yield site.url
    finally:
        site.stop()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, news_site: str) -> Path:
    """A data folder with the articles, the XSS document and a reprint of it (one story
    of two copies), two reports of a fire that disagree on its toll, a claim and its
    denial, an arrest and a later report of the release, indexed by ``python
    -m ingest``, and the news site's page indexed from its feed."""
    tmp = tmp_path_factory.mktemp("newsqa-index")
    extra = tmp / "extra"
    extra.mkdir()
    (extra / XSS_SOURCE).write_text(XSS_DOCUMENT, encoding="utf-8")
    (extra / XSS_COPY).write_text(XSS_DOCUMENT, encoding="utf-8")
    for name, text in {**FIRE_REPORTS, **DISPUTE_REPORTS}.items():
        (extra / name).write_text(text, encoding="utf-8")
    index = tmp / "index"
    env = _service_env(index, _free_port())
    env.update(NEWSQA_FEEDS__PER_SITE_INTERVAL_S="0", NEWSQA_FEEDS__RETRIES="0")
    for args in (["data/articles", str(extra)], ["--feed", f"{news_site}/feed.xml"]):
        ingest = subprocess.run(
            [sys.executable, "-m", "ingest", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert ingest.returncode == 0, f"ingest failed:\n{ingest.stdout}\n{ingest.stderr}"
    return index


@pytest.fixture(scope="session")
def service_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a real newsqa service as run locally: no keys, default limits."""
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        yield external.rstrip("/")
        return
    # requested lazily, so that the external mode needs no ingest
    index = request.getfixturevalue("index_dir")
    with _running_service(index, tmp_path_factory.mktemp("newsqa-local")) as base:
        yield base


class _IntranetPage(BaseHTTPRequestHandler):
    """Serves ``/wiki?api=<service url>&key=<api key>``: a page that embeds the widget."""

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        body = intranet_page(query.get("api", [""])[0], query.get("key", [""])[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def intranet_origins() -> Iterator[tuple[str, str]]:
    """Two real loopback web sites on their own ports (so, other origins than the service):
    the intranet the service lets in, and a stranger it does not list."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _IntranetPage) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        allowed, stranger = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        yield allowed, stranger
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def deployed_service(
    index_dir: Path,
    intranet_origins: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, str]]:
    """The real service as deployed for an intranet: the intranet's origin allowed by CORS,
    an API key required, and a rate limit tight enough to reach in a test."""
    allowed, stranger = intranet_origins
    settings = {
        "server__cors_origins": json.dumps([allowed]),
        "auth__read_keys": json.dumps([DEPLOYED_KEY]),
        "rate_limit__ask": DEPLOYED_LIMIT,
    }
    with _running_service(index_dir, tmp_path_factory.mktemp("newsqa-deployed"), **settings) as b:
        yield {"api": b, "key": DEPLOYED_KEY, "intranet": allowed, "stranger": stranger}


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
