"""The int8 variant is quantised here, from the local fp32 export, and is what the embedder
runs; batching sorted by length hands the vectors back in the caller's order."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from service.components.embeddings import default_local_model_path, make_embedder
from service.components.onnx_embedder import OnnxEmbedder, ensure_exported
from service.settings import Settings

# Of very different lengths, so that sorting by length reorders them across batches.
TEXTS = [
    "The talks lasted five hours and ended without a joint statement, officials in "
    "Moscow and Washington said on Wednesday evening after the meeting.",
    "Yes.",
    "Witkoff met Putin in Moscow on Tuesday.",
    "A ceasefire was not agreed, and both sides said that further meetings would be "
    "needed before any plan could be signed.",
    "Kyiv said no.",
]


def _fp32_export_in(models_dir: Path) -> Path:
    """The shared fp32 export copied into ``models_dir`` (exporting anew takes minutes);
    the int8 file is then made from it in ``models_dir``."""
    model = Path(default_local_model_path())
    shared = ensure_exported(model, Settings().embedding.models_dir, "fp32")
    target = models_dir / shared.parent.name
    target.mkdir(parents=True)
    shutil.copyfile(shared, target / "model.onnx")
    return target


def test_int8_is_quantised_locally_and_used(tmp_path: Path) -> None:
    folder = _fp32_export_in(tmp_path)
    assert not (folder / "model.int8.onnx").exists()
    settings = Settings().embedding.model_copy(update={"models_dir": tmp_path, "precision": "int8"})
    int8 = make_embedder(settings, Settings().llm)
    assert int8.name.endswith(":int8")  # its own index: vectors differ from fp32's
    # Made (and loaded) at the first embedding: a re-ingest whose vectors are all cached
    # needs no model.
    assert not (folder / "model.int8.onnx").exists()
    fp32 = make_embedder(settings.model_copy(update={"precision": "fp32"}), Settings().llm)
    a, b = int8.embed(TEXTS), fp32.embed(TEXTS)
    assert (folder / "model.int8.onnx").is_file()
    assert isinstance(int8, OnnxEmbedder)
    assert Path(int8._session._model_path) == folder / "model.int8.onnx"
    cosines = (a * b).sum(axis=1)
    assert float(cosines.min()) > 0.95
    assert not np.allclose(a, b, atol=1e-6)


def test_batches_sorted_by_length_come_back_in_input_order(tmp_path: Path) -> None:
    settings = Settings().embedding.model_copy(update={"batch_size": 2})
    embedder = make_embedder(settings, Settings().llm)
    together = embedder.embed(TEXTS)
    for i, text in enumerate(TEXTS):
        alone = embedder.embed([text])[0]
        assert float(np.dot(together[i], alone)) > 0.9999, text
