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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from service.language.text import STOPWORDS, ascii_fold, words

_MIN_LEN = 4
_ROWS = 512  # rows of a block scored per cdist call: bounds memory to 512 x block floats
# A capitalised word followed, after a single space, by another: "Dmitry Peskov".
_GIVEN_NAME = re.compile(r"\b([A-Z][^\W\d_]+)(?= [A-Z])")


@lru_cache(maxsize=1 << 17)  # called per distinct name on every refresh
def phonetic_key(word: str) -> str:
    w = ascii_fold(word).lower().replace("w", "v").replace("y", "i")
    w = re.sub(r"(?<=[bcdfgjklmnpqrstvxz])h", "", w)
    w = re.sub(r"(.)\1+", r"\1", w)
    return re.sub(r"f$", "v", w)  # -off / -ov


def _similar_pairs(
    names: list[str], given: set[str], threshold: float
) -> Iterator[tuple[str, str]]:
    """Every pair of names that :func:`_similar` accepts, without comparing all pairs.

    Blocking keys: a pair can only be similar if both are given names or both are not, and
    their phonetic keys start alike, so only names sharing (role, first key letter) are
    compared; within a block, rapidfuzz's ``cdist`` scores all pairs in C (with its length
    cut-off for the score). Measured on 2 cores: the pairwise Python loop took 4.9 s for
    the ~2,000 names of 105 articles; blocks take tens of milliseconds there, and the cost
    grows with the square of the largest block (~1/20 of the names), not of all names.
    """
    blocks: dict[tuple[bool, str], list[str]] = {}
    for n in names:
        blocks.setdefault((n in given, phonetic_key(n)[:1]), []).append(n)
    for block in blocks.values():
        if len(block) < 2:
            continue
        keys = [phonetic_key(n) for n in block]
        for lo in range(0, len(block), _ROWS):
            rows = slice(lo, lo + _ROWS)
            by_key = process.cdist(
                keys[rows], keys, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.float32
            )
            by_raw = process.cdist(
                block[rows], block, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.float32
            )
            for i, j in zip(*np.nonzero(np.maximum(by_key, by_raw) >= threshold), strict=True):
                if lo + i < j:
                    yield block[lo + i], block[j]


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
    _block_cache: dict[str, tuple[list[str], list[str]]] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def build(cls, sentences: list[str], threshold: float) -> NameIndex:
        return cls.from_evidence(NameEvidence.of(sentences), threshold)

    @classmethod
    def from_evidence(cls, evidence: NameEvidence, threshold: float) -> NameIndex:
        """The clusters of a corpus from its (summed) evidence: the same index whether the
        evidence was gathered at once or document by document."""
        counts: Counter[str] = Counter(evidence.inner)
        for n, c in evidence.first.items():
            # A sentence's first word is a name only if the corpus never writes it in
            # lower case ("Axios claims...", not "Meanwhile, ...").
            if n not in evidence.lower:
                counts[n] += c
        leading = evidence.leading
        given = {n for n in counts if leading[n] * 2 > counts[n]}
        names = sorted(counts, key=lambda n: (-counts[n], n))
        parent = {n: n for n in names}

        def root(n: str) -> str:
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n

        for a, b in _similar_pairs(names, given, threshold):
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
        """The canonical name a word (any case, even a new spelling) belongs to, if any.

        A new spelling is compared only with the known spellings in its block (same first
        phonetic letter, as :func:`_similar` requires), in one rapidfuzz call each.
        """
        low = word.lower()
        if low in self.canonical:
            return self.canonical[low]
        if len(low) < _MIN_LEN or low in STOPWORDS:
            return None
        key = phonetic_key(low)
        block = self._blocks().get(key[:1])
        if block is None:
            return None
        spellings, keys = block
        by_key = process.cdist([key], keys, scorer=fuzz.ratio, dtype=np.float32)[0]
        by_raw = process.cdist([low], spellings, scorer=fuzz.ratio, dtype=np.float32)[0]
        ok = np.maximum(by_key, by_raw) >= self.threshold
        if not ok.any():
            return None
        best = int(np.argmax(np.where(ok, by_key, -1.0)))  # first best, in frequency order
        return self.canonical[spellings[best]]

    def _blocks(self) -> dict[str, tuple[list[str], list[str]]]:
        """Known spellings (frequency order) and their phonetic keys, by first key letter."""
        if self._block_cache is None:
            blocks: dict[str, tuple[list[str], list[str]]] = {}
            for known in self.canonical:
                k = phonetic_key(known)
                spellings, keys = blocks.setdefault(k[:1], ([], []))
                spellings.append(known)
                keys.append(k)
            self._block_cache = blocks
        return self._block_cache

    def display(self, canon: str) -> str:
        """How to write a name in an answer: its most frequent spelling, capitalised."""
        spellings = self.members.get(canon, [canon])
        best = max(spellings, key=lambda n: (self.counts[n], n))
        return best[:1].upper() + best[1:]

    def variants(self, word: str) -> list[str]:
        canon = self.resolve(word)
        return list(self.members.get(canon, [])) if canon else []


@dataclass
class NameEvidence:
    """What some sentences say about name candidates, as counts that add up.

    A corpus's evidence is the sum of its documents', so a refresh after a one-document
    change subtracts that document's old evidence and adds its new one instead of
    tokenising every sentence again (tokenising was 85 % of building the name index;
    the clustering itself runs in C over the distinct names, see :func:`_similar_pairs`).
    """

    inner: Counter[str] = field(default_factory=Counter)  # capitalised, not first in sentence
    first: Counter[str] = field(default_factory=Counter)  # capitalised, first in sentence
    lower: Counter[str] = field(default_factory=Counter)  # words written in lower case
    leading: Counter[str] = field(default_factory=Counter)  # followed by a capitalised word

    @classmethod
    def of(cls, sentences: list[str]) -> NameEvidence:
        ev = cls()
        # Each distinct text once, counted as often as it occurs (wire copy, boilerplate).
        for text, times in Counter(sentences).items():
            tokens = words(text)
            for i, tok in enumerate(tokens):
                if tok.islower():
                    ev.lower[tok] += times
                if len(tok) < _MIN_LEN or not tok[0].isupper():
                    continue
                if tok.isupper() or tok.lower() in STOPWORDS:
                    continue  # acronyms (NATO, US) are spelt one way
                (ev.first if i == 0 else ev.inner)[tok.lower()] += times
            for m in _GIVEN_NAME.finditer(text):
                ev.leading[m.group(1).lower()] += times
        return ev

    def copy(self) -> NameEvidence:
        return NameEvidence(
            Counter(self.inner), Counter(self.first), Counter(self.lower), Counter(self.leading)
        )

    def add(self, other: NameEvidence, sign: int = 1) -> None:
        """Add (``sign=1``) or take away (``-1``) ``other``, in place; zero counts go."""
        for mine, theirs in (
            (self.inner, other.inner),
            (self.first, other.first),
            (self.lower, other.lower),
            (self.leading, other.leading),
        ):
            for key, c in theirs.items():
                left = mine[key] + sign * c
                if left > 0:
                    mine[key] = left
                else:
                    mine.pop(key, None)
