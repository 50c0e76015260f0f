"""The one sentence splitter: pysbd, for the stored sentences and for a model's answers.

Ingest numbers the corpus's sentences with it (``ingest.sentences``) and the llm mode
splits a model's answer with it (``answering.citations``), so an answer sentence that
copies a corpus sentence is cut where the corpus was cut. Changing the splitter (its
options, pysbd's version) renumbers stored sentences: bump
``ingest.pipeline.PIPELINE_VERSION`` with it, so indexes built before are rebuilt, and
``SPLITTER_ID``, so the split cache (``service.components.split_cache``) is not read.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd
from pysbd.utils import TextSpan

# Names this splitter's output: pysbd's version and the options below (bump the suffix when
# ``_Segmenter`` or the options change). The split cache keys paragraphs by it.
SPLITTER_ID = f"pysbd-{pysbd.__version__}-en-noclean-find:1"


class _Segmenter(pysbd.Segmenter):
    """pysbd's segmenter with its span finder done by ``str.find`` instead of a regex.

    Why: pysbd locates each sentence in the text with ``re.finditer(re.escape(sentence)
    + r"\\s*")``, a new pattern per sentence. Besides compiling it, each one pushes a
    pattern out of ``re``'s 512-entry cache, so pysbd's own abbreviation patterns are
    compiled again and again: 60 % of ingest's splitting time (profiled on 1,000
    synthetic articles: 44 s of 74 s in ``re._compile``). The same search as plain string
    operations gives the same spans (the first non-overlapping occurrence ending after
    the previous sentence, with its trailing white space: ``\\s`` is ``str.isspace``).
    """

    def sentences_with_char_spans(self, sentences: list[str]) -> list[TextSpan]:
        text: str = self.original_text
        spans: list[TextSpan] = []
        prior_end = 0
        for sent in sentences:
            if not sent:  # pysbd's regex matches everywhere then: keep its own behaviour
                spans.extend(_regex_span(sent, text, prior_end))
                prior_end = spans[-1].end if spans else prior_end
                continue
            pos = 0
            while (at := text.find(sent, pos)) >= 0:
                end = at + len(sent)
                while end < len(text) and text[end].isspace():
                    end += 1
                if end > prior_end:
                    spans.append(TextSpan(text[at:end], at, end))
                    prior_end = end
                    break
                pos = end  # finditer's matches do not overlap
        return spans


def _regex_span(sent: str, text: str, prior_end: int) -> list[TextSpan]:
    for match in re.finditer(rf"{re.escape(sent)}\s*", text):
        if match.end() > prior_end:
            return [TextSpan(match.group(), match.start(), match.end())]
    return []


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    # clean=False: the text is never altered, so each sentence is found word for word in
    # the file; char_span=True: with offsets (pysbd's sentences are the same either way).
    return _Segmenter(language="en", clean=False, char_span=True)


def segment(text: str) -> list[TextSpan]:
    """Sentences of ``text`` in order: ``.sent`` (with trailing white space), ``.start``."""
    spans: list[TextSpan] = _segmenter().segment(text)
    return spans
