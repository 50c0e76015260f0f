"""Shared word handling: tokens, stop words, stems and the "content terms" of a question."""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache
from typing import Any

from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_JOINERS = re.compile(r"[-'’]")

STOPWORDS: frozenset[str] = frozenset(STOPWORDS_EN) | frozenset(
    [
        "also",
        "would",
        "could",
        "should",
        "may",
        "might",
        "must",
        "shall",
        "can",
        "will",
        "one",
        "two",
        "just",
    ]
)
# Words that make a question a question but carry no topic: never evidence of support.
QUESTION_WORDS: frozenset[str] = frozenset(
    (
        "what who whom whose which when where why how did does do say said says tell told "
        "about according article articles report reported happen happened there much many "
        "mention mentioned think thought"
    ).split()
)


MONTHS: tuple[str, ...] = tuple(
    "january february march april may june july august september october november december".split()
)
WEEKDAYS: tuple[str, ...] = tuple(
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def words(text: str) -> list[str]:
    """Word tokens as written (case kept), possessive 's removed, hyphenated parts split."""
    tokens: list[str] = _WORD.findall(text)
    if "-" not in text and "'" not in text and "’" not in text:
        return tokens
    out: list[str] = []
    for token in tokens:
        # Most tokens have no joiner: skip both regexes for them (this function tokenises
        # every sentence of the corpus for the name and lexical indexes; it was 85 % of
        # building the name index).
        if "-" not in token and "'" not in token and "’" not in token:
            out.append(token)
            continue
        token = _POSSESSIVE.sub("", token)
        out.extend(t for t in _JOINERS.split(token) if t)
    return out


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(ascii_fold(word).lower()))


# Code pages that mis-decoded UTF-8 is most often read as. ftfy repairs the Windows-125x
# family itself; the Thai code page ("Donโ€™t" for "Don’t") is not in its list, so a round
# trip through it is tried by hand when ftfy leaves the text unchanged. Like browsers
# (and ftfy's "sloppy" codecs), bytes the code page leaves undefined fall back to cp1252.
_EXTRA_CODEPAGES = ("cp874",)


def _cp1252_fallback(exc: UnicodeError) -> tuple[bytes, int]:
    """The ``errors=`` handler of :func:`_sloppy_encode`: what the code page cannot encode
    is encoded as cp1252, or the error stands (neither maps it: not this mojibake)."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return exc.object[exc.start : exc.end].encode("cp1252"), exc.end


codecs.register_error("newsqa-cp1252-fallback", _cp1252_fallback)


def _sloppy_encode(text: str, codepage: str) -> bytes:
    """``text`` in ``codepage``, each character it lacks in cp1252: one encode call in C
    (a loop over characters in Python was a third of parsing a warm re-ingest)."""
    return text.encode(codepage, errors="newsqa-cp1252-fallback")


def repair_text(text: str) -> str:
    """Text with mojibake repaired, for embedding and search (stored text stays verbatim)."""
    if text.isascii():
        return text  # mojibake is made of non-ASCII characters; ftfy costs ~0.1-2 ms a call
    import ftfy

    fixed = ftfy.fix_encoding(text)
    if fixed != text:
        return fixed
    for codepage in _EXTRA_CODEPAGES:
        try:
            candidate = _sloppy_encode(text, codepage).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if candidate != text:
            return candidate
    return text
