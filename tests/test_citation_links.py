"""Citation links and verified marks (issue 25 §3), through the real app and a real index.

Citations in /ask, /ask/stream and /v1/chat/completions carry their document's title, date
and url (null when unknown), a link to the sentence on the original page, and whether the
service checked the text; ``GET /sources/{source}/sentences/{n}`` has the link as ``url``;
``GET /read/{source}?sentence=n`` is the reader page, escaped and under a strict CSP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import make_settings

WEB_SOURCE = "harbour_bridge.txt"
WEB_URL = "https://www.news.example/harbour?id=7"
WEB_TEXT = """Kestrel Bridge closes for repairs

The Kestrel Bridge in Tarvik will close on Monday for three weeks of repairs, the city engineer \
Marta Lindqvist said.
Lindqvist said the steel joints of the Kestrel Bridge had worn faster than expected.
Ferries will carry commuters across the harbour while the Kestrel Bridge is closed.
"""
FILE_SOURCE = "museum_label.txt"
SCRIPT = "<script>window.__pwned = 1</script>"
FILE_TEXT = f"""Museum label misprinted

The curator Oskar Brandt said the new exhibit label printed {SCRIPT} by mistake.
Brandt said the misprinted exhibit label will be replaced before the museum reopens.
"""
QUESTION = "Why will the Kestrel Bridge close?"
META_KEYS = ("title", "date", "url", "link")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("citation-links"))
    with TestClient(create_app(settings)) as c:
        for body in (
            {"source": WEB_SOURCE, "text": WEB_TEXT, "url": WEB_URL, "date": "2026-11-30"},
            {"source": FILE_SOURCE, "text": FILE_TEXT},
        ):
            r = c.post("/documents", json=body)
            assert r.status_code == 201, r.text
        yield c


def sentence_no(client: TestClient, source: str, contains: str) -> int:
    doc = client.get(f"/sources/{source}").json()
    return next(s["sentence"] for s in doc["sentences"] if contains in s["text"])


def check_citation(client: TestClient, c: dict[str, object]) -> None:
    """One citation against GET /sources, the one record of a document's metadata."""
    listed = {s["source"]: s for s in client.get("/sources").json()["sources"]}[c["source"]]
    for key in META_KEYS:
        assert key in c, f"{key} missing (it must be null when unknown): {c}"
    assert (c["title"], c["date"], c["url"]) == (listed["title"], listed["date"], listed["url"])
    assert c["verified"] is True
    truth = client.get(f"/sources/{c['source']}/sentences/{c['sentence']}").json()
    assert c["text"] == truth["text"]
    if c["url"]:
        assert c["link"] == truth["url"]
        assert str(c["link"]).startswith(WEB_URL + "#:~:text=")
    else:
        assert c["link"] is None


def test_ask_citations_carry_their_documents_metadata_and_are_verified(
    client: TestClient,
) -> None:
    body = client.post("/ask", json={"question": QUESTION}).json()
    assert not body["refused"] and body["citations"], body
    for c in body["citations"]:
        check_citation(client, c)
    web = [c for c in body["citations"] if c["source"] == WEB_SOURCE]
    assert web and web[0]["date"] == "2026-11-30"
    assert web[0]["title"] == "Kestrel Bridge closes for repairs"


def test_a_document_without_url_or_date_gives_nulls(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "What did Brandt say about the label?"}).json()
    files = [c for c in body["citations"] if c["source"] == FILE_SOURCE]
    assert files, body
    for c in files:
        check_citation(client, c)
        assert c["date"] is None and c["url"] is None and c["link"] is None


def test_stream_and_chat_completions_citations_carry_the_same(client: TestClient) -> None:
    want = client.post("/ask", json={"question": QUESTION}).json()["citations"]
    with client.stream("POST", "/ask/stream", json={"question": QUESTION}) as r:
        text = "".join(r.iter_text())
    final = re.search(r"event: final\r?\ndata: (.*)\r?\n", text)
    assert final, text
    assert json.loads(final.group(1))["citations"] == want
    chat = client.post(
        "/v1/chat/completions",
        json={"model": "newsqa", "messages": [{"role": "user", "content": QUESTION}]},
    )
    assert chat.status_code == 200, chat.text
    assert chat.json()["citations"] == want


