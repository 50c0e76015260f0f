"""Text normalisation shared by the metrics: one place that decides what "the same words" means.

Answers and sentences differ in typography (curly quotes, dashes, thousands separators,
accents) more than in words; every comparison goes through :func:`normalise` first.
"""

from __future__ import annotations

import re
import unicodedata

MARKER = re.compile(r"\s*\[(\d+)\]")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"'})
_DASHES = re.compile(r"[\-‐‑‒–—―]")
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_POSSESSIVE = re.compile(r"'s\b")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")

STOPWORDS = frozenset(
    """a an the and or but nor of to in on at by for with from into onto about as than that
    this these those which who whom whose what when where why how is are was were be been being
    has have had do does did it its he she they them his her their our your my we you i me us
    him not no so if then there here also very more most some any such can could would should
    will shall may might must said says say told tell according while after before since over
    just only even still both each other all said""".split()
)

NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred thousand million
    billion first second third fourth fifth""".split()
)


def strip_markers(text: str) -> str:
    """The answer without its ``[n]`` citation markers."""
    return MARKER.sub("", text).strip()


def normalise(text: str) -> str:
    """Lower case, no accents, straight quotes, dashes as spaces, no thousands separators,
    no possessive 's, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKD", strip_markers(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_QUOTES).lower()
    text = _DASHES.sub(" ", text)
    text = _THOUSANDS.sub("", text)
    text = _POSSESSIVE.sub("", text)
    text = _ORDINAL.sub(r"\1", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def tokens(text: str) -> list[str]:
    return normalise(text).split()


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS]


def contains_phrase(haystack: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``haystack`` as whole words, after normalisation."""
    needle = normalise(phrase)
    return bool(needle) and f" {needle} " in f" {normalise(haystack)} "


_CAPITALISED = re.compile(r"[A-Z][A-Za-z\u00c0-\u024f'’\-]*")
_DIGITS = re.compile(r"\d[\d,.]*\d|\d")


def key_terms(sentence: str) -> set[str]:
    """Numbers, dates and proper names of a sentence, normalised.

    Proper names are capitalised words that are not function words (so the capital of a
    sentence's first word does not count); numbers are digit runs and number words.
    """
    text = strip_markers(sentence)
    terms: set[str] = set()
    for match in _CAPITALISED.finditer(text):
        word = normalise(match.group())
        if word and word not in STOPWORDS and len(word) > 1:
            terms.add(word)
    for match in _DIGITS.finditer(text):
        terms.add(normalise(match.group()))
    terms.update(t for t in tokens(text) if t in NUMBER_WORDS)
    return {t for t in terms if t}


_SENTENCE_END = re.compile(
    r"""(?<!\b[A-Z]\.[A-Z])(?<!\b[A-Z][a-z]\b)"""  # not "U.S." nor "Mr." / "Dr."
    r"""[.!?…]["'”’)\]]*(?P<marks>(?:\s*\[\d+\])*)\s+(?=[A-Z0-9"“‘'])"""
)


def split_answer_sentences(answer: str) -> list[str]:
    """Split an answer into its sentences, each keeping the ``[n]`` markers that follow it.

    A marker run after the full stop (``... ahead. [1][2] Next``) belongs to the sentence
    before it, as does a run before the full stop (``... ahead [1].``).
    """
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(answer):
        piece = answer[start : match.end("marks")].strip()
        if piece:
            out.append(piece)
        start = match.end()
    tail = answer[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if strip_markers(s)]


def markers(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]
