"""The per-document work that needs no model: validate, decode, clean, split, prepare text.

A module-level function of picklable inputs and outputs, so that a bulk ingest can run it
in a pool of processes (``ingest.bulk``) on every core while the main process embeds and
writes; a single document (the documents API) runs it in place. A further per-sentence
analysis that needs no vectors belongs here, so it is spread over the cores the same way:
named-entity labels are (``parse_batch`` with a tagger).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ingest.cleaning import CleanDocument
from ingest.loaders import DocumentError, read_document, validate_source_name
from ingest.sentences import Sentence, split_sentences
from service.components.split_cache import split_cache_at
from service.language.entities import EntityTagger, tag_documents
from service.language.text import repair_text


@dataclass(frozen=True)
class ParsedDocument:
    """A document read, cleaned and split: everything but its vectors."""

    source: str
    data: bytes
    text: str
    doc: CleanDocument
    sentences: list[Sentence]
    # What the model embeds: repaired text, so that mojibake does not hide a sentence;
    # the stored text stays as the file has it, so citations match the file.
    embed_texts: list[str]
    # Each sentence's entity labels (tagged from ``embed_texts``), when the parse tagged.
    labels: list[frozenset[str]] | None = None


def parse_document(
    source: str, data: bytes, suffixes: list[str], max_bytes: int, split_cache: Path | None = None
) -> ParsedDocument | DocumentError:
    """Parse one document; bad input comes back as a :class:`DocumentError` (not raised,
    so one bad file in a pool's batch does not lose the batch). With ``split_cache`` (the
    cache file), paragraphs split before are not split again."""
    try:
        validate_source_name(source, suffixes)
        if len(data) > max_bytes:
            raise DocumentError(f"{source!r} is {len(data)} bytes; the limit is {max_bytes} bytes")
        text, doc = read_document(source, data)
        cached = split_cache_at(split_cache).segment_all if split_cache else None
        sentences = split_sentences(text, doc.prose, cached)
        if not sentences:
            raise DocumentError(f"{source!r} has no article text left after cleaning")
    except DocumentError as exc:
        return exc
    return ParsedDocument(
        source, data, text, doc, sentences, [repair_text(s.text) for s in sentences]
    )


def parse_batch(
    items: list[tuple[str, bytes]],
    suffixes: list[str],
    max_bytes: int,
    split_cache: Path | None = None,
    tagger: EntityTagger | None = None,
) -> list[ParsedDocument | DocumentError]:
    """Several documents in one pool task (one round trip per group, not per document).
    With a ``tagger``, their sentences are tagged too, in one call."""
    parsed = [
        parse_document(source, data, suffixes, max_bytes, split_cache) for source, data in items
    ]
    if tagger is None:
        return parsed
    good = [p for p in parsed if isinstance(p, ParsedDocument)]
    tagged = iter(tag_documents(tagger, [p.embed_texts for p in good]))
    return [replace(p, labels=next(tagged)) if isinstance(p, ParsedDocument) else p for p in parsed]
