"""Who is speaking in a sentence: for "What did X say?", prefer sentences where X speaks.

News prose marks reported speech in a few regular ways, and these rules follow them:
- a reporting verb ("said", "told", "stressed", "according to") with its subject before
  it: the name nearest the verb, skipping possessives ("Putin's adviser Yuri Ushakov") and
  asides between commas ("Yuri Ushakov, an aide to Putin, characterized");
- text inside quotation marks is the quoted person's, not a speaker;
- a sentence with no named speaker of its own that reports speech ("He added that...",
  "According to him, ...") or quotes in the first person ("We are ready...") or continues
  the same paragraph carries on the previous sentence's speaker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from service.language.names import NameIndex
from service.language.pronouns import FIRST_PERSON_START
from service.language.speech import SPEECH_VERBS
from service.language.text import MONTHS, STOPWORDS, WEEKDAYS, words


class Sentence(Protocol):
    """What attribution reads of a sentence (the index's ``StoredSentence`` has it)."""

    @property
    def text(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def paragraph(self) -> int: ...


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_ACCORDING = re.compile(r"\baccording to\b", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$")
_MAX_CHAIN = 12
# Capitalised words that are never speakers: calendar names.
_CALENDAR = frozenset(MONTHS + WEEKDAYS)


def _name_runs(segment: str, names: NameIndex, sentence_start: bool) -> list[str]:
    """Canonical names in a stretch of text, in order; possessives are not speakers."""
    out: list[str] = []
    raw_tokens = segment.split()
    for i, raw in enumerate(raw_tokens):
        token = raw.strip(",.;:!?()“”\"'")
        if not token[:1].isupper() or (sentence_start and i == 0 and token.lower() in STOPWORDS):
            continue
        if _POSSESSIVE.search(token):
            continue
        for w in words(token):
            canon = names.canonical.get(w.lower())
            if canon and w.lower() not in _CALENDAR:
                out.append(canon)
    return out


def explicit_speaker(text: str, names: NameIndex) -> str | None:
    """The canonical name of the speaker this sentence names, if it names one."""
    unquoted = _QUOTED.sub(" ", text)
    m = _ACCORDING.search(unquoted)
    if m:
        follow = unquoted[m.end() :].split(",")[0].split()[:6]
        if follow and (follow[0][:1].isupper() or follow[0] == "the"):
            after = _name_runs(" ".join(follow), names, sentence_start=False)
            if after:
                return after[-1]
    tokens = unquoted.split()
    verb_at = next((i for i, t in enumerate(tokens) if t.strip(',.;:“”"') in SPEECH_VERBS), None)
    if verb_at is None:
        return None
    prefix = " ".join(tokens[:verb_at])
    segments = prefix.split(",")
    if len(segments) >= 3 and not segments[-1].strip():
        segments = segments[:-2]  # "Subject, an aside, said": the aside is not the subject
    for n, segment in enumerate(reversed(segments)):
        is_first = n == len(segments) - 1
        found = _name_runs(segment, names, sentence_start=is_first)
        if found:
            return found[-1]
    return None


def _reports_speech(text: str) -> bool:
    """Speech with no named speaker: "he added", "according to him", "We are ready"."""
    unquoted = _QUOTED.sub(" ", text)
    return bool(
        set(words(unquoted)) & SPEECH_VERBS
        or _ACCORDING.search(unquoted)
        or FIRST_PERSON_START.search(text)
        or unquoted.strip() == ""
    )


def _names_anyone(text: str, names: NameIndex) -> bool:
    return bool(_name_runs(_QUOTED.sub(" ", text), names, sentence_start=True))


def speakers(sentences: Sequence[Sentence], names: NameIndex) -> list[str | None]:
    """The speaker of every sentence (canonical name), or None, in corpus order."""
    out: list[str | None] = []
    chain = 0
    explicit: dict[str, str | None] = {}  # a text many articles carry is read once
    for i, s in enumerate(sentences):
        if s.text in explicit:
            speaker = explicit[s.text]
        else:
            speaker = explicit[s.text] = explicit_speaker(s.text, names)
        if speaker is not None:
            chain = 0
        elif i and out[-1] is not None and sentences[i - 1].source == s.source:
            same_paragraph = sentences[i - 1].paragraph == s.paragraph
            quiet = same_paragraph and not _names_anyone(s.text, names)
            if chain < _MAX_CHAIN and (_reports_speech(s.text) or quiet):
                speaker = out[-1]
                chain += 1
        out.append(speaker)
    return out