def test_sentence_url_is_the_original_with_a_text_fragment(client: TestClient) -> None:
    n = sentence_no(client, WEB_SOURCE, "steel joints")
    body = client.get(f"/sources/{WEB_SOURCE}/sentences/{n}").json()
    base, directive = body["url"].split("#:~:text=")
    assert base == WEB_URL
    start, end = (unquote(t) for t in directive.split(","))
    assert body["text"].startswith(start) and end in body["text"]
    assert (start, end) == ("Lindqvist said the steel", "worn faster than expected")


def test_sentence_url_without_a_document_url_is_the_reader_page(client: TestClient) -> None:
    n = sentence_no(client, FILE_SOURCE, "curator")
    url = client.get(f"/sources/{FILE_SOURCE}/sentences/{n}").json()["url"]
    assert url == f"http://testserver/read/{FILE_SOURCE}?sentence={n}"
    assert client.get(url).status_code == 200


def inline(html: str, tag: str) -> str:
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
    assert len(found) == 1, found
    return str(found[0])


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_reader_page_highlights_the_cited_sentence(client: TestClient) -> None:
    n = sentence_no(client, WEB_SOURCE, "steel joints")
    r = client.get(f"/read/{WEB_SOURCE}", params={"sentence": n})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    cited = re.findall(r'<mark class="s cited" id="s(\d+)"[^>]*>(.*?)</mark>', html)
    assert cited == [
        (
            str(n),
            "Lindqvist said the steel joints of the Kestrel Bridge had worn faster than expected.",
        )
    ]
    assert "<h1>Kestrel Bridge closes for repairs</h1>" in html
    assert '<p class="site">news.example</p>' in html and "2026-11-30" in html
    sentences = client.get(f"/sources/{WEB_SOURCE}").json()["sentences"]
    assert len(re.findall(r'class="s( cited)?" id="s\d+"', html)) == len(sentences)
    # the original, opened at the same sentence as the sentences endpoint's link
    link = client.get(f"/sources/{WEB_SOURCE}/sentences/{n}").json()["url"]
    assert f'href="{link.replace("&", "&amp;")}"' in html


def test_reader_page_runs_only_its_own_style_and_script(client: TestClient) -> None:
    r = client.get(f"/read/{WEB_SOURCE}", params={"sentence": 1})
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert f"style-src {sha256(inline(r.text, 'style'))}" in csp
    assert f"script-src {sha256(inline(r.text, 'script'))}" in csp
    assert "http" not in csp  # nothing loaded from anywhere
    assert r.headers["x-content-type-options"] == "nosniff"


def test_reader_page_shows_article_markup_as_text(client: TestClient) -> None:
    r = client.get(f"/read/{FILE_SOURCE}")
    assert r.status_code == 200
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in r.text
    assert "<script>window" not in r.text
    assert r.text.count("<script>") == 1  # the page's own, allowed by its hash
    assert "<mark" not in r.text  # no sentence asked for, none highlighted
    assert 'class="links"' not in r.text  # no URL, no link to an original


@pytest.mark.parametrize(
    ("path", "status", "mentions"),
    [
        ("/read/nope.txt", 404, "unknown source"),
        ("/read/nope.txt?sentence=1", 404, "unknown source"),
        (f"/read/{FILE_SOURCE}?sentence=0", 404, "out of range"),
        (f"/read/{FILE_SOURCE}?sentence=999", 404, "out of range"),
        (f"/read/{FILE_SOURCE}?sentence=two", 422, "sentence"),
    ],
)
def test_reader_page_errors_are_json_like_the_sentences_endpoint(
    client: TestClient, path: str, status: int, mentions: str
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    assert mentions in r.json()["detail"]


def test_reader_page_needs_a_read_key_when_keys_are_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, auth={"read_keys": ["reader-key"]})
    client = TestClient(create_app(settings))
    r = client.get(f"/read/{FILE_SOURCE}")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
