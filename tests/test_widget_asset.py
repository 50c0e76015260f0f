"""Fast checks of the widget as a served file: type, caching, size budget, no HTML sinks.

Only the widget router is mounted: these need no index and no browser.
"""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.settings import PROJECT_ROOT
from service.widget import widget_router

WIDGET_JS = PROJECT_ROOT / "widget" / "widget.js"
BUDGET_GZIP_BYTES = 30 * 1024


@pytest.fixture(scope="module")
def widget_client() -> TestClient:
    app = FastAPI()
    app.include_router(widget_router)
    return TestClient(app)


def test_widget_js_is_served_as_javascript_with_a_cache_header(widget_client: TestClient) -> None:
    r = widget_client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "max-age=" in r.headers["cache-control"]
    assert r.content == WIDGET_JS.read_bytes()
    again = widget_client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert widget_client.head("/widget.js").status_code == 200


def test_widget_js_fits_the_gzip_budget(widget_client: TestClient) -> None:
    body = widget_client.get("/widget.js").content
    size = len(gzip.compress(body, compresslevel=9))
    print(
        f"\nwidget.js: {len(body)} bytes, {size} bytes gzipped "
        f"({size / 1024:.1f} KB of {BUDGET_GZIP_BYTES // 1024} KB)"
    )
    assert size <= BUDGET_GZIP_BYTES


def test_widget_js_never_parses_data_as_html() -> None:
    source = WIDGET_JS.read_text()
    sinks = re.findall(
        r".*\b(?:innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval)\b.*", source
    )
    # the one innerHTML is the constant shell template; everything else uses textContent
    assert [s.strip() for s in sinks] == [
        "tpl.innerHTML = SHELL; // a constant: no data ever goes through innerHTML"
    ]
    assert "SHELL =" in source and "+ cfg" not in source.split("SHELL =")[1].split(";")[0]


def test_demo_page_embeds_the_widget_with_one_script_tag(widget_client: TestClient) -> None:
    r = widget_client.get("/demo")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    scripts = re.findall(r"<script\b[^>]*>", r.text)
    assert len(scripts) == 1 and 'src="/widget.js"' in scripts[0]
    assert "!important" in r.text  # the aggressive host CSS the isolation test relies on
