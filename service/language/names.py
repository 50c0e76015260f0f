"""Proper names spelt differently across sources (Witkoff / Vitkov / Whitkov) made to meet.

The spellings are learned from the corpus, not from a table: every capitalised word seen
in the middle of a sentence (or first in one, if never written in lower case) is a name
candidate; two candidates are one name when their
fuzzy similarity (rapidfuzz), on the raw spelling or on a rough phonetic key that folds
transliteration habits (w/v, y/i, kh/k, doubled letters), reaches the threshold, and they
start alike, and they play the same part in a name: a word mostly followed by another
capitalised word is a given name ("Dmitry Peskov") and does not merge with a family name
("Kirill Dmitriev") however alike they look. Clusters are closed transitively, so
Wittkoff meets Vitkov through Witkoff.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from service.language.text import STOPWORDS, ascii_fold, words

_MIN_LEN = 4
# A capitalised word followed, after a single space, by another: "Dmitry Peskov".
_GIVEN_NAME = re.compile(r"\b([A-Z][^\W\d_]+)(?= [A-Z])")


def phonetic_key(word: str) -> str:
    w = ascii_fold(word).lower().replace("w", "v").replace("y", "i")
    w = re.sub(r"(?<=[bcdfgjklmnpqrstvxz])h", "", w)
    w = re.sub(r"(.)\1+", r"\1", w)
    return re.sub(r"f$", "v", w)  # -off / -ov


def _similar(a: str, b: str, threshold: float) -> bool:
    ka, kb = phonetic_key(a), phonetic_key(b)
    if ka[:1] != kb[:1]:
        return False
    score = max(fuzz.ratio(ka, kb), fuzz.ratio(a.lower(), b.lower()))
    return score >= threshold


@dataclass
class NameIndex:
    """Maps any spelling of a known name to one canonical token for the whole cluster."""

    threshold: float
    canonical: dict[str, str] = field(default_factory=dict)  # lower spelling -> canonical
    members: dict[str, list[str]] = field(default_factory=dict)  # canonical -> spellings
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, sentences: list[str], threshold: float) -> NameIndex:
        counts: Counter[str] = Counter()
        leading: Counter[str] = Counter()  # times followed by another capitalised word
        lower_seen = {w for text in sentences for w in words(text) if w.islower()}
        for text in sentences:
            tokens = words(text)
            for i, tok in enumerate(tokens):
                if len(tok) < _MIN_LEN or not tok[0].isupper():
                    continue
                # A sentence's first word is a name only if the corpus never writes it in
                # lower case ("Axios claims...", not "Meanwhile, ...").
                if i == 0 and (tok.lower() in lower_seen or tok.lower() in STOPWORDS):
                    continue
                if tok.isupper() or tok.lower() in STOPWORDS:
                    continue  # acronyms (NATO, US) are spelt one way
                counts[tok.lower()] += 1
            for m in _GIVEN_NAME.finditer(text):
                leading[m.group(1).lower()] += 1
        given = {n for n in counts if leading[n] * 2 > counts[n]}
        names = sorted(counts, key=lambda n: (-counts[n], n))
        parent = {n: n for n in names}

        def root(n: str) -> str:
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n

        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if (a in given) == (b in given) and _similar(a, b, threshold):
                    ra, rb = root(a), root(b)
                    if ra != rb:  # the more frequent spelling stays the root
                        first, second = sorted((ra, rb), key=lambda n: (-counts[n], n))
                        parent[second] = first
        index = cls(threshold=threshold, counts=counts)
        for n in names:
            r = root(n)
            index.canonical[n] = r
            index.members.setdefault(r, []).append(n)
        return index

    def resolve(self, word: str) -> str | None:
        """The canonical name a word (any case, even a new spelling) belongs to, if any."""
        low = word.lower()
        if low in self.canonical:
            return self.canonical[low]
        if len(low) < _MIN_LEN or low in STOPWORDS:
            return None
        best: tuple[float, str] | None = None
        for known, canon in self.canonical.items():
            if _similar(low, known, self.threshold):
                score = fuzz.ratio(phonetic_key(low), phonetic_key(known))
                if best is None or score > best[0]:
                    best = (score, canon)
        return best[1] if best else None

    def display(self, canon: str) -> str:
        """How to write a name in an answer: its most frequent spelling, capitalised."""
        spellings = self.members.get(canon, [canon])
        best = max(spellings, key=lambda n: (self.counts[n], n))
        return best[:1].upper() + best[1:]

    def variants(self, word: str) -> list[str]:
        canon = self.resolve(word)
        return list(self.members.get(canon, [])) if canon else []
