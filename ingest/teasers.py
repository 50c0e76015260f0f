"""Find unrelated teaser sentences that scraped pages append after the article.

Sites append "more stories" teasers after the article body: real sentences, so no line
rule catches them, but about other stories. The rule: a closing block of the document is
dropped when it ends the document, starts with a sentence that shares no topic with the
article body (its best cosine similarity to any body sentence is under a threshold), holds
at least three such sentences (a teaser box lists several stories) and is mostly made of
them; the shortest such block wins, so an article's own last paragraphs stay. One or two
odd sentences (a quote such as "What a mess.") are not a teaser box and stay.
"""

from __future__ import annotations

import numpy as np

_TAIL_SHARE = 0.25  # the closing part of a document that may be a teaser block
_MIN_SENTENCES = 8  # shorter documents have no body to compare against
_MIN_TEASERS = 3


def foreign_tail(vectors: np.ndarray, max_similarity: float) -> int:
    """How many sentences at the end of the document are an unrelated teaser block."""
    n = len(vectors)
    if n < _MIN_SENTENCES:
        return 0
    window = max(3, int(n * _TAIL_SHARE))
    body, tail = vectors[: n - window], vectors[n - window :]
    best = (tail @ body.T).max(axis=1)
    foreign = best < max_similarity
    if not foreign[-1]:
        return 0
    for start in range(window - 1, -1, -1):  # the shortest qualifying block wins
        block = foreign[start:]
        if block[0] and block.sum() >= _MIN_TEASERS and block.sum() * 2 >= len(block):
            return window - start
    return 0
