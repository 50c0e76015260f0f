"""The figures a sentence states: a value and what it counts ("8,668 fires", "87%",
"two people", "1.43°C"), so that two reports of one quantity can be compared.

The spans come from the project's spaCy NER (``CARDINAL``, ``PERCENT``, ``QUANTITY``,
``MONEY``: :mod:`service.language.entities`); number words ("two", "twelve") are read by
``number-parser``. What a bare count counts is the word after it, the head of the noun
phrase in English news ("8,668 fires", "three people"); a percentage counts "%" and a
measure its unit. Written by hand here, because no library pairs a figure with what it
counts: only the comparison that rests on it is this module's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.language.entities import load_pipeline

_LABELS = frozenset({"CARDINAL", "PERCENT", "QUANTITY", "MONEY"})
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_PERCENT = re.compile(r"\s*(?:%|per\s*cent)", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    value: float
    counts: str  # what it counts, lower case, singular-ish: "fire", "%", "tb", "°c"
    text: str  # the figure as written, with what it counts ("8,668 fires")


def _value(text: str) -> float | None:
    m = _DIGITS.search(text)
    if m:
        try:
            return float(m.group().replace(",", ""))
        except ValueError:
            return None
    from number_parser import parse_number

    found = parse_number(text)
    return float(found) if isinstance(found, int | float) else None


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _unit(text: str) -> str:
    """A unit as compared: "° C" and "°C" are "c"."""
    return re.sub(r"[^\w%]", "", text.lower())


def figures(texts: list[str]) -> list[list[Figure]]:
    """The figures of each text, in order (one NER pass over all of them)."""
    out: list[list[Figure]] = []
    for doc in load_pipeline().pipe(texts):
        found: list[Figure] = []
        for ent in doc.ents:
            if ent.label_ not in _LABELS:
                continue
            value = _value(ent.text)
            if value is None:
                continue
            rest = _DIGITS.sub("", ent.text).strip().lower()
            after = doc[ent.end : ent.end + 2]
            if ent.label_ == "PERCENT" or _PERCENT.fullmatch(rest or "-"):
                counts, text = "%", ent.text
            elif ent.label_ == "MONEY":
                counts, text = "money", doc[max(ent.start - 1, 0) : ent.end].text
            elif ent.label_ == "QUANTITY" and rest and _DIGITS.search(ent.text):
                counts, text = _unit(rest.split()[-1]), ent.text
            elif len(after) == 2 and after[0].is_punct is False and not after[0].is_alpha:
                # a unit written as a symbol the tokenizer splits off: "1.3", "°", "C"
                counts, text = _unit(after.text), doc[ent.start : ent.end + 2].text
            elif after and after[0].is_alpha:
                counts, text = _singular(after[0].lower_), doc[ent.start : ent.end + 1].text
            else:
                continue  # a bare number: a year, a score, a page
            if counts:
                found.append(Figure(value, counts, text))
        out.append(found)
    return out
