"""The one sentence splitter: pysbd, for the stored sentences and for a model's answers.

Ingest numbers the corpus's sentences with it (``ingest.sentences``) and the llm mode
splits a model's answer with it (``answering.citations``), so an answer sentence that
copies a corpus sentence is cut where the corpus was cut. Changing the splitter (its
options, pysbd's version) renumbers stored sentences: bump
``ingest.pipeline.PIPELINE_VERSION`` with it, so indexes built before are rebuilt.
"""

from __future__ import annotations

from functools import lru_cache

import pysbd
from pysbd.utils import TextSpan


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    # clean=False: the text is never altered, so each sentence is found word for word in
    # the file; char_span=True: with offsets (pysbd's sentences are the same either way).
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def segment(text: str) -> list[TextSpan]:
    """Sentences of ``text`` in order: ``.sent`` (with trailing white space), ``.start``."""
    spans: list[TextSpan] = _segmenter().segment(text)
    return spans
