"""Citation markers in a model's answer: parsed, assigned to sentences, renumbered.

Models write ``[n]`` in many ways: ``[1]``, ``[1, 2]``, ``[1][2]``, ``[1-3]``, ``【1】``,
``[^1]``, ``[Evidence 2]``, before or after the full stop. :func:`split_marked` strips
them from the text and gives each answer sentence the evidence numbers it cites, whatever
the style. Which of those numbers point at real evidence, and which of the real ones
support the sentence, is decided in ``service.answering.verification``.
:class:`CitationBook` then numbers the surviving citations 1..n in order of first
appearance, so that the answer's ``[n]`` refer to ``citations[n-1]``, as in extractive mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.answering.base import Citation
from service.answering.copies import fold
from service.index.catalog import Scope
from service.index.corpus import CorpusSnapshot
from service.language.sentences import segment
from service.retrieval.evidence import SentenceRef

_OPEN = r"(?:\[\^?|【|［|〔)"
_CLOSE = r"(?:\]|】|］|〕)"
_LABEL = r"(?:(?:evidence|sources?|refs?|references?|docs?|sentences?|citations?|cite)\s*)?#?"
_NUM_LIST = r"\d{1,3}(?:\s*(?:,|;|/|&|and|-|–|—|to)\s*#?\d{1,3})*"
MARKER = re.compile(rf"\s*{_OPEN}\s*{_LABEL}\s*(?P<body>{_NUM_LIST})\s*{_CLOSE}", re.IGNORECASE)
# "[^1]: ..." or "[1] source.txt ..." lines some models append as a reference list.
_FOOTNOTE_LINE = re.compile(rf"^\s*{_OPEN}\s*\d{{1,3}}\s*{_CLOSE}\s*:.*$", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
# "Answer:", "The evidence is:" — framing some models put before the answer itself.
_LABEL_PREFIX = re.compile(
    r"^\s*(?:(?:the\s+)?(?:evidence|answer|response|reply|summary)"
    r"(?:\s+(?:is|says|shows|includes))?\s*:|the\s+evidence\s+(?:is|shows|suggests)\s+that)\s*",
    re.IGNORECASE,
)
# The model repeating the evidence's own annotation: "(from 000_x.txt, sentence 4; ...)".
_ECHO = re.compile(r"\(?\bfrom \S+\.(?:txt|md|html?), sentence \d+[^)\n]*\)?", re.IGNORECASE)
_MAX_RANGE = 10


@dataclass(frozen=True)
class MarkedSentence:
    """One sentence of an answer, its markers removed, and the numbers it cited."""

    text: str
    markers: tuple[int, ...] = ()


def marker_numbers(body: str) -> list[int]:
    """``"1, 2"`` → [1, 2]; ``"1-3"`` → [1, 2, 3] (short ranges only)."""
    out: list[int] = []
    parts = re.split(r"\s*(,|;|/|&|and|-|–|—|to)\s*", body, flags=re.IGNORECASE)
    i = 0
    while i < len(parts):
        n = int(parts[i].lstrip("#"))
        if i + 2 < len(parts) and parts[i + 1].lower() in {"-", "–", "—", "to"}:
            m = int(parts[i + 2].lstrip("#"))
            if n <= m <= n + _MAX_RANGE:
                out.extend(range(n, m + 1))
            else:
                out.extend([n, m])
            i += 3
            continue
        out.append(n)
        i += 2
    return list(dict.fromkeys(out))


def _strip_markers(line: str) -> tuple[str, list[tuple[int, list[int]]]]:
    """The line without markers, and (offset in the stripped line, numbers) per marker."""
    out: list[str] = []
    found: list[tuple[int, list[int]]] = []
    pos = 0
    length = 0
    for m in MARKER.finditer(line):
        chunk = line[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        found.append((length, marker_numbers(m.group("body"))))
        pos = m.end()
        nxt = line[pos : pos + 1]
        if nxt and not nxt.isspace() and nxt not in ".,;:!?)”\"'" and length:
            out.append(" ")
            length += 1
    out.append(line[pos:])
    return "".join(out), found


def split_marked(answer: str) -> list[MarkedSentence]:
    """The answer's sentences with the markers each one carries.

    A marker belongs to the sentence it follows ("… said. [1]" and "… said [1]." alike),
    except on a line that opens with one: there the markers number the sentences they
    precede ("[1] … said. [2] … added."), the way small models copy a numbered evidence list.
    A line of markers alone belongs to the line above.
    """
    text = _ECHO.sub("", _FOOTNOTE_LINE.sub("", answer))
    sentences: list[MarkedSentence] = []
    for raw_line in text.splitlines():
        line = _LABEL_PREFIX.sub("", _BULLET.sub("", raw_line)).strip()
        if not line:
            continue
        leading = MARKER.match(line) is not None and MARKER.sub("", line).strip() != ""
        stripped, markers = _strip_markers(line)
        spans = [s for s in segment(stripped) if s.sent.strip()]
        if not spans:
            if markers and sentences:  # a line of markers only: they cite the line above
                last = sentences[-1]
                extra = [n for _, nums in markers for n in nums]
                sentences[-1] = MarkedSentence(last.text, _merge(last.markers, extra))
            continue
        numbers: list[list[int]] = [[] for _ in spans]
        for offset, nums in markers:
            if leading:  # the sentence the marker precedes
                index = next((i for i, s in enumerate(spans) if s.start >= offset), len(spans) - 1)
            else:  # the sentence the marker follows
                index = max((i for i, s in enumerate(spans) if s.start < offset), default=0)
            numbers[index].extend(nums)
        for span, nums in zip(spans, numbers, strict=True):
            clean = re.sub(r"\s+", " ", span.sent).strip()
            clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
            if clean:
                sentences.append(MarkedSentence(clean, tuple(dict.fromkeys(nums))))
    return sentences


def _merge(a: tuple[int, ...], b: list[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys([*a, *b]))


@dataclass
class CitationBook:
    """Citations numbered 1..n in order of first appearance, one per (source, sentence).

    With the snapshot, copies of one story are one citation: a claim's references are
    folded to their clusters' originals (``service.answering.copies``) before numbering."""

    citations: list[Citation] = field(default_factory=list)
    _ids: dict[tuple[str, int], int] = field(default_factory=dict)
    snapshot: CorpusSnapshot | None = None
    scope: Scope | None = None  # the members the request admits (None: all)

    def cite(self, ref: SentenceRef) -> int:
        key = (ref.source, ref.sentence)
        if key not in self._ids:
            self._ids[key] = len(self.citations) + 1
            self.citations.append(Citation(self._ids[key], ref.source, ref.sentence, ref.text))
        return self._ids[key]

    def cite_claim(self, refs: list[SentenceRef]) -> list[int]:
        """The ids of one claim's references: one per story cluster, its original's."""
        snap = self.snapshot
        at = [snap.position.get((r.source, r.sentence)) for r in refs] if snap else []
        if snap is None or None in at:
            return list(dict.fromkeys(self.cite(r) for r in refs))
        ids = []
        for cited in fold(snap, [p for p in at if p is not None], self.scope):
            s = snap.sentences[cited.position]
            key = (s.source, s.number)
            if key not in self._ids:
                self._ids[key] = len(self.citations) + 1
                self.citations.append(
                    Citation(
                        self._ids[key],
                        s.source,
                        s.number,
                        s.text,
                        also_carried_by=cited.carriers(snap),
                    )
                )
            ids.append(self._ids[key])
        return list(dict.fromkeys(ids))


def with_markers(text: str, ids: list[int]) -> str:
    """A sentence followed by its markers, in the style extractive answers use."""
    return f"{text} {''.join(f'[{i}]' for i in ids)}" if ids else text
