"""What a question asks: an instruction or a question, the shape of its answer, its speaker.

Properties of the question's words alone (and of the corpus's name spellings, for the
speaker), not of known questions. The refusal check and the extractive answerer both
read them from here.
"""

from __future__ import annotations

import re

from service.language.names import NameIndex
from service.language.speech import asked_speaker_span
from service.language.text import MONTHS, WEEKDAYS

# Messages that address the system instead of asking about the articles. These are
# patterns of prompt injection in general (override, role play, prompt extraction, off-task
# generation), not of any one message.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|prompts?|rules?|"
    r"guidelines?|above|previous|context)\b"
    r"|\byou are (now|no longer)\b|\bact as\b|\bpretend (to be|you)\b|\brole-?play\b"
    r"|\b(system|hidden|initial) (prompt|message|instructions?)\b|\bjailbreak\b|\bDAN\b"
    r"|\b(reveal|print|show|repeat|output)\b.{0,30}\b(prompt|instructions?)\b"
    r"|^\s*(please\s+)?(write|compose|generate|translate|draft|create)\s+(me\s+)?(a|an|some|the)\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(r"^\s*(how (many|much|long|old)|what (number|percentage|year))\b", re.I)
# What kind of answer a question wants, and how a sentence that holds one looks.
_WANTS = [
    (re.compile(r"^\s*where\b", re.I), re.compile(r"\b(?:in|at|from|near)\s+(?:the\s+)?[A-Z]\w+")),
    (
        re.compile(r"^\s*when\b|\bwhat (?:day|date|time)\b", re.I),
        re.compile(
            r"\b(?:\d{1,2}(?:st|nd|rd|th)?|\d{4}|"
            + "|".join(w.capitalize() for w in MONTHS + WEEKDAYS)
            + r"|yesterday|today|tomorrow|week|month|year)\b"
        ),
    ),
    (
        re.compile(r"^\s*how (?:many|much|long|old)\b", re.I),
        re.compile(
            r"\d|\b(?:one|two|three|"
            r"four|five|six|seven|eight|nine|ten|hundreds?|thousands?|millions?)\b",
            re.I,
        ),
    ),
]


def is_instruction(question: str) -> bool:
    """A message aimed at the system (override, role play, prompt extraction, off-task)."""
    return bool(_INSTRUCTION.search(question))


def asks_for_number(question: str) -> bool:
    return bool(_ASKS_NUMBER.search(question))


def answer_shape(question: str) -> re.Pattern[str] | None:
    """The pattern a sentence must contain to hold the kind of answer asked for."""
    return next((shape for asks, shape in _WANTS if asks.search(question)), None)


def asked_speaker(question: str, names: NameIndex) -> tuple[str, str] | None:
    """(canonical speaker, name as written) for "What did X say?"-like questions."""
    who = asked_speaker_span(question)
    if who is None:
        return None
    written = [w for w in re.findall(r"[^\W\d_][\w’'-]*", who) if len(w) >= 4]
    for w in reversed(written):
        canon = names.resolve(w)
        if canon:
            return canon, w
    return None
