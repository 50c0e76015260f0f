"""Figures in a sentence and what they count: "At least 12 people were killed" is a
mention of 12 or more, counting the killed.

A mention is a number (digits, "1,200", "2.5 million", or a number word up to ninety),
with the qualifier before it ("at least", "more than", "nearly", "about", "up to", ...) as
an interval of values, and what it counts: the first content words after it, or the verb
just before it ("killed 12 people"). Two mentions count the **same quantity** when those
words share a class of the few words news uses interchangeably for one count (killed /
dead / died / deaths / fatalities; injured / wounded / hurt: general English, not taken
from any article), or else when their first two content stems are equal ("12 ships were
sent", "three ships sent"). A percentage counts a share of what the last content word
before it names ("a success rate of 87%", "a success rate of 78 percent": both a share
of the rate); a figure with its unit written on it counts that unit ("80TB", "1.43°C").

Not figures: years (1800-2100 written without a comma), days of a month ("3 December",
"December 3"), clock times, ordinals, and "one of" (a partition, not a count).

Written by hand: the number parsers of the registry (e.g. word2number, quantulum3) read
numbers or units, not the qualifier's interval nor what a bare figure counts in a news
sentence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from service.language.keys import content_words, stem_tokens
from service.language.text import MONTHS, stem

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9}
# qualifier -> the interval it makes of a figure n, as (low, high) factors of n
_QUALIFIERS: dict[str, tuple[float, float]] = {
    "at least": (1.0, math.inf),
    "more than": (1.0, math.inf),
    "over": (1.0, math.inf),
    "upwards of": (1.0, math.inf),
    "nearly": (0.9, 1.0),
    "almost": (0.9, 1.0),
    "about": (0.9, 1.1),
    "around": (0.9, 1.1),
    "roughly": (0.9, 1.1),
    "approximately": (0.9, 1.1),
    "some": (0.9, 1.1),
    "an estimated": (0.9, 1.1),
    "up to": (0.0, 1.0),
    "at most": (0.0, 1.0),
    "fewer than": (0.0, 1.0),
    "less than": (0.0, 1.0),
    "under": (0.0, 1.0),
}
_STRICT = {"more than", "over", "upwards of", "fewer than", "less than", "under"}
_CLASSES = {  # words news uses for one count, by the class's name
    "killed": "killed kill dead die died deaths death fatalities fatality",
    "injured": "injured injure injuries injury wounded wound hurt",
}
_CLASS_OF = {s: name for name, ws in _CLASSES.items() for s in stem_tokens(ws)}
_AUXILIARIES = frozenset(stem_tokens("is are was were been being be has have had"))
_MONTH = "|".join(m.lower() for m in MONTHS) + "|" + "|".join(m[:3].lower() for m in MONTHS)
_QUAL = "|".join(sorted(map(re.escape, _QUALIFIERS), key=len, reverse=True))
_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?<![\w.,$€£-])(?:(?P<qual>{_QUAL})\s+)?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{_WORD})"
    rf"(?:\s+(?P<scale>{'|'.join(_SCALES)}))?"
    r"(?P<unit>\s?%|\s+per\s?cent\b|°\s?[CF]\b|(?!(?:st|nd|rd|th|am|pm|s)\b)[A-Za-z]{1,3}\b)?"
    r"(?![\w%:]|[.,]\d)"
    r"(?P<after>(?:\s+[^\W\d_]+(?:['’-][^\W\d_]+)*){0,5})",
    re.IGNORECASE,
)
_LAST_WORD = re.compile(r"([^\W\d_]+)\s+$")
_MONTH_BEFORE = re.compile(rf"(?:{_MONTH})\.?\s*$", re.IGNORECASE)
_MONTH_AFTER = re.compile(rf"^\s+(?:of\s+)?(?:{_MONTH})\b", re.IGNORECASE)
_NOT_COUNTS = re.compile(r"^\s+(?:of|a\.?m\b|p\.?m\b|o'clock|percent\b|per\s+cent)", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """One figure: as written, its interval of values, and the quantity it counts."""

    written: str  # "at least 12"
    low: float
    high: float  # "more than 12": just above 12 to infinity
    quantity: tuple[str, ...]  # the class name, or the first two content stems
    # what it counts, in words: the class name, those two words as written, or (for a
    # percentage or a unit) the phrase itself ("the rate", "the figure")
    counted: str

    def compatible(self, other: Mention) -> bool:
        """Whether both can be true of one count (their intervals meet)."""
        return max(self.low, other.low) <= min(self.high, other.high)


def _value(num: str, scale: str | None) -> float:
    low = num.lower()
    base = float(_NUMBER_WORDS[low]) if low in _NUMBER_WORDS else float(low.replace(",", ""))
    return base * (_SCALES[scale.lower()] if scale else 1.0)


def quantity_of(words_after: str, word_before: str = "") -> tuple[tuple[str, ...], str]:
    """What a figure counts, from the words after it (and the verb before it: "killed 12
    people"): a class, or its first two content stems (and those words as written)."""
    kept = [w for w in content_words(words_after) if stem(w) not in _AUXILIARIES]
    for w in [*kept[:3], *content_words(word_before)]:
        if stem(w) in _CLASS_OF:
            return (_CLASS_OF[stem(w)],), _CLASS_OF[stem(w)]
    return tuple(stem(w) for w in kept[:2]), " ".join(kept[:2])


def mentions(text: str) -> list[Mention]:
    """The figures of a sentence that count something."""
    out = []
    for m in _FIGURE.finditer(text):
        num, qual, scale, after = m.group("num"), m.group("qual"), m.group("scale"), m["after"]
        if re.fullmatch(r"1[89]\d\d|20\d\d|2100", num) and not scale:
            continue  # a year
        if _MONTH_BEFORE.search(text[: m.start("num")]) or _MONTH_AFTER.match(after):
            continue  # a day of a month
        if _NOT_COUNTS.match(after):
            continue
        before = _LAST_WORD.search(text[: m.start()])
        unit = (m.group("unit") or "").strip().lower().replace(" ", "")
        quantity: tuple[str, ...]
        if unit in ("%", "percent", "percent"):
            named = [w for w in content_words(text[: m.start()]) if stem(w) not in _AUXILIARIES]
            if not named:
                continue
            quantity, counted = ("%", stem(named[-1])), f"the {named[-1]}"
        elif unit:
            quantity, counted = (unit,), "the figure"
        else:
            quantity, counted = quantity_of(after, before.group(1) if before else "")
        if not quantity:
            continue
        value = _value(num, scale)
        q = qual.lower() if qual else ""
        lo_f, hi_f = _QUALIFIERS.get(q, (1.0, 1.0))
        low, high = value * lo_f, value * hi_f
        if q in _STRICT:  # "more than 12" excludes 12, "fewer than 12" too
            low, high = (low * (1 + 1e-9), high) if hi_f == math.inf else (low, high * (1 - 1e-9))
        written = " ".join(p for p in (qual, num, scale) if p).lower() + (m.group("unit") or "")
        out.append(Mention(written, low, high, quantity, counted))
    return out


def disagree(a: str, b: str) -> bool:
    """Whether two sentences give figures for one quantity that cannot both be true: they
    do not state one fact, whatever their wording shares."""
    theirs = mentions(b)
    return any(
        m.quantity == n.quantity and not m.compatible(n) for m in mentions(a) for n in theirs
    )
