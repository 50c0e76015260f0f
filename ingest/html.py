"""The main text and metadata of an HTML page, as the reader sees them on the page.

Boilerplate removal (navigation, cookie banners, "related stories", comment forms,
copyright lines) is trafilatura's job: it is the well-kept library for exactly this, and
on its own benchmark (``python -m eval html``) it keeps far more article text and far less
chrome than a hand-written tag filter. What is ours is the step after it: trafilatura
returns the kept content as a small XML tree (``p``, ``head``, ``list``/``item``,
``table``/``row``/``cell``, ``quote``, ``code``, inline ``hi``/``ref``/``lb``), and its
plain-text rendering adds markup a reader never sees ("- " before list items, "|" between
table cells). So the blocks are read from the tree instead: one block per paragraph,
heading, list item or table row, its text exactly the page's text with white space runs
collapsed (a table row's cells and a ``<br>`` become one space, as in the browser's
rendered text). A citation of such a block is then findable word for word on the page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from service.language.sentences import segment

log = logging.getLogger(__name__)
_WS = re.compile(r"\s+")
# Elements of trafilatura's output tree that start a block of their own.
_BLOCKS = frozenset(
    "body p head list item table row quote code div section article main doc".split()
)
_LINE_BREAKS = frozenset({"lb", "br"})
# HTML elements a browser renders on lines of their own (or, for cells, apart from their
# neighbours): in the page's visible text they are separated by white space.
_HTML_BLOCKS = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section "
    "summary table tbody td tfoot th thead tr ul".split()
)
_INVISIBLE = frozenset("head script style template iframe object svg".split())


@dataclass(frozen=True)
class HtmlDocument:
    """What a page says (its blocks, in order) and what it is (title, date, author, site
    name, and its canonical URL and domain when the page names them)."""

    blocks: list[str]
    title: str | None
    date: str | None
    author: str | None
    site: str | None
    url: str | None = None
    domain: str | None = None  # trafilatura's hostname of ``url``: lower case, no "www."


def _collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _inline_text(el: Any) -> str:
    """An inline element's text with line breaks as spaces (its tail is the caller's)."""
    parts = [el.text or ""]
    for child in el:
        parts.append(" " if child.tag in _LINE_BREAKS else _inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _blocks(el: Any) -> Iterator[str]:
    """The element's blocks: its own running text, split where a nested block starts."""
    if el.tag == "row":  # a table row reads as one line: its cells side by side
        text = " ".join(_collapse(_inline_text(cell)) for cell in el)
        if text.strip():
            yield _collapse(text)
        return
    run = [el.text or ""]
    for child in el:
        if child.tag in _BLOCKS:
            if text := _collapse("".join(run)):
                yield text
            yield from _blocks(child)
            run = [child.tail or ""]
        else:
            run.append(" " if child.tag in _LINE_BREAKS else _inline_text(child))
            run.append(child.tail or "")
    if text := _collapse("".join(run)):
        yield text


def visible_text(tree: Any) -> str:
    """The text a reader sees on the page, white space collapsed: what ``innerText`` gives
    in a browser, to the precision that matters for finding a sentence in it (no CSS)."""
    parts: list[str] = []

    def walk(el: Any) -> None:
        if not isinstance(el.tag, str) or el.tag.lower() in _INVISIBLE:
            return
        block = el.tag.lower() in _HTML_BLOCKS
        parts.append(" " if block else "")
        parts.append(el.text or "")
        for child in el:
            walk(child)
            parts.append(child.tail or "")
        parts.append(" " if block else "")

    walk(tree)
    return _collapse("".join(parts))


def _on_page(blocks: list[str], page: str) -> list[str]:
    """Each block as the page renders it.

    trafilatura sometimes loses or adds a space where elements meet ("instructions.Add"
    for "instructions.</li><li>Add", "SK,Azziz" for "SK</span>, <span>Azziz"). A block that
    is not found word for word in the page's visible text is looked up with white space
    ignored, and the page's own stretch of text replaces it. A block found neither way
    (text the page does not show in that order, e.g. a ruby annotation trafilatura dropped
    from the middle of a sentence, or pieces of several elements run together) is looked
    up sentence by sentence the same way; sentences found neither way are left out: a
    citation must be findable on the page.
    """
    squeezed_chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(page):
        if not ch.isspace():
            squeezed_chars.append(ch)
            where.append(i)
    squeezed = "".join(squeezed_chars)

    def find(text: str) -> str | None:
        if text in page:
            return text
        key = _WS.sub("", text)
        at = squeezed.find(key) if key else -1
        return page[where[at] : where[at + len(key) - 1] + 1] if at >= 0 else None

    out = []
    for block in blocks:
        found = find(block)
        if found is not None:
            out.append(found)
            continue
        for span in segment(block):
            piece = span.sent.strip()
            if piece and (found := find(piece)) is not None:
                out.append(found)
            elif piece:
                log.info("left out text the page does not show as extracted: %.60r", piece)
    return out


def extract_html(data: bytes | str) -> HtmlDocument:
    """Main text blocks and metadata of a page; no blocks when trafilatura finds no text."""
    import trafilatura
    from trafilatura.settings import Document
    from trafilatura.utils import load_html

    doc = trafilatura.bare_extraction(
        data,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        include_images=False,
    )
    if not isinstance(doc, Document) or doc.body is None:
        return HtmlDocument([], None, None, None, None)
    blocks = list(_blocks(doc.body))
    page = load_html(data)
    if page is not None:  # trafilatura parsed it once already; this cannot fail in practice
        blocks = _on_page(blocks, visible_text(page))
    return HtmlDocument(
        blocks=blocks,
        title=_clean_meta(doc.title),
        date=_clean_meta(doc.date),
        author=_clean_meta(doc.author),
        site=_clean_meta(doc.sitename or doc.hostname),
        url=_clean_meta(doc.url),
        domain=_clean_meta(doc.hostname),
    )


def _clean_meta(value: Any) -> str | None:
    return _collapse(value) or None if isinstance(value, str) else None
