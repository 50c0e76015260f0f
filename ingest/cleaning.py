"""Decide, line by line, what in a scraped article is article text and what is not.

Scraped news pages carry site chrome (logos, navigation, app adverts), teaser links
("Read also: ..."), headers (title, date, byline) and lines broken in the middle of a
sentence. Each decision here is a structural rule about how such pages are built, not a
list of known lines: a rule must hold for articles we have never seen.

The output keeps character offsets into the original text so that every sentence can be
cited by its span and found word for word in the file.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

# Sentence-final punctuation, optionally followed by closing quotes or brackets, and by
# bracketed reference notes that wikis and papers put after a sentence ("[12]",
# "[citation needed]").
_TERMINAL = re.compile(r"""[.!?…]["'”’»)\]]*(?:\[[^\[\]\n]{1,40}\])*$""")
# A line that ends so that the sentence obviously goes on (comma, dash, colon...).
_OPEN_END = re.compile(r"[,;:\-–—(\[“\"]$")
# Teaser and cross-link lines: "Read also: ...", "See more: ...", "Related: ...".
_TEASER = re.compile(
    r"^(?:read|see|watch|listen|related|more|also read|read more|see also)"
    r"(?:\s+(?:also|more|next))?\s*[:|>»-]",
    re.IGNORECASE,
)
# A leading date header such as "date 2025-12-03 Title..." or "2025-12-03".
_DATE_HEADER = re.compile(
    r"^\s*(?:date|published|updated)?\s*[:\-]?\s*(?P<date>\d{4}-\d{2}-\d{2})\b\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
# A date in a file name, year first: "2025-01-10-floods.txt", "floods_20250110.html".
# Year-first only, with one separator used throughout (or none) and no digit either side,
# so that ids and numbers in names ("report-2024-final", "000_412d1c09") are not read as
# dates; the three numbers are then checked as a calendar day by ``datetime.date``.
_NAME_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-_.]?)(?P<m>\d{2})(?P=sep)(?P<d>\d{2})(?!\d)"
)
# A byline: "By Staff, Agencies", "By Jane Doe".
_BYLINE = re.compile(r"^by\s+\S.{0,80}$", re.IGNORECASE)
# Closed-class English words a sentence cannot end on: a line ending in one was broken.
_CONTINUATION_WORDS = frozenset(
    (
        "a an the and or but nor of to in on at by for with from into onto about as than "
        "that which who whom whose where when while if because although though since "
        "until said says told added noted stressed claimed is are was were be been has "
        "have had his her their its our your my this these those"
    ).split()
)
# Chrome runs: short lines in a row, most of them without sentence punctuation.
_SHORT_LINE_WORDS = 15
_MIN_CHROME_RUN = 3


@dataclass(frozen=True)
class Piece:
    """A stretch of the original text, by character offsets [start, end)."""

    start: int
    end: int


@dataclass
class LogicalLine:
    """One or more physical lines joined because a sentence runs across them."""

    pieces: list[Piece]
    text: str  # the pieces' text joined with single spaces

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def punctuated(self) -> bool:
        return bool(_TERMINAL.search(self.text))


@dataclass
class CleanDocument:
    """What cleaning keeps: prose lines (with offsets) and header metadata."""

    prose: list[LogicalLine]
    title: str | None = None
    date: str | None = None
    byline: str | None = None
    site: str | None = None
    url: str | None = None  # a page's canonical URL (HTML metadata)
    domain: str | None = None  # its domain
    date_source: str | None = None  # "text" (a header line) or "html" (page metadata)
    headings: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, text)


def _physical_lines(text: str) -> list[Piece | None]:
    """Non-blank lines as pieces (stripped); a blank line is None."""
    out: list[Piece | None] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            out.append(Piece(pos + lead, pos + lead + len(stripped)))
        else:
            out.append(None)
        pos += len(raw)
    return out


def _continues(prev: str, nxt: str) -> bool:
    """Whether the line ``prev`` was broken mid-sentence and ``nxt`` carries on with it."""
    if _TERMINAL.search(prev):
        return False
    if nxt[:1].islower():
        return True
    if _OPEN_END.search(prev):
        return True
    last_word = re.sub(r"\W+$", "", prev.rsplit(None, 1)[-1]).lower()
    return last_word in _CONTINUATION_WORDS


