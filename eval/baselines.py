"""Retrieval baselines on the same corpus and the same embeddings as the service.

- ``llamaindex-default``: llama-index's default pipeline: the corpus files read with
  ``SimpleDirectoryReader``, ``VectorStoreIndex`` with its default splitter (1024-token
  chunks), ``similarity_top_k=2``;
- ``llamaindex-128``: the same with 128-token chunks and ``similarity_top_k=10``;
- ``bm25-128``: BM25 alone (``bm25s``, English stop words and stemmer) over the 128-token
  chunks, top 10;
- ``bm25-sentences``: BM25 alone over the service's own sentences, top 10 (the lexical half
  of the service's hybrid retrieval, alone);
- ``dense-sentences``: cosine similarity alone over the service's own sentences with the
  same embedder, top 10 (the dense half of the hybrid, alone).

Embeddings come from the service's embedder (all-MiniLM-L6-v2) through a small llama-index
``BaseEmbedding`` adapter. A chunk "contains" a gold sentence when it is from the same file
and holds the sentence's text (white space collapsed), or, for a sentence cut by a chunk
boundary, the gold quote. Baselines have no conversation state: for follow-ups they get the
earlier user messages and the question joined (a naive condensation).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr

from eval.cases import Case

if TYPE_CHECKING:
    from service.components.embeddings import Embedder

from llama_index.core.base.embeddings.base import BaseEmbedding

Key = tuple[str, int]


class EmbedderAdapter(BaseEmbedding):
    """The service's :class:`Embedder` as a llama-index embedding model."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._embedder.embed([query])[0]]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_query_embedding(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._embedder.embed(texts)]


@dataclass(frozen=True)
class Chunk:
    source: str
    text: str  # white space collapsed


@dataclass
class BaselineHits:
    """What one baseline retrieved for one case: ranked chunks and the latency."""

    chunks: list[Chunk]
    latency_ms: float


def collapse(text: str) -> str:
    return " ".join(text.split())


def gold_keys_in(
    chunk: Chunk, case: Case, sentence_text: Callable[[str, int], str | None]
) -> set[Key]:
    """The case's gold sentences that ``chunk`` contains (see the module docstring)."""
    found: set[Key] = set()
    for group in case.evidence:
        for gold in group:
            if gold.source != chunk.source:
                continue
            text = sentence_text(gold.source, gold.sentence)
            if (text and collapse(text) in chunk.text) or collapse(gold.quote) in chunk.text:
                found.add(gold.key)
    return found


def baseline_query(case: Case) -> str:
    earlier = [t.content for t in case.history if t.role == "user"]
    return " ".join([*earlier, case.question])


class Baseline:
    name: str
    top_k: int

    def retrieve(self, query: str) -> list[Chunk]:
        raise NotImplementedError

    def run(self, query: str) -> BaselineHits:
        started = time.perf_counter()
        chunks = self.retrieve(query)
        return BaselineHits(chunks, (time.perf_counter() - started) * 1000)


class LlamaIndexBaseline(Baseline):
    """``VectorStoreIndex`` over the corpus files; ``chunk_size=None`` keeps the defaults."""

    def __init__(
        self,
        name: str,
        corpus_dir: Path,
        embed_model: BaseEmbedding,
        top_k: int,
        chunk_size: int | None = None,
    ) -> None:
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.core.schema import TransformComponent

        self.name = name
        self.top_k = top_k
        docs = SimpleDirectoryReader(str(corpus_dir)).load_data()
        transformations: list[TransformComponent] | None = None
        if chunk_size is not None:
            transformations = [SentenceSplitter(chunk_size=chunk_size, chunk_overlap=16)]
        self.index = VectorStoreIndex.from_documents(
            docs, embed_model=embed_model, transformations=transformations
        )
        self.retriever = self.index.as_retriever(similarity_top_k=top_k)

    def retrieve(self, query: str) -> list[Chunk]:
        return [
            Chunk(str(n.node.metadata.get("file_name", "")), collapse(n.node.get_content()))
            for n in self.retriever.retrieve(query)
        ]


class BM25Baseline(Baseline):
    """BM25 (bm25s, English stop words, Snowball stemmer) over fixed chunks."""

    def __init__(self, name: str, chunks: Sequence[Chunk], top_k: int) -> None:
        import bm25s
        import Stemmer

        self.name = name
        self.top_k = top_k
        self.chunks = list(chunks)
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25()
        corpus = bm25s.tokenize(
            [c.text for c in self.chunks],
            stopwords="en",
            stemmer=self._stemmer,
            show_progress=False,
        )
        self._bm25.index(corpus, show_progress=False)

    def retrieve(self, query: str) -> list[Chunk]:
        import bm25s

        q = bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False)
        if not q.vocab:
            return []
        k = min(self.top_k, len(self.chunks))
        docs, scores = self._bm25.retrieve(q, k=k, show_progress=False)
        return [self.chunks[int(i)] for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


class DenseBaseline(Baseline):
    """Exact cosine search over sentence chunks with the service's embedder."""

    def __init__(self, name: str, chunks: Sequence[Chunk], embedder: Embedder, top_k: int):
        self.name = name
        self.top_k = top_k
        self.chunks = list(chunks)
        self._embedder = embedder
        self._vectors = embedder.embed([c.text for c in self.chunks])

    def retrieve(self, query: str) -> list[Chunk]:
        if not self.chunks:
            return []
        scores = self._vectors @ self._embedder.embed([query])[0]
        order = scores.argsort()[::-1][: self.top_k]
        return [self.chunks[int(i)] for i in order]


def splitter_chunks(corpus_dir: Path, chunk_size: int) -> list[Chunk]:
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import SentenceSplitter

    docs = SimpleDirectoryReader(str(corpus_dir)).load_data()
    nodes = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=16).get_nodes_from_documents(docs)
    return [Chunk(str(n.metadata.get("file_name", "")), collapse(n.get_content())) for n in nodes]


def build_baselines(
    corpus_dir: Path, embedder: Embedder, sentences: dict[str, dict[int, str]]
) -> list[Baseline]:
    """All baselines, built once per run (embedding the corpus twice takes a few seconds)."""
    adapter = EmbedderAdapter(embedder)
    sentence_chunks = [
        Chunk(src, collapse(text)) for src, rows in sentences.items() for text in rows.values()
    ]
    return [
        LlamaIndexBaseline("llamaindex-default", corpus_dir, adapter, top_k=2),
        LlamaIndexBaseline("llamaindex-128", corpus_dir, adapter, top_k=10, chunk_size=128),
        BM25Baseline("bm25-128", splitter_chunks(corpus_dir, 128), top_k=10),
        BM25Baseline("bm25-sentences", sentence_chunks, top_k=10),
        DenseBaseline("dense-sentences", sentence_chunks, embedder, top_k=10),
    ]
