"""The checkable specifics of a sentence: numbers, dates and proper names.

Attribution errors concentrate in these (a wrong year, a number from another sentence, the
quote of one person given to another), so an answer sentence is only supported by cited
text that contains every one of them. Names are compared through the corpus's learned
spelling clusters (``snap.names``: Witkoff / Vitkov / Whitkov are one name), through
stems, demonyms (Europe / European, Ukraine / Ukrainian) and acronyms (U.S. / US /
United States). A capitalised word counts as a name when the corpus does not use it as an
ordinary lower-case word; at the start of a sentence only when the corpus knows it as a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from service.index.corpus import CorpusSnapshot
from service.language.keys import name_key
from service.language.text import (
    MONTHS,
    QUESTION_WORDS,
    STOPWORDS,
    WEEKDAYS,
    ascii_fold,
    stem,
    words,
)

_TOKEN = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*\.?", re.UNICODE)
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000"}
_MONTHS = {m[:3]: m for m in MONTHS}
_WEEKDAYS = {d[:3]: d for d in WEEKDAYS}
_DEMONYM_SUFFIXES = ("ian", "ean", "an", "n", "ese", "ish", "i", "ic")
_OPENERS = ".!?:;“\"'‘(—–-"

Kind = Literal["number", "date", "name"]


@dataclass(frozen=True)
class Specific:
    kind: Kind
    written: str


def _number(token: str) -> str | None:
    low = token.lower().rstrip(".")
    if low in _NUMBER_WORDS:
        return _NUMBER_WORDS[low]
    m = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)(?:st|nd|rd|th|s|%)?", low)
    if not m:
        return None
    return m.group(1).replace(",", "").rstrip(".")


def _date(token: str) -> str | None:
    low = token.lower().rstrip(".")
    if len(low) < 3:
        return None
    head = low[:3]
    if head in _MONTHS and (low == head or _MONTHS[head].startswith(low)):
        return _MONTHS[head] if low != "may" or token[0].isupper() else None
    if head in _WEEKDAYS and (low == head or _WEEKDAYS[head].startswith(low)):
        return _WEEKDAYS[head]
    return None


def _parts(token: str) -> list[str]:
    """ "five-hour" → ["five", "hour"]; "2025-12-03" → its three numbers."""
    return [p for p in re.split(r"[-–/]", token) if p]


def _acronym(token: str) -> str | None:
    bare = token.replace(".", "")
    return bare if len(bare) >= 2 and bare.isupper() and bare.isalpha() else None


@dataclass(frozen=True)
class TextFacts:
    """What a piece of cited text offers to satisfy a claim's specifics."""

    numbers: frozenset[str]
    dates: frozenset[str]
    keys: frozenset[str]  # snap.keys_of: name clusters and stems
    lower_words: frozenset[str]
    capitalised: frozenset[str]  # lower-cased
    acronyms: frozenset[str]  # as written (dots removed) and initials of capitalised runs


def text_facts(text: str, snap: CorpusSnapshot) -> TextFacts:
    numbers, dates, lower, caps, acronyms = set(), set(), set(), set(), set()
    run: list[str] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        for part in _parts(tok):
            if (n := _number(part)) is not None:
                numbers.add(n)
            if (d := _date(part)) is not None:
                dates.add(d)
        if (a := _acronym(tok)) is not None:
            acronyms.add(a)
        for w in words(tok.rstrip(".")):
            lower.add(ascii_fold(w).lower())
            if w[:1].isupper():
                caps.add(ascii_fold(w).lower())
        if tok[:1].isupper() and tok.lower() not in {"of", "the"}:
            run.append(tok)
        elif tok.lower() not in {"of", "the", "and"}:
            run = []
        if len(run) >= 2:
            acronyms.add("".join(w[0] for w in run))
    return TextFacts(
        frozenset(numbers),
        frozenset(dates),
        frozenset(snap.keys_of(text)),
        frozenset(lower),
        frozenset(caps),
        frozenset(acronyms),
    )


def specifics(claim: str, snap: CorpusSnapshot, common: frozenset[str]) -> list[Specific]:
    """The numbers, dates and names of a claim, each once.

    ``common``: lower-case words the corpus uses in lower case (not names when capitalised).
    """
    out: dict[tuple[Kind, str], Specific] = {}
    for m in _TOKEN.finditer(claim):
        tok = m.group(0)
        before = claim[: m.start()].rstrip()
        initial = not before or before[-1] in _OPENERS
        plain = True
        for part in _parts(tok):
            if (n := _number(part)) is not None:
                out.setdefault(("number", n), Specific("number", part.rstrip(".")))
                plain = False
            elif (d := _date(part)) is not None:
                out.setdefault(("date", d), Specific("date", part.rstrip(".")))
                plain = False
        if not plain:
            continue
        if _acronym(tok) and tok.replace(".", "") not in {"I", "A"}:
            out.setdefault(("name", tok), Specific("name", tok.rstrip(".")))
            continue
        for w in words(tok.rstrip(".")):
            low = w.lower()
            if not w[:1].isupper() or low in STOPWORDS or low in QUESTION_WORDS or len(w) < 2:
                continue
            known = snap.names.resolve(w) is not None
            if (initial and not known) or (not known and ascii_fold(low) in common):
                continue
            out.setdefault(("name", low), Specific("name", w))
            initial = False
    return list(out.values())


def _demonym(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    base = short[:-1] if short[-1:] in "aeiouy" else short
    return len(base) >= 4 and long_.startswith(base) and long_[len(base) :] in _DEMONYM_SUFFIXES


def name_found(name: str, facts: TextFacts, snap: CorpusSnapshot) -> bool:
    if (a := _acronym(name)) is not None:
        return a in facts.acronyms or a.lower() in facts.lower_words
    low = ascii_fold(name).lower()
    canon = snap.names.resolve(name)
    if canon and name_key(canon) in facts.keys:
        return True
    if low in facts.lower_words or stem(low) in facts.keys:
        return True
    return any(_demonym(low, c) for c in facts.capitalised)


def missing_specifics(
    found_in: list[Specific], facts: TextFacts, name_facts: TextFacts, snap: CorpusSnapshot
) -> list[str]:
    """The specifics not found: numbers and dates in ``facts`` (the cited sentences), names
    in ``name_facts`` (the cited sentences, and the one before a sentence that opens with
    "He ..." or "She ...", where its speaker is named)."""
    missing = []
    for s in found_in:
        if s.kind == "number":
            ok = (_number(s.written) or "") in facts.numbers
        elif s.kind == "date":
            ok = (_date(s.written) or "") in facts.dates
        else:
            ok = name_found(s.written, name_facts, snap)
        if not ok:
            missing.append(s.written)
    return missing


def common_words(snap: CorpusSnapshot) -> frozenset[str]:
    """Words the corpus writes in lower case somewhere (so "President" is not a name)."""
    out: set[str] = set()
    for s in snap.sentences:
        out.update(ascii_fold(w) for w in words(s.text) if w.islower())
    return frozenset(out)
