"""``python -m ingest --reembed``: every stored sentence embedded anew with the configured model.

When the embedding settings change (another model, ``embedding.precision``, an OpenAI
model), the index's vectors are the old model's, and every process configured with the
new one refuses to start (``IndexStore``, :class:`EmbedderMismatch`). The texts are all
in the index (its contents records), so no source file is needed:

1. a vectors collection for the new model is made beside the old one, named by the
   model (``<collection>__vectors__<sha256 of the model id>``), so a second run finds it;
2. each distinct sentence text the contents records name and that collection lacks is
   embedded (through the content-addressed cache: a text the model embedded before costs
   a lookup) and written, a batch at a time. Each batch written is a checkpoint: after a
   kill (even ``kill -9``) the next run embeds only what is missing;
3. when none is missing (texts written meanwhile are picked up by reading again), one
   upsert of the index's embedding record names the new collection, model and
   dimension: the swap. Until then every reader (a service still running with the old
   settings) keeps answering from the old collection.

After the swap the old collection is dropped when this process owns the index (an
embedded folder: no one else can be reading it); on a Chroma server, services started
with the old settings may still read it, so it is kept until ``--reembed`` runs again
(with nothing left to re-embed, it drops the collections the index no longer uses).

The stored sentences stay as they are: the numbers, spans and entity labels citations
name. Their documents' content hashes name the old model (``content_hash``), so the next
``python -m ingest`` of the same files writes them again, embedding nothing (the cache).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable

import numpy as np

from service.components.embedding_cache import CachedEmbedder, make_cached
from service.components.embeddings import ingest_threads, make_embedder
from service.index.store import EmbeddingRecord, IndexStore, make_client, text_key
from service.language.text import repair_text
from service.settings import Settings

_PAGE = 20_000


def target_name(collection: str, embedder_name: str) -> str:
    """The vectors collection of ``embedder_name``'s vectors (Chroma names: [a-z0-9._-])."""
    return f"{collection}__vectors__{hashlib.sha256(embedder_name.encode()).hexdigest()[:12]}"


def stored_texts(store: IndexStore) -> dict[str, str]:
    """text key -> text of every sentence any contents record names."""
    out: dict[str, str] = {}
    offset = 0
    while True:
        got = store.contents.get(include=["metadatas"], limit=_PAGE, offset=offset)
        for meta in got["metadatas"] or []:
            for row in json.loads(str(dict(meta or {}).get("rows") or "[]")):
                out.setdefault(text_key(str(row[5])), str(row[5]))
        if len(got["ids"]) < _PAGE:
            return out
        offset += _PAGE


def _held(collection: object) -> set[str]:
    held: set[str] = set()
    offset = 0
    while True:
        got = collection.get(include=[], limit=_PAGE, offset=offset)  # type: ignore[attr-defined]
        held.update(got["ids"])
        if len(got["ids"]) < _PAGE:
            return held
        offset += _PAGE


def _unused_vectors(store: IndexStore) -> list[str]:
    """This index's vectors collections that its embedding record does not name."""
    prefix = f"{store.name}__vectors"
    names = [str(getattr(c, "name", c)) for c in store.client.list_collections()]
    return [n for n in names if n.startswith(prefix) and n != store.embedding.vectors]


def reembed(
    settings: Settings,
    progress: bool,
    owns_index: bool,
    lines: bool = False,
    on_swapped: Callable[[IndexStore], None] | None = None,
) -> int:
    embedder = make_cached(
        make_embedder(settings.embedding, settings.llm, ingest_threads(settings.embedding)),
        settings,
    )
    store = IndexStore(
        make_client(settings), settings.chroma.collection, embedder.name, check_embedder=False
    )
    old = store.embedding
    if old.embedder == embedder.name:
        dropped = _unused_vectors(store)
        for name in dropped:
            store.client.delete_collection(name)
        extra = f"; dropped unused vectors collections {dropped}" if dropped else ""
        print(f"the index is embedded with {embedder.name} already: nothing to re-embed{extra}")
        return 0
    name = target_name(store.name, embedder.name)
    target = store.client.get_or_create_collection(
        name,
        metadata={"hnsw:space": "cosine", "embedder": embedder.name},
        embedding_function=None,
    )
    started = time.perf_counter()
    held = _held(target)
    resumed = len(held)
    bar = None
    written = 0
    while True:
        texts = stored_texts(store)
        todo = [k for k in texts if k not in held]
        if not todo:
            break
        if progress and bar is None:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), initial=len(held), unit="text", desc="re-embed")
        batch = settings.ingest.reembed_batch
        for lo in range(0, len(todo), batch):
            keys = todo[lo : lo + batch]
            # The repaired text, as the ingester embeds it (ingest/parse.py): the same
            # vectors, and the same cache keys, as an ingest with this model makes.
            vectors = embedder.embed([repair_text(texts[k]) for k in keys])
            target.upsert(ids=keys, embeddings=np.asarray(vectors, dtype=np.float32))
            held.update(keys)
            written += len(keys)
            if bar is not None:
                bar.total = len(texts)
                bar.update(len(keys))
            elif lines:  # no terminal: one line per checkpoint (a log, a test)
                print(f"re-embedded {len(held)}/{len(texts)} texts", file=sys.stderr, flush=True)
    if bar is not None:
        bar.close()
    peek = target.peek(1)
    rows = peek["embeddings"] if peek["embeddings"] is not None else []
    dimension = len(rows[0]) if len(rows) else None
    store.record_embedding(EmbeddingRecord(name, embedder.name, dimension))  # the swap
    store.vectors, store.embedder_name = target, embedder.name
    kept = ""
    if owns_index:
        store.client.delete_collection(old.vectors)
    else:
        kept = (
            f"; {old.vectors} ({old.embedder}) is kept for services still running with the "
            "old settings: restart them, then run --reembed again to drop it"
        )
    cache = ""
    if isinstance(embedder, CachedEmbedder):
        cache = f" ({embedder.stats.misses} embedded, {embedder.stats.hits} from cache)"
    print(
        f"re-embedded {written} texts{cache}, {resumed} done before; the index now uses "
        f"{embedder.name} ({dimension} dimensions) in {name}{kept}; "
        f"{time.perf_counter() - started:.1f} s"
    )
    if on_swapped is not None:
        on_swapped(store)
    return 0