def join_broken_lines(text: str) -> list[LogicalLine]:
    """Join physical lines into logical lines where a sentence was broken over them.

    A sentence broken over a line (or a blank line) is recognised by how the first part
    ends (no sentence punctuation, and a comma, a dash or a word a sentence cannot end on)
    or by how the next part starts (a lower-case letter).
    """
    lines = [p for p in _physical_lines(text) if p is not None]
    out: list[LogicalLine] = []
    for piece in lines:
        chunk = text[piece.start : piece.end]
        if out and _continues(out[-1].text, chunk):
            out[-1].pieces.append(piece)
            out[-1].text = f"{out[-1].text} {chunk}"
        else:
            out.append(LogicalLine([piece], chunk))
    return out


def _chrome_runs(lines: list[LogicalLine]) -> set[int]:
    """Indexes of lines inside runs of short lines that are mostly unpunctuated.

    Navigation bars, "alternative takes" boxes and app adverts are runs of short lines,
    most of them labels without sentence punctuation; a slogan inside such a run that does
    end with a full stop is still part of the advert. Two punctuated lines in a row are
    prose (an article of short sentences), never chrome.
    """
    chrome: set[int] = set()
    run: list[int] = []
    punct = [line.punctuated for line in lines]
    prose_pair = {
        i
        for i in range(len(lines))
        if punct[i] and ((i > 0 and punct[i - 1]) or (i + 1 < len(lines) and punct[i + 1]))
    }

    def close() -> None:
        if len(run) >= _MIN_CHROME_RUN:
            unpunctuated = sum(1 for i in run if not lines[i].punctuated)
            if unpunctuated * 2 >= len(run):
                chrome.update(run)
        run.clear()

    for i, line in enumerate(lines):
        if line.words <= _SHORT_LINE_WORDS and i not in prose_pair:
            run.append(i)
        else:
            close()
    close()
    return chrome


def clean(text: str) -> CleanDocument:
    """Split a document's text into prose lines and metadata, dropping boilerplate."""
    lines = join_broken_lines(text)
    doc = CleanDocument(prose=[])
    chrome = _chrome_runs(lines)
    seen_prose = False
    for i, line in enumerate(lines):
        t = line.text
        if not seen_prose and doc.date is None and (m := _DATE_HEADER.match(t)):
            doc.date = m.group("date")
            doc.date_source = "text"
            rest = m.group("rest").strip()
            if rest and not doc.title:
                doc.title = rest
            continue
        if _TEASER.match(t):
            doc.dropped.append(("teaser", t))
            continue
        if not seen_prose and _BYLINE.match(t) and not line.punctuated:
            doc.byline = t
            continue
        if i in chrome or not line.punctuated:
            # Before the first prose line, the first unpunctuated line of several words
            # is the headline; later ones are section headings; the rest is chrome.
            markdown_heading = t.startswith("#")
            if not seen_prose and doc.title is None and (line.words >= 4 or markdown_heading):
                doc.title = t.lstrip("#").strip()
            elif i in chrome:
                doc.dropped.append(("chrome", t))
            else:
                doc.headings.append(t)
            continue
        seen_prose = True
        doc.prose.append(line)
    return doc


def from_blocks(blocks: list[str]) -> tuple[str, CleanDocument]:
    """A text made of blocks already separated from page chrome (an HTML page's paragraphs,
    headings, list items and table rows, see ``ingest.html``), one block per line, and its
    prose: every block except teaser links. None of the line rules above apply: the blocks
    come from the page's own structure, so a heading or a list item is kept as it is."""
    doc = CleanDocument(prose=[])
    parts: list[str] = []
    pos = 0
    for block in blocks:
        if _TEASER.match(block):
            doc.dropped.append(("teaser", block))
            continue
        doc.prose.append(LogicalLine([Piece(pos, pos + len(block))], block))
        parts.append(block)
        pos += len(block) + 2
    return "\n\n".join(parts), doc


def date_in_name(name: str) -> str | None:
    """The ISO date a file's name carries, the last resort when neither metadata, the page
    nor a header line dates a document ("2025-01-10-floods.txt" -> "2025-01-10").

    A file's modification time is not used: copying or checking out a folder resets it,
    which would date every article by the day it was copied.
    """
    for m in _NAME_DATE.finditer(Path(name).stem):
        try:
            return datetime.date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat()
        except ValueError:
            continue
    return None
