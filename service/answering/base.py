"""The data that flows from retrieval to answering to the HTTP layer, and the answerer seam.

Both answer modes (``extractive`` and ``llm``) implement :class:`Answerer` and return an
:class:`Answer`, so routers and clients need not care which mode answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from service.retrieval.evidence import Evidence

if TYPE_CHECKING:
    from service.retrieval.hybrid import Retrieval

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Role
    content: str


@dataclass(frozen=True)
class Question:
    """A question after follow-up resolution, with what retrieval needs to know."""

    original: str
    standalone: str  # the question with the conversation folded in
    history: tuple[Turn, ...] = ()
    top_k: int | None = None


@dataclass(frozen=True)
class CarrierRef:
    """Another member of the cited sentence's story cluster carrying the same text word for
    word (``service.answering.copies``); its metadata filled like a citation's."""

    source: str
    sentence: int
    title: str | None = None
    date: str | None = None
    url: str | None = None
    site: str | None = None
    link: str | None = None
    verified: bool = False  # this member's sentence is, word for word, the citation's text


@dataclass(frozen=True)
class Citation:
    """A citation as the API returns it: ``[id]`` in the answer refers to it."""

    id: int
    source: str
    sentence: int
    text: str
    # Filled from the document's manifest entry (``service.answering.provenance``), the
    # one record ``GET /sources`` reads too; None when unknown.
    title: str | None = None
    date: str | None = None
    url: str | None = None  # the document's own page
    site: str | None = None  # its site's domain
    link: str | None = None  # that page scrolled to this sentence (a text fragment)
    verified: bool = False  # the text is, word for word, this sentence of the source
    # Copies of the story (same cluster, same text), the original being this citation
    # (``service.answering.copies``); how many independent sources state the claim
    # (``service.answering.corroboration``).
    also_carried_by: tuple[CarrierRef, ...] = ()
    also_carried_by_count: int = 0  # all of them; the list may show only the first few
    corroboration: dict[str, object] | None = None


@dataclass
class Answer:
    """What an answerer returns; the HTTP contract is built from it."""

    answer: str
    refused: bool
    citations: list[Citation]
    mode: str
    fallback: str | None = None  # why the llm mode fell back to extractive, if it did
    refusal_reason: str | None = None
    answerability: float | None = None  # the reader's best probability over the candidates
    standalone_question: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    claims: list[dict[str, object]] = field(default_factory=list)  # per answer sentence
    # The time the question and request asked about (``TimeFrame.echo``), and the newest
    # cited document's date, which the answer says it is "as of".
    time_range: dict[str, object] | None = None
    as_of: str | None = None
    # Conflicting figures for one quantity in the evidence (``answering.conflicts``).
    disputed: bool = False
    conflicts: list[dict[str, object]] = field(default_factory=list)


class Answerer(Protocol):
    """Turns a question and its evidence into a cited answer."""

    mode: str

    async def answer(self, question: Question, retrieval: Retrieval) -> Answer: ...

    def stream(self, question: Question, retrieval: Retrieval) -> AsyncIterator[str | Answer]:
        """Yield text deltas as they are produced, then the final verified :class:`Answer`."""
        ...
