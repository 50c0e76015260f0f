"""Split cleaned prose into numbered sentences that can be found word for word in the file.

Sentence boundaries come from pysbd (rule-based, handles abbreviations such as "U.S."
and quotations), through ``service.language.sentences``: the one splitter of the project.
The text of a sentence is the file's text with runs of white space collapsed to one space
and nothing else changed; its span points into the original file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pysbd.utils import TextSpan

from ingest.cleaning import LogicalLine
from service.language.sentences import segment

# Splits several paragraphs at once: ``segment`` of each (the split cache's ``segment_all``).
SegmentAll = Callable[[list[str]], list[list[TextSpan]]]


def _segment_each(texts: list[str]) -> list[list[TextSpan]]:
    return [segment(t) for t in texts]


_WS = re.compile(r"\s+")
_CLOSERS = "”’\"'»)]"


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document, numbered from 1 in file order."""

    number: int
    text: str
    start: int  # character offset of the first character in the original text
    end: int  # offset one past the last character
    paragraph: int = 0  # index of the (joined) line it comes from, for attribution


def collapse_ws(text: str) -> str:
    """The form in which sentences are stored and compared: white-space runs as one space."""
    return _WS.sub(" ", text).strip()


def _collapsed_with_offsets(source: str, line: LogicalLine) -> tuple[str, list[int]]:
    """The line's text with white space collapsed, and each character's offset in ``source``."""
    chars: list[str] = []
    offsets: list[int] = []
    for n, piece in enumerate(line.pieces):
        if n:
            chars.append(" ")
            offsets.append(piece.start - 1)
        pending_space = -1
        for pos in range(piece.start, piece.end):
            ch = source[pos]
            if ch.isspace():
                if pending_space < 0:
                    pending_space = pos
                continue
            if pending_space >= 0:
                chars.append(" ")
                offsets.append(pending_space)
                pending_space = -1
            chars.append(ch)
            offsets.append(pos)
    return "".join(chars), offsets


def split_sentences(
    source: str, prose: list[LogicalLine], segment_all: SegmentAll | None = None
) -> list[Sentence]:
    """Number the sentences of the prose lines of ``source`` from 1; ``segment_all`` splits
    the lines' collapsed texts in one call, so a cache looks them up at once (default: pysbd
    on each)."""
    out: list[Sentence] = []
    lines = [_collapsed_with_offsets(source, line) for line in prose]
    split = (segment_all or _segment_each)([text for text, _ in lines])
    for paragraph, ((text, offsets), spans) in enumerate(zip(lines, split, strict=True)):
        cursor = 0
        first_of_line = len(out)
        for span in spans:
            raw = span.sent
            piece = raw.strip()
            if not piece:
                continue
            at = text.find(piece, cursor)
            if at < 0:  # pysbd altered the text; never expected with clean=False
                raise ValueError(f"segmenter changed the text: {piece[:60]!r}")
            cursor = at + len(piece)
            # pysbd sometimes leaves a closing quote (“...piracy.” Next) at the start of the
            # next sentence; it belongs to the sentence it closes.
            closing = len(piece) - len(piece.lstrip(_CLOSERS))
            if closing and len(out) > first_of_line:
                prev = out[-1]
                new_end = offsets[at + closing - 1] + 1
                out[-1] = Sentence(
                    prev.number,
                    collapse_ws(source[prev.start : new_end]),
                    prev.start,
                    new_end,
                    prev.paragraph,
                )
                piece = piece[closing:].lstrip()
                at = text.find(piece, at + closing) if piece else at
            if not any(ch.isalnum() for ch in piece):
                continue
            out.append(
                Sentence(
                    number=len(out) + 1,
                    text=piece,
                    start=offsets[at],
                    end=offsets[cursor - 1] + 1,
                    paragraph=paragraph,
                )
            )
    return out
