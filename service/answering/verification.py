"""Every sentence of a model's answer checked against the evidence it cites.

A citation supports an answer sentence (a "claim") when both hold:
1. every number, date and proper name of the claim is in the cited text (``facts``);
2. the claim overlaps the cited text enough: ``support score`` = mean of the IDF-weighted
   share of the claim's terms found in the cited text (name spellings folded, stems) and
   the cosine similarity of their embeddings, at least ``threshold`` (tuned on
   eval/cases.jsonl, see docs/llm.md).

A claim whose own citations do not support it is aligned to the best-supporting sentence
the model was shown (or one of their neighbours); if none supports it, it is unsupported
and the answerer drops it from the text (it stays in ``Answer.claims``). Citations that
add nothing to a supported claim are dropped too, so that no claim is shown with a
citation that does not support it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from service.answering.citations import MarkedSentence
from service.answering.evidence_window import ShownEvidence
from service.answering.facts import (
    Specific,
    TextFacts,
    common_words,
    missing_specifics,
    specifics,
    text_facts,
)
from service.answering.support import coverage
from service.index.corpus import CorpusSnapshot
from service.language.pronouns import PRONOUN_SUBJECT
from service.retrieval.evidence import SentenceRef

Embed = Callable[[list[str]], np.ndarray]

# "The articles do not cover this." / "There is no information about ..." — the model
# saying the evidence does not answer, which is not a claim to verify.
_DECLINE = re.compile(
    r"\b(?:articles?|evidence|sources?|context|documents?|texts?)\s+(?:do(?:es)?\s+not|don['’]t|"
    r"doesn['’]t|cannot|can['’]t)\s+(?:\w+\s+){0,2}?(?:cover|mention|say|answer|contain|"
    r"provide|include|specify|state|address|discuss)\b"
    r"|\bno\s+(?:information|mention|evidence)\b.{0,60}\b(?:in|from)\s+the\s+(?:articles?|"
    r"evidence|sources?|context|documents?|texts?)\b",
    re.IGNORECASE,
)
# A sentence whose subject is a pronoun ("He added that ...") names its speaker in the
# sentence before; only then may a claim's name be found there. A sentence that names its
# own people does not lend the names of the one before (that would let "Dmitriev said X"
# pass against "Ushakov said X" when Dmitriev is named just before).
_COMMON_CACHE: dict[tuple[object, float], frozenset[str]] = {}


def is_decline(text: str) -> bool:
    return bool(_DECLINE.search(text))


def _common(snap: CorpusSnapshot) -> frozenset[str]:
    key = (snap.fingerprint, snap.built_at)
    if key not in _COMMON_CACHE:
        _COMMON_CACHE.clear()  # one snapshot at a time is current
        _COMMON_CACHE[key] = common_words(snap)
    return _COMMON_CACHE[key]


@dataclass
class Candidate:
    """A corpus sentence the model was shown (``number`` set) or a neighbour of one."""

    ref: SentenceRef
    number: int | None
    facts: TextFacts
    name_facts: TextFacts  # with the sentence before, when this one opens "He said ..."
    vector: np.ndarray | None


@dataclass
class ClaimCheck:
    text: str
    markers: tuple[int, ...]  # what the model wrote
    refs: list[SentenceRef] = field(default_factory=list)  # supporting citations
    supported: bool = False
    score: float = 0.0
    aligned: bool = False  # the citation was found by the service, not given by the model
    decline: bool = False  # "the articles do not say": not a claim
    missing: list[str] = field(default_factory=list)

    def as_dict(self, ids: list[int]) -> dict[str, object]:
        return {
            "text": self.text,
            "citations": ids,
            "supported": self.supported,
            "score": round(self.score, 3),
            "aligned": self.aligned,
            "model_citations": list(self.markers),
            **({"missing": self.missing} if self.missing else {}),
            **({"decline": True} if self.decline else {}),
        }


@dataclass
class Verification:
    claims: list[ClaimCheck]
    markers_total: int
    markers_in_range: int

    @property
    def supported(self) -> list[ClaimCheck]:
        return [c for c in self.claims if c.supported]

    @property
    def checkable(self) -> list[ClaimCheck]:
        return [c for c in self.claims if not c.decline]


class Verifier:
    def __init__(self, snap: CorpusSnapshot, embed: Embed, threshold: float) -> None:
        self.snap = snap
        self.embed = embed
        self.threshold = threshold
        self.common = _common(snap)

    # -- scoring ------------------------------------------------------------------------
    def candidate(self, ref: SentenceRef, number: int | None) -> Candidate:
        pos = self.snap.position.get((ref.source, ref.sentence))
        previous = ""
        if pos is not None and PRONOUN_SUBJECT.match(ref.text):
            before, _ = self.snap.around(pos, 1)
            previous = before[-1].text if before else ""
        vector = self.snap.vector(pos) if pos is not None else None
        return Candidate(
            ref,
            number,
            text_facts(ref.text, self.snap),
            text_facts(f"{previous} {ref.text}", self.snap),
            vector,
        )

    def score(
        self, claim: str, claim_vec: np.ndarray, specs: list[Specific], cands: Sequence[Candidate]
    ) -> tuple[float, list[str]]:
        """(support score, specifics missing) of a claim against the union of ``cands``."""
        lexical, dense = self.overlap(claim, claim_vec, cands)
        facts = _union([c.facts for c in cands])
        name_facts = _union([c.name_facts for c in cands])
        missing = missing_specifics(specs, facts, name_facts, self.snap)
        return (lexical + max(dense, 0.0)) / 2, missing

    def overlap(
        self, claim: str, claim_vec: np.ndarray, cands: Sequence[Candidate]
    ) -> tuple[float, float]:
        """(IDF-weighted share of the claim's terms in the cited text, best cosine)."""
        keys: set[str] = set().union(*(c.facts.keys for c in cands))
        claim_keys = list(self.snap.keys_of(claim))
        lexical = coverage(claim_keys, keys, self.snap) if claim_keys else 0.0
        sims = [float(np.dot(claim_vec, c.vector)) for c in cands if c.vector is not None]
        return lexical, max(sims, default=0.0)

    def supports(self, score: float, missing: list[str]) -> bool:
        return not missing and score >= self.threshold

    # -- the check ----------------------------------------------------------------------
    def check(self, sentences: list[MarkedSentence], shown: list[ShownEvidence]) -> Verification:
        numbered = {s.number: self.candidate(s.evidence.ref, s.number) for s in shown}
        pool: dict[tuple[str, int], Candidate] = {
            (c.ref.source, c.ref.sentence): c for c in numbered.values()
        }
        for s in shown:
            for ref in (*s.evidence.before, *s.evidence.after):
                pool.setdefault((ref.source, ref.sentence), self.candidate(ref, None))
        vectors = self.embed([s.text for s in sentences]) if sentences else np.zeros((0, 0))
        total = sum(len(s.markers) for s in sentences)
        in_range = sum(1 for s in sentences for m in s.markers if m in numbered)
        claims = [
            self._check_one(s, vectors[i], numbered, list(pool.values()))
            for i, s in enumerate(sentences)
        ]
        return Verification(claims, total, in_range)

    def _check_one(
        self,
        sentence: MarkedSentence,
        vec: np.ndarray,
        numbered: dict[int, Candidate],
        pool: list[Candidate],
    ) -> ClaimCheck:
        check = ClaimCheck(sentence.text, sentence.markers)
        specs = specifics(sentence.text, self.snap, self.common)
        cited = list({id(c): c for m in sentence.markers if (c := numbered.get(m))}.values())
        if cited:
            score, missing = self.score(sentence.text, vec, specs, cited)
            check.score, check.missing = score, missing
            if self.supports(score, missing):
                check.refs = [c.ref for c in self._prune(sentence.text, vec, specs, cited)]
                check.supported = True
                return check
        # Aligned to ONE sentence only: joining two by the service would let a claim take
        # its words from one and a name from the other (misattribution); a claim that needs
        # two sentences must cite both itself.
        best: tuple[float, Candidate] | None = None
        nearest: tuple[float, list[str]] | None = None  # the closest miss, to report
        for cand in pool:
            score, missing = self.score(sentence.text, vec, specs, [cand])
            if self.supports(score, missing):
                if best is None or score > best[0]:
                    best = (score, cand)
            elif nearest is None or score > nearest[0]:
                nearest = (score, missing)
        if not cited and nearest is not None:
            check.score, check.missing = nearest
        if best is not None:
            check.score, check.missing = best[0], []
            check.refs, check.supported, check.aligned = [best[1].ref], True, True
            return check
        check.decline = is_decline(sentence.text)
        return check

    def _prune(
        self, claim: str, vec: np.ndarray, specs: list[Specific], cited: list[Candidate]
    ) -> list[Candidate]:
        """Drop citations the claim does not need and that do not support it alone."""
        kept = list(cited)
        for cand in cited:
            if len(kept) == 1:
                break
            alone = self.score(claim, vec, specs, [cand])
            if self.supports(*alone):
                continue
            rest = [c for c in kept if c is not cand]
            if self.supports(*self.score(claim, vec, specs, rest)):
                kept = rest
        return kept


def _union(facts: list[TextFacts]) -> TextFacts:
    if len(facts) == 1:
        return facts[0]
    return TextFacts(
        *(
            frozenset().union(*(getattr(f, name) for f in facts))
            for name in (
                "numbers",
                "dates",
                "keys",
                "lower_words",
                "capitalised",
                "acronyms",
            )
        )
    )
