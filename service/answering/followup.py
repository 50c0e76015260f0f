"""Fold a follow-up question and its conversation into one standalone question (extractive).

Rules of English conversation rather than of known questions: a pronoun ("he", "her")
stands for the person last named in the conversation; an elliptical follow-up
("And Kallas?", "What about Rubio?") asks the previous question again about someone else.
The llm mode asks the model to do this instead (prompts/condense.txt).
"""

from __future__ import annotations

import re

from service.answering.base import Turn
from service.index.corpus import CorpusSnapshot
from service.language.pronouns import PERSON_PRONOUN, THING_PRONOUN
from service.language.text import STOPWORDS, words

# The first "the ..." noun phrase of a question, with a short "in/of/on/about X" tail.
_NOUN_PHRASE = re.compile(
    r"\bthe\s+(?:[\w’'-]+\s+){0,2}?[\w’'-]+(?:\s+(?:in|of|on|about|with)\s+(?:the\s+)?"
    r"[A-Z][\w’'-]+)?",
)
_ELLIPSIS = re.compile(
    r"^\s*(?:and|but|what about|how about|and what about)\s+(?P<subject>[^?.!]+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_LEADING_AND = re.compile(r"^\s*(and|but|so|also)\s*,?\s+", re.IGNORECASE)


def _people(text: str, snap: CorpusSnapshot) -> list[str]:
    """Names in a text as written, in order, that the corpus knows (any spelling)."""
    out: list[str] = []
    tokens = words(text)
    for i, w in enumerate(tokens):
        if (
            not w[:1].isupper()
            or w.lower() in STOPWORDS
            or (i == 0 and len(tokens) > 1 and w.lower() in {"what", "who"})
        ):
            continue
        if len(w) >= 4 and snap.names.resolve(w):
            out.append(w)
    return out


def _last_person(history: tuple[Turn, ...], snap: CorpusSnapshot) -> str | None:
    """The person most recently named by the user (then by the assistant).

    A person is a name the corpus reports speaking (``snap.speakers``); places and
    organisations mentioned in passing ("the talks in Moscow") are passed over.
    """
    speaking = snap.said_by.keys()
    for role in ("user", "assistant"):
        for turn in reversed(history):
            if turn.role == role:
                found = [
                    w for w in _people(turn.content, snap) if snap.names.resolve(w) in speaking
                ]
                if found:
                    return found[0] if role == "user" else found[-1]
    return None


def condense(question: str, history: tuple[Turn, ...], snap: CorpusSnapshot) -> str:
    """The question made standalone; unchanged when it already is or history is empty."""
    if not history:
        return question.strip()
    previous = next((t.content for t in reversed(history) if t.role == "user"), None)
    m = _ELLIPSIS.match(question)
    if (
        m
        and previous
        and not re.search(
            r"\b(what|who|where|when|why|how|did|does|is)\b", m.group("subject"), re.IGNORECASE
        )
    ):
        new_subject = m.group("subject")
        old = _people(previous, snap)
        if old:
            return re.sub(re.escape(old[-1]), new_subject, previous, count=1).strip()
        return f"{previous.rstrip('?. ')} — {new_subject}?"
    standalone = _LEADING_AND.sub("", question).strip()
    standalone = standalone[:1].upper() + standalone[1:]
    speaking = snap.said_by.keys()
    names_a_person = any(snap.names.resolve(w) in speaking for w in _people(standalone, snap))
    if PERSON_PRONOUN.search(standalone) and not names_a_person:
        person = _last_person(history, snap)
        if person:
            standalone = PERSON_PRONOUN.sub(
                lambda p: person + ("'s" if p.group(1).lower() in {"his", "hers"} else ""),
                standalone,
                count=1,
            )
    elif previous and THING_PRONOUN.search(standalone):
        phrase = _NOUN_PHRASE.search(previous)
        if phrase:
            standalone = THING_PRONOUN.sub(phrase.group(0), standalone, count=1)
    return standalone
