"""The reader page: an article's sentences as the service indexed them, one highlighted.

A citation names a file and a sentence number; this page shows that sentence in its
article (title, date, site), highlighted and scrolled to, for documents that have no page
of their own to link to (and beside the original for those that do). It is rendered here,
on the server, from the same snapshot ``GET /sources`` reads.

The article text is untrusted (any page a feed lists, any file an operator posts): every
piece of it is HTML-escaped, and the page's Content-Security-Policy allows no resource at
all but its own inline style and script, named by their hashes (so an injected ``<style>``
or ``<script>`` would not run even if escaping failed).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from itertools import groupby
from urllib.parse import urlsplit

from service.answering.links import with_text_fragment
from service.index.sites import site_domain
from service.index.store import DocumentEntry, StoredSentence

CSS = """
:root{color-scheme:light;--a:#1d4ed8;--fg:#1f2937;--mut:#4b5563;--line:#e5e7eb}
*{box-sizing:border-box}
body{margin:0;background:#f8fafc;color:var(--fg);font:17px/1.65 Georgia,"Times New Roman",serif}
main{max-width:44rem;margin:0 auto;padding:2rem 1.25rem 40vh;background:#fff;min-height:100vh}
header{border-bottom:1px solid var(--line);margin-bottom:1.5rem;padding-bottom:1rem}
.site,.meta,.links,footer{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.site{margin:0;color:var(--a);font-weight:600;text-transform:uppercase;letter-spacing:.05em}
h1{font-size:1.7rem;line-height:1.25;margin:.3rem 0 .5rem}
.meta{margin:0;color:var(--mut)}
.meta code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.links{margin:.75rem 0 0}
a{color:var(--a)}
p{margin:0 0 1rem}
.s{border-radius:3px}
mark.cited{background:#fde68a;color:inherit;padding:.1em .15em;
box-shadow:0 0 0 2px #f59e0b;scroll-margin:30vh;
-webkit-box-decoration-break:clone;box-decoration-break:clone}
mark.cited:focus{outline:none}
footer{margin-top:2rem;color:var(--mut);border-top:1px solid var(--line);padding-top:1rem}
"""

# Centre the cited sentence (the browser would put it at the very top, or nowhere without
# a fragment) and give it focus for screen readers.
SCRIPT = (
    "var c=document.querySelector('mark.cited');"
    "if(c){c.scrollIntoView({block:'center'});c.focus({preventScroll:true});}"
)


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


# Nothing but the page's own inline style and script; no images, frames, forms or fetches.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_hash(CSS)}; script-src {_hash(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class ReaderView:
    """What the page shows: a document, its sentences, and the cited one (or None)."""

    doc: DocumentEntry
    sentences: list[StoredSentence]
    cited: int | None = None


def _is_web(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


def _sentence(s: StoredSentence, cited: int | None) -> str:
    text = escape(s.text)
    if s.number == cited:
        return (
            f'<mark class="s cited" id="s{s.number}" tabindex="-1" aria-current="true" '
            f'title="Sentence {s.number}, cited">{text}</mark>'
        )
    return f'<span class="s" id="s{s.number}" title="Sentence {s.number}">{text}</span>'


def render(view: ReaderView) -> str:
    """The page's HTML; every piece of document text escaped."""
    doc, cited = view.doc, view.cited
    title = doc.title or doc.source
    site = doc.site or site_domain(doc.url)
    meta = [escape(doc.date)] if doc.date else []
    meta.append(f"<code>{escape(doc.source)}</code>")
    if cited is not None:
        meta.append(f"sentence {cited} of {doc.sentences}")
    links = ""
    url = doc.url if _is_web(doc.url) else None
    if url:
        cited_text = next((s.text for s in view.sentences if s.number == cited), None)
        href = with_text_fragment(url, cited_text) if cited_text else url
        label = "Open the original page at this sentence" if cited_text else "Open the original"
        links = (
            f'<p class="links"><a href="{escape(href)}" rel="noopener noreferrer">'
            f"{label}</a> on {escape(site or url)}</p>"
        )
    paragraphs = [
        "<p>" + " ".join(_sentence(s, cited) for s in group) + "</p>"
        for _, group in groupby(view.sentences, key=lambda s: s.paragraph)
    ]
    return "".join(
        [
            '<!doctype html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
            "<header>",
            f'<p class="site">{escape(site)}</p>' if site else "",
            f"<h1>{escape(title)}</h1>",
            f'<p class="meta">{" · ".join(meta)}</p>',
            links,
            "</header><article>",
            *paragraphs,
            "</article><footer>The article's sentences as the service indexed them, numbered "
            "as citations number them.",
            " The highlighted sentence is the one cited.</footer>" if cited else "</footer>",
            f"</main><script>{SCRIPT}</script></body></html>",
        ]
    )
