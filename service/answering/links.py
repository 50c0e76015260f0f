"""Links to a cited sentence: the original page scrolled to it (a URL text fragment).

A text fragment (https://wicg.github.io/scroll-to-text-fragment/) is a fragment directive,
``#:~:text=[prefix-,]textStart[,textEnd][,-suffix]``, that makes a browser scroll to and
highlight the text it names on the page. It must match the text as the page renders it,
and the stored sentence is cleaned text: white space collapsed, lines broken by the site
re-joined. So a term is made only of words the sentence holds verbatim, and stops at any
quote or apostrophe (a site may print ``"`` as ``“`` or ``'`` as ``’``, and a repaired
mojibake apostrophe is not what the page shows). A short sentence is named whole; a long
one by its first and last few words (``textStart,textEnd``: the browser highlights the
range between them, so the middle may differ from the page without breaking the match).
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Words at each end of a long sentence; a sentence of at most SHORT_WORDS words is whole.
EDGE_WORDS = 4
SHORT_WORDS = 10

# Characters a site may render otherwise than the stored text (typographic quotes): a term
# never crosses one.
_QUOTES = frozenset("\"'`´‘’‚‛“”„‟«»‹›′″")
_EDGE = re.compile(r"^\W+|\W+$")


def _runs(sentence: str) -> list[list[str]]:
    """The sentence's words in runs that hold no quote: a word with a quote inside it
    (``Putin's``) is left out, a quote at a word's edge ends the run there."""
    runs: list[list[str]] = [[]]
    for token in sentence.split():
        core = token.strip("".join(_QUOTES))
        if not core or any(c in _QUOTES for c in core):
            runs.append([])
            continue
        if token[0] in _QUOTES:
            runs.append([])
        runs[-1].append(core)
        if token[-1] in _QUOTES:
            runs.append([])
    return [r for r in runs if r]


def _trim(words: list[str]) -> list[str]:
    """Words without the punctuation before the first and after the last (``(Reuters``,
    ``said.``): a term must start and end on a word, and the page's punctuation may differ."""
    out = list(words)
    while out and not _EDGE.sub("", out[0]):
        out.pop(0)
    while out and not _EDGE.sub("", out[-1]):
        out.pop()
    if not out:
        return out
    out[0] = re.sub(r"^\W+", "", out[0])
    out[-1] = re.sub(r"\W+$", "", out[-1])
    return out


def encode_term(term: str) -> str:
    """A term percent-encoded for a text directive: UTF-8, everything but letters, digits
    and ``._~`` encoded (the spec requires ``-``, ``&`` and ``,`` to be)."""
    return quote(term, safe="").replace("-", "%2D")


def text_directive(sentence: str) -> str | None:
    """``text=start[,end]`` naming the sentence on its page, or None when it holds no word
    that can be matched verbatim (only quotes and punctuation)."""
    runs = [t for t in (_trim(r) for r in _runs(sentence)) if t]
    if not runs:
        return None
    words = sum(len(r) for r in runs)
    if len(runs) == 1 and words <= SHORT_WORDS:
        return "text=" + encode_term(" ".join(runs[0]))
    first, last = runs[0], runs[-1]
    start, end = _trim(first[:EDGE_WORDS]), _trim(last[-EDGE_WORDS:])
    return f"text={encode_term(' '.join(start))},{encode_term(' '.join(end))}"


def with_text_fragment(url: str, sentence: str) -> str:
    """``url`` with a text fragment that opens it scrolled to ``sentence``, highlighted.
    A fragment the URL already has is kept (the directive follows it); a directive it
    already has is replaced."""
    directive = text_directive(sentence)
    base, hash_, fragment = url.partition("#")
    fragment = fragment.split(":~:", 1)[0]
    if directive is None:
        return base + (hash_ + fragment if fragment else "")
    return f"{base}#{fragment}:~:{directive}"
