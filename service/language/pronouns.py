"""Pronoun patterns: a pronoun stands for a person named before (follow-ups, speakers).

Each pattern serves a different question, so they differ on purpose; they live together
so that a change to one is made knowing the others.
"""

from __future__ import annotations

import re

# A person in a follow-up question ("What did he say?"): resolved to the last person named.
PERSON_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers)\b", re.IGNORECASE)
# A thing in a follow-up question ("Where did it happen?"), near its end.
THING_PRONOUN = re.compile(r"\b(it|they|them|there)\b(?=[^?]*\?*\s*$)", re.IGNORECASE)
# Any pronoun a model's rewrite of a follow-up must have resolved.
PRONOUNS = frozenset(
    ["he", "she", "him", "his", "her", "hers", "they", "them", "their", "it", "its"]
)
# A pronoun standing for the speaker: "He added...", "..., he said.", "According to him, ..."
SPEAKER_PRONOUN = re.compile(
    r"^(?:He|She)\b|\b(?:he|she)\b(?= (?:said|added|noted|stressed|warned|told|claimed))"
    r"|(?<=^According to )(?:him|her)\b"
)
# A sentence whose subject is a pronoun ("He added that ...") names its speaker in the
# sentence before.
PRONOUN_SUBJECT = re.compile(r"^\W*(?:he|she|they|his|her|their)\b", re.IGNORECASE)
# A quotation in the first person ("We are ready..."): the speaker is named elsewhere.
FIRST_PERSON_START = re.compile(r"^[“\"]?(I|We|Our|My)\b")
