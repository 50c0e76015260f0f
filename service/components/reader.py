"""The sentence reader at run time: a trained cross-encoder, run with ONNX Runtime.

The model folder (``models/reader``, written by ``python -m eval train-reader``) holds
``reader.onnx``, ``tokenizer.json`` and ``manifest.json``. Loading checks every file the
manifest names against its sha256, so a missing or swapped file is a clear error at start-up
(:class:`ReaderFileError`), never a silent fall-back. :meth:`OnnxReader.logits` scores
(question, sentence) pairs in batches: the sentence alone, as the trainer saw it
(``eval.reader_data``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from service.components.onnx_embedder import INPUTS, cpu_session

# Pairs run in batches of similar length (padding costs as much as text): sorted by token
# count, at most this many a batch. Measured on 40 questions' 8 candidates over the 10k
# synthetic archive: 4 a batch cost 31-36 ms a question, 8 a batch 33-49 ms (one long
# candidate pads seven others), 2 a batch 32-35 ms.
_BATCH = 4


class ReaderFileError(RuntimeError):
    """The reader's folder is missing a file, or a file does not match its manifest."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, object]:
    """The manifest, after checking each file it names against its sha256."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise ReaderFileError(f"no reader manifest at {path} (train one: make train-reader)")
    manifest: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    hashes = manifest.get("sha256")
    if not isinstance(hashes, dict) or "reader.onnx" not in hashes:
        raise ReaderFileError(f"{path} names no reader.onnx sha256")
    for name, want in hashes.items():
        file = folder / name
        if not file.is_file():
            raise ReaderFileError(f"reader file {file} is missing")
        if file_sha256(file) != want:
            raise ReaderFileError(f"reader file {file} does not match its manifest's sha256")
    return manifest


class OnnxReader:
    """Logits of (question, candidate) pairs; sigmoid(logit) = P(candidate answers)."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        from tokenizers import Tokenizer

        self.manifest = read_manifest(folder)
        max_tokens = self.manifest.get("max_tokens", 128)
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(
            max_length=int(max_tokens) if isinstance(max_tokens, int) else 128,
            strategy="only_second",
        )
        # The saved tokenizer pads each batch to its longest pair; here each group of
        # similar length is padded on its own below, so one long candidate does not make
        # every pair as long (measured: 8 pairs of a question were all padded to the longest)
        self._tok.no_padding()
        self._session = cpu_session(folder / "reader.onnx", threads)

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One logit per pair, in the pairs' order."""
        out = np.zeros(len(pairs), dtype=np.float32)
        if not pairs:
            return out
        enc = self._tok.encode_batch(list(pairs))
        order = sorted(range(len(enc)), key=lambda i: len(enc[i].ids))
        for start in range(0, len(order), _BATCH):
            group = order[start : start + _BATCH]
            width = max(len(enc[i].ids) for i in group)
            feed = {n: np.zeros((len(group), width), dtype=np.int64) for n in INPUTS}
            for row, i in enumerate(group):
                e, n = enc[i], len(enc[i].ids)
                feed[INPUTS[0]][row, :n] = e.ids
                feed[INPUTS[1]][row, :n] = e.attention_mask
                feed[INPUTS[2]][row, :n] = e.type_ids
            out[group] = self._session.run(None, feed)[0].reshape(-1)
        return out
