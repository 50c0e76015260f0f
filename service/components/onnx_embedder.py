"""all-MiniLM-L6-v2 on ONNX Runtime, exported locally from the bundled weights.

Why onnxruntime directly and not sentence-transformers' ``backend="onnx"``: that backend
needs ``optimum-onnx``, which pip cannot install beside the sentence-transformers and
transformers versions pinned here (ResolutionImpossible, checked 2026-12-01). The export
is a plain ``torch.onnx.export`` of the same weights sentence-transformers loads, into a
cache folder next to the index (never from a hub); the pipeline around it (tokenizer,
mean pooling, L2 norm) is the model's own ``modules.json`` recipe: Transformer -> mean
Pooling -> Normalize. Vectors match the torch path to ~1e-6 (``tests/test_onnx_embedder.py``).

Measured on this 2-core machine (batch of 64 news sentences): torch 1 thread ~55
sentences/s; ONNX fp32 2 threads ~400-500/s; ONNX int8 (dynamic quantisation) faster
still, see docs/performance.md for the figures and its eval score.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
# Bump when the export recipe changes, so that cached exports are made anew.
_EXPORT_VERSION = "1"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _model_key(model_dir: Path) -> str:
    """Names an export by what it was made from: the model's config and weights' size."""
    h = hashlib.sha256(_EXPORT_VERSION.encode())
    for name in ("config.json", "tokenizer.json", "modules.json"):
        p = model_dir / name
        if p.exists():
            h.update(p.read_bytes())
    weights = model_dir / "model.safetensors"
    if weights.exists():
        h.update(str(weights.stat().st_size).encode())
    return h.hexdigest()[:12]


def _atomic_target(target: Path) -> Path:
    """A temporary file beside ``target``: concurrent workers each export their own and
    the last ``os.replace`` wins with identical bytes; no reader sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    return Path(tmp)


def export_fp32(model_dir: Path, target: Path) -> None:
    """Export the transformer body (token embeddings out) with torch's ONNX exporter."""
    import torch
    from transformers import AutoModel

    class _Body(torch.nn.Module):
        """Keyword call and a plain tensor out: what the tracing exporter can follow."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(
                str(model_dir), local_files_only=True, attn_implementation="eager"
            )

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    model = _Body().eval()
    sample = torch.ones((2, 8), dtype=torch.long)
    tmp = _atomic_target(target)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer warns about data-dependent branches that do not apply to a BERT
            # encoder with a fixed graph (checked: vectors match torch's, see the tests).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (sample, sample, torch.zeros_like(sample)),
                str(tmp),
                input_names=list(INPUTS),
                output_names=["token_embeddings"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in INPUTS}
                | {"token_embeddings": {0: "batch", 1: "tokens"}},
                opset_version=17,
                dynamo=False,  # the dynamo exporter needs onnxscript; this one does not
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def quantise_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations stay float), onnxruntime's own."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _atomic_target(target)
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_exported(model_dir: Path, cache_dir: Path, precision: Precision) -> Path:
    """The ONNX file for ``model_dir`` at ``precision``, exported into ``cache_dir`` once."""
    folder = cache_dir / f"{model_dir.name or 'model'}-{_model_key(model_dir)}"
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "model.onnx"
    if not fp32.exists():
        log.info("exporting %s to ONNX in %s (once)", model_dir, folder)
        export_fp32(model_dir, fp32)
    if precision == "fp32":
        return fp32
    int8 = folder / "model.int8.onnx"
    if not int8.exists():
        log.info("quantising %s to int8 (once)", fp32)
        quantise_int8(fp32, int8)
    return int8


class OnnxEmbedder:
    """Sentence vectors from an ONNX export: tokenise, run, mean-pool, normalise.

    ``threads`` is the session's intra-op pool: one per worker process for queries (a
    question is one short row; more threads only spin), and every core by default for a
    folder ingest, beside its parse workers (``embedding.ingest_threads``).
    """

    def __init__(
        self,
        model_dir: Path,
        cache_dir: Path,
        precision: Precision = "fp32",
        threads: int = 1,
        batch_size: int = 64,
    ) -> None:
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        suffix = "" if precision == "fp32" else f":{precision}"
        # fp32 ONNX gives the torch path's vectors, so both share one name (and one index).
        self.name = f"st:{model_dir.name}{suffix}"
        self._model = (model_dir, cache_dir, precision, threads)
        self._loaded: Any = None
        self._loading = threading.Lock()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=_max_seq_length(model_dir))
        self._tokenizer.no_padding()  # padded per batch below, to the batch's longest row

    @property
    def _session(self) -> Any:
        """The ONNX session, made at the first embedding (the export, if not yet made, and
        ~0.5 s of loading): a re-ingest that finds every vector in the cache needs none."""
        if self._loaded is None:
            with self._loading:
                if self._loaded is None:
                    self._loaded = _session(*self._model)
        return self._loaded

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        # Batches of similar length waste less work on padding (as sentence-transformers does).
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        rows: list[np.ndarray] = []
        for lo in range(0, len(order), self.batch_size):
            batch = [encodings[i] for i in order[lo : lo + self.batch_size]]
            rows.append(self._run(batch))
        stacked = np.concatenate(rows)
        out = np.empty_like(stacked)
        out[order] = stacked
        return out

    def _run(self, batch: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(batch):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        (tokens,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


def _session(model_dir: Path, cache_dir: Path, precision: Precision, threads: int) -> Any:
    return cpu_session(ensure_exported(model_dir, cache_dir, precision), threads)


def cpu_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session with this project's options (the embedder's, the reader's)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads sleep instead of spinning: on a machine shared with other work,
    # spinning threads steal the cores the busy ones need (measured here under load 6:
    # 11-12 sentences/s spinning, 17-22 not).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256
