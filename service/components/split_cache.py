"""A content-addressed cache of sentence boundaries: (splitter id, paragraph) -> spans.

Why: pysbd's rules are ~75 % of the cost of parsing a plain-text article (~2,300
sentences per CPU-second here, profiled on synthetic articles), and so the largest part of
re-indexing an archive whose vectors are all in the embedding cache: a rebuilt index, a
new index layout, a move to a Chroma server. A paragraph's boundaries depend only on its
text and the splitter, so they are kept as the vectors are: a table of the same SQLite
file, keyed by SHA-256 of ``SPLITTER_ID`` and the paragraph's text, the value its
sentences' (start, end) offsets as little-endian uint32. A changed splitter has a new id,
so rows of the old one are never read. A cached split is the splitter's own output, so
the stored sentences and their numbers are the same with or without the cache.

Each process (the ingester's parse workers) opens the file once (:func:`split_cache_at`)
and writes the paragraphs it split itself, one transaction per document.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
from pysbd.utils import TextSpan

from service.components.embedding_cache import ContentCache, cache_at, cache_key
from service.language.sentences import SPLITTER_ID, segment

_OFFSETS = np.dtype("<u4")


def encode_spans(spans: list[TextSpan]) -> bytes:
    return np.asarray([(s.start, s.end) for s in spans], dtype=_OFFSETS).tobytes()


def decode_spans(text: str, blob: bytes) -> list[TextSpan]:
    offsets = np.frombuffer(blob, dtype=_OFFSETS).reshape(-1, 2).tolist()
    return [TextSpan(text[start:end], start, end) for start, end in offsets]


class SplitCache(ContentCache):
    """Sentence spans per paragraph; ``hits``/``misses`` count this process's lookups."""

    table, column = "sentence_spans", "spans"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.hits = 0
        self.misses = 0

    def segment_all(self, texts: list[str]) -> list[list[TextSpan]]:
        """``segment`` of each text, from the cache where it has them (one read, and one
        write of the texts split here)."""
        keys = [cache_key(SPLITTER_ID, t) for t in texts]
        found = self._get(list(set(keys)))
        out: list[list[TextSpan]] = []
        made: dict[bytes, bytes] = {}
        for text, key in zip(texts, keys, strict=True):
            blob = found.get(key)
            if blob is not None:
                self.hits += 1
                out.append(decode_spans(text, blob))
                continue
            self.misses += 1
            spans = segment(text)
            made[key] = encode_spans(spans)
            out.append(spans)
        if made:
            self._put(list(made.items()))
        return out


def split_cache_at(path: Path) -> SplitCache:
    """This process's handle on the cache file at ``path``."""
    return cast(SplitCache, cache_at(SplitCache, path))
