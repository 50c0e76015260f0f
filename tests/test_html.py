"""HTML pages: main text and metadata through trafilatura, citations findable on the page."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from trafilatura.utils import load_html

from eval.html_bench import BENCH_DIR, load_benchmark
from ingest.html import extract_html, visible_text
from ingest.loaders import read_document
from ingest.sentences import split_sentences
from service.app import create_app
from service.settings import Settings
from tests.conftest import make_ingester

PAGE = """<!doctype html><html lang="en"><head>
<title>Ferry strike ends after two days | Harbour Herald</title>
<meta property="og:site_name" content="Harbour Herald">
<meta name="author" content="Jane Quill">
<meta property="article:published_time" content="2026-03-14T08:00:00Z">
<script>window.ads = [1, 2, 3];</script><style>p { margin: 0 }</style>
</head><body>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
</header>
<main><article>
<h1>Ferry strike ends after two days</h1>
<p>The ferry crews <b>returned to work</b> on Saturday after the union accepted a
   pay offer of <a href="/pay">4.5 per cent</a>.</p>
<p>Services between the two islands were back to the normal timetable by noon,
   the operator said.<br>Some evening sailings were still full.</p>
<h2>What the deal gives</h2>
<ul><li>A rise of 4.5 per cent from April.</li><li>Two extra rest days a year.</li></ul>
<table><tr><th>Route</th><th>Sailings</th></tr><tr><td>North</td><td>12</td></tr></table>
<p>Union leader Sam Reyes called the offer fair and said members had voted 312 to 41
   to accept it.</p>
</article>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Bridge closes for
repairs</a></li><li><a href="/b">Council backs new pier</a></li></ul></aside>
<section id="comments"><h3>Leave a comment</h3><form><textarea></textarea>
<button>Post comment</button></form></section>
</main>
<footer><p>Copyright 2026 Harbour Herald. All rights reserved.</p></footer>
</body></html>"""


def test_main_text_blocks_and_metadata_come_from_the_page() -> None:
    page = extract_html(PAGE.encode())
    assert page.title == "Ferry strike ends after two days"
    assert page.author == "Jane Quill"
    assert page.date == "2026-03-14"
    assert page.site == "Harbour Herald"
    text = "\n".join(page.blocks)
    for chrome in ("cookies", "Sport", "Related stories", "Bridge closes", "Post comment"):
        assert chrome not in text, chrome
    assert "Copyright" not in text
    # One block per paragraph, heading, list item and table row; inline markup and line
    # breaks read as the browser shows them; no "- " or "|" that the page does not show.
    assert page.blocks == [
        "Ferry strike ends after two days",
        "The ferry crews returned to work on Saturday after the union accepted a pay offer "
        "of 4.5 per cent.",
        "Services between the two islands were back to the normal timetable by noon, the "
        "operator said. Some evening sailings were still full.",
        "What the deal gives",
        "A rise of 4.5 per cent from April.",
        "Two extra rest days a year.",
        "Route Sailings",
        "North 12",
        "Union leader Sam Reyes called the offer fair and said members had voted 312 to 41 "
        "to accept it.",
    ]


def test_paragraph_boundaries_are_kept_for_sentences() -> None:
    text, doc = read_document("ferry.html", PAGE.encode())
    sentences = split_sentences(text, doc.prose)
    by_text = {s.text: s.paragraph for s in sentences}
    assert (
        by_text["Some evening sailings were still full."]
        == by_text[
            "Services between the two islands were back to the normal timetable by noon, the "
            "operator said."
        ]
    )
    assert by_text["What the deal gives"] != by_text["Two extra rest days a year."]
    assert doc.title == "Ferry strike ends after two days" and doc.byline == "Jane Quill"


def test_a_page_without_main_text_has_no_blocks() -> None:
    page = extract_html(b"<html><head><script>var x = 1;</script></head><body></body></html>")
    assert page.blocks == []


def test_every_sentence_of_the_benchmark_pages_is_visible_page_text() -> None:
    """On trafilatura's 82 benchmark pages, each stored sentence is a substring of the
    page's visible text (white space collapsed), where trafilatura alone misses spaces."""
    pages = load_benchmark(BENCH_DIR)
    assert len(pages) >= 80, f"benchmark pages missing under {BENCH_DIR}"
    checked = 0
    for item, data in pages:
        text, doc = read_document(item["file"], data)
        shown = visible_text(load_html(data))
        for s in split_sentences(text, doc.prose):
            assert s.text in shown, (item["file"], s.text)
            checked += 1
    assert checked > 5000


def test_citation_lookup_returns_text_found_on_the_page(scratch: Settings, tmp_path: Path) -> None:
    """Index real news pages; every /sources/{s}/sentences/{n} is on the page, word for word."""
    names = ["theguardian.com.academics.html", "cbsnews.com.carolina.html"]
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes((BENCH_DIR / "pages" / name).read_bytes())
        paths.append(path)
    summary = make_ingester(scratch).ingest_paths(paths)
    assert summary.count("added") == 2, summary.outcomes
    with TestClient(create_app(scratch)) as client:
        for path in paths:
            shown = visible_text(load_html(path.read_bytes()))
            doc = client.get(f"/sources/{path.name}").json()
            assert len(doc["sentences"]) >= 10
            assert doc["title"] and "|" not in doc["title"]
            for s in doc["sentences"]:
                one = client.get(f"/sources/{path.name}/sentences/{s['sentence']}")
                assert one.status_code == 200
                assert one.json()["text"] in shown
