"""Reported speech: the verbs news prose reports speech with, and questions that ask for it.

Used by attribution (who speaks in a sentence), by the refusal check ("the articles
report nothing X said") and by the extractive answerer ("What did X say?").
"""

from __future__ import annotations

import re

SPEECH_VERBS = frozenset(
    (
        "say says said saying tell tells told add adds added note notes noted stress "
        "stresses stressed claim claims claimed state states stated remark remarks "
        "remarked describe describes described characterize characterized characterised "
        "express expresses expressed warn warns warned argue argues argued emphasize "
        "emphasized emphasised acknowledge acknowledged insist insists insisted inform "
        "informed praise praised accuse accused threaten threatened convey conveyed "
        "assert asserted indicate indicated refute refuted report reported announce "
        "announced explain explained suggest suggested dismiss dismissed reveal revealed "
        "write writes wrote reiterate reiterated affirm affirmed deny denied confirm "
        "confirmed"
    ).split()
)
# The verbs "What did X say?"-like questions ask about speech with: SPEECH_VERBS' base
# and past forms the questions use, plus "think" and "emphasise" (tests/rules checks it).
QUESTION_SPEECH_VERBS: tuple[str, ...] = tuple(
    (
        "say said tell told claim claimed state stated think describe described announce "
        "argue warn stress note add report reveal insist emphasise emphasize praise accuse "
        "express"
    ).split()
)
SPEAKER_QUESTION = re.compile(
    r"\b(?:what|how)\b.*?\b(?:did|does|has|had|do)\s+(?P<who>.+?)\s+"
    rf"(?:{'|'.join(QUESTION_SPEECH_VERBS)})\b",
    re.IGNORECASE,
)


def asked_speaker_span(question: str) -> str | None:
    """The words that name who a "What did X say?"-like question asks about, if it is one."""
    m = SPEAKER_QUESTION.search(question)
    return m.group("who") if m else None
