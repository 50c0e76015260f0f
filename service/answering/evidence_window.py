"""The evidence as the model sees it: numbered sentences fitted into the token budget.

Each retrieved sentence is shown as ``[n] text`` then ``(from source, sentence k; reported
by site on day; ...)``, best first, with a little of its neighbours (``Evidence.before`` /
``after``) so that a pronoun or a quote split over two sentences can be understood.
Sentences come first: every one that fits is shown before any context is added; context
is then added in rank order while it fits and dropped first when the budget is tight.
``[n]`` in the model's reply refers to the n-th shown sentence (see
``service.answering.citations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.components.llm import TokenCounter
from service.retrieval.evidence import Evidence

CONTEXT_TOKENS = 20  # of each neighbour, at most: "a little" context, not a second passage


@dataclass(frozen=True)
class ShownEvidence:
    number: int  # the [n] the model sees
    evidence: Evidence
    context_before: str = ""
    context_after: str = ""
    reported: str = ""  # "reported by bbc.co.uk on 3 December 2024" (``dated_claims``)

    def line(self) -> str:
        ref = self.evidence.ref
        out = f"[{self.number}] {ref.text}\n    (from {ref.source}, sentence {ref.sentence}"
        if self.reported:
            out += f"; {self.reported}"
        if self.context_before:
            out += f"; before it: {self.context_before}"
        if self.context_after:
            out += f"; after it: {self.context_after}"
        return out + ")"


def format_evidence(shown: list[ShownEvidence]) -> str:
    return "\n".join(s.line() for s in shown)


def fit_evidence(
    evidence: list[Evidence],
    counter: TokenCounter,
    budget: int,
    reported: Mapping[str, str] | None = None,
) -> list[ShownEvidence]:
    """The evidence to show, numbered 1..n, whose formatted text fits in ``budget`` tokens;
    ``reported``: each source's date and site as the model is shown them."""
    shown: list[ShownEvidence] = []
    used = 0
    for ev in evidence:
        item = ShownEvidence(len(shown) + 1, ev, reported=(reported or {}).get(ev.ref.source, ""))
        cost = counter.count(item.line()) + 1
        if used + cost > budget:
            break  # keep the rank order: no lower-ranked sentence jumps a longer one
        shown.append(item)
        used += cost
    for i, item in enumerate(shown):
        before = item.evidence.before[-1].text if item.evidence.before else ""
        after = item.evidence.after[0].text if item.evidence.after else ""
        if not before and not after:
            continue
        richer = ShownEvidence(
            item.number,
            item.evidence,
            counter.tail(before, CONTEXT_TOKENS) if before else "",
            counter.truncate(after, CONTEXT_TOKENS) if after else "",
            item.reported,
        )
        extra = counter.count(richer.line()) - counter.count(item.line())
        if used + extra <= budget:
            shown[i] = richer
            used += extra
    return shown
