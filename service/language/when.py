"""What a question says about time: a period ("in January 2020", "last week", "before 3
December") and whether it asks for the newest report ("latest", "most recent", "now").

Dates are parsed by ``dateparser`` (its ``DateDataParser`` gives the date and the period
the words name: day, week, month or year), relative to a base day: the request's
``as_of``, else the newest article's date. This module only finds which words of the
question to hand it: the words after a time preposition, or a relative phrase ("last
week", "three days ago", "yesterday"); the parsing itself is the library's.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from service.language.text import MONTHS, WEEKDAYS

# The preposition before a period, and what it makes of the period [start, end].
_BOUNDS = {
    "in": "within",
    "on": "within",
    "during": "within",
    "over": "within",
    "before": "before",
    "after": "after",
    "since": "since",
    "until": "until",
    "till": "until",
    "by": "until",
}
# Words that start a period relative to the base day without a preposition.
_RELATIVE = {"last", "this", "past", "yesterday", "today"}
# Words that ask for the newest report (two-word forms are matched as phrases).
_LATEST = (
    "latest",
    "most recent",
    "newest",
    "now",
    "current",
    "currently",
    "so far",
    "lately",
    "recently",
)
_LATEST_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _LATEST) + r")\b", re.I)
_TOKEN = re.compile(r"[\w'-]+")
_LONGEST = 4  # words a period may take ("the 2nd of December", "3 December 2024")
_NAMED = frozenset(MONTHS + WEEKDAYS)
_MONTH_ABBR = frozenset(m[:3] for m in MONTHS)
_YEAR = re.compile(r"^(?:1[89]|20)\d\d(?:-\d\d(?:-\d\d)?)?$")  # 2024, 2024-12, 2024-12-03
_ABBREVIATED = frozenset(w[:3] for w in MONTHS + WEEKDAYS)


@dataclass(frozen=True)
class TimeAsk:
    """A question's time: ``start``/``end`` (inclusive; None: open) from ``phrase``, and
    ``latest`` when it asks for the newest report."""

    phrase: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    latest: bool = False

    @property
    def has_range(self) -> bool:
        return self.start is not None or self.end is not None


@lru_cache(maxsize=64)
def _parser(base: dt.date) -> object:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": dt.datetime.combine(base, dt.time()),
            "PREFER_DATES_FROM": "past",
        },
    )


_UNITS = frozenset("day days week weeks month months year years ago yesterday today".split())


def _ends_a_date(token: str) -> bool:
    """Whether a period may end with this word (a figure, a month or weekday, a unit):
    dateparser reads "November about the" as November too."""
    w = token.lower()
    return any(ch.isdigit() for ch in w) or w in _NAMED or w[:3] in _ABBREVIATED or w in _UNITS


def _period(words: list[str], base: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days ``words`` name, as a range (None: not a date, or not clearly one)."""
    text = " ".join(words)
    lowered = [w.lower() for w in words]
    # A period needs a month's name, a year, an ISO date, or a unit counted from the base
    # day ("last week", "three days ago", "yesterday"). A weekday or a day number alone
    # ("on Tuesday", "the 13th") counts from the article's own day, which the question
    # does not know, and dateparser also reads "May" in "Theresa May" as a date.
    if not (
        any(w in MONTHS or (w[:3] in _MONTH_ABBR and len(w) <= 4) for w in lowered)
        or any(_YEAR.match(w) for w in lowered)
        or {"yesterday", "today"} & set(lowered)
        or ((_RELATIVE & set(lowered) or "ago" in lowered) and _UNITS & set(lowered))
    ):
        return None
    data = _parser(base).get_date_data(text)  # type: ignore[attr-defined]
    day = data.date_obj
    if day is None:
        return None
    d = day.date()
    match data.period:
        case "week":
            start = d - dt.timedelta(days=d.weekday())
            return start, start + dt.timedelta(days=6)
        case "month":
            return d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1])
        case "year":
            return dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
        case _:
            return d, d


def time_ask(question: str, base: dt.date) -> TimeAsk:
    """The time ``question`` asks about, relative to ``base`` (the newest article's day,
    or the request's ``as_of``)."""
    latest = bool(_LATEST_RE.search(question))
    tokens = _TOKEN.findall(question)
    for i, token in enumerate(tokens):
        word = token.lower()
        bound = _BOUNDS.get(word)
        if bound:  # "in late November": the period may follow one modifier word
            starts = [i + 1, i + 2]
        elif word in _RELATIVE:
            starts = [i]
        elif word == "ago":  # "three days ago": the period ends here
            starts = [max(0, i - 2), max(0, i - 1)]
        else:
            continue
        for first in starts:
            last = i + 1 if word == "ago" else min(len(tokens), first + _LONGEST)
            for end_at in range(last, first, -1):
                if not _ends_a_date(tokens[end_at - 1]):
                    continue
                found = _period(tokens[first:end_at], base)
                if found is not None:
                    return _bounded(
                        " ".join(tokens[i if bound else first : end_at]),
                        found,
                        bound or "within",
                        latest,
                    )
    return TimeAsk(latest=latest)


def _bounded(phrase: str, period: tuple[dt.date, dt.date], bound: str, latest: bool) -> TimeAsk:
    """The range a preposition makes of a period: before it, after it, since, until."""
    start, end = period
    one = dt.timedelta(days=1)
    match bound:
        case "before":
            return TimeAsk(phrase, None, start - one, latest)
        case "after":
            return TimeAsk(phrase, end + one, None, latest)
        case "since":
            return TimeAsk(phrase, start, None, latest)
        case "until":
            return TimeAsk(phrase, None, end, latest)
        case _:
            return TimeAsk(phrase, start, end, latest)
