"""An async client for any OpenAI-compatible chat API, and offline token counting.

The ``openai`` SDK does the transport work: its own retries with exponential backoff cover
timeouts, connection errors, 408/409/429 and 5xx (``max_retries``), and ``timeout`` bounds
each attempt. ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` are honoured the way the SDK does
when the settings leave them unset. What is left here is turning the SDK's exceptions into
one :class:`LLMError` with a short machine-readable ``reason``, which the answerer puts in
``Answer.fallback`` when it answers extractively instead.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from service.settings import LLMSettings

log = logging.getLogger(__name__)

Message = dict[str, str]

# Without a key the SDK refuses to build a client; local servers (llama.cpp, vLLM, Ollama)
# accept any bearer token, so a placeholder is sent when only a base URL is configured.
NO_KEY = "no-key"


class LLMError(Exception):
    """The model could not be used; ``reason`` says why in a word or two."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def error_reason(exc: BaseException) -> str:
    """A short reason for an exception raised while talking to the model."""
    import openai

    if isinstance(exc, LLMError):
        return exc.reason
    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException, TimeoutError)):
        return "llm_timeout"
    if isinstance(exc, openai.RateLimitError):
        return "llm_rate_limited"
    if isinstance(exc, openai.APIStatusError):
        return "llm_server_error" if exc.status_code >= 500 else f"llm_http_{exc.status_code}"
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        return "llm_unreachable"
    return "llm_bad_response"


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None  # "length": cut off at max_tokens

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


class ChatClient:
    """Chat completions (whole or streamed) from one configured model."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        # One SDK client per event loop: its connection pool belongs to the loop that
        # opened the connections (a test may run several apps, each with its own loop).
        self._clients: dict[int, AsyncOpenAI] = {}

    @property
    def model(self) -> str:
        return self.settings.model

    def _client(self) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            s = self.settings
            client = AsyncOpenAI(
                api_key=s.effective_api_key or NO_KEY,
                base_url=s.effective_base_url,  # None: the SDK's own default
                timeout=s.timeout_s,
                max_retries=s.max_retries,
            )
            self._clients[loop] = client
        return client

    def _deadline(self) -> float:
        """Wall-clock bound of one call with all its retries (a server that trickles bytes
        keeps each read under the timeout but must not hold a request forever)."""
        s = self.settings
        return s.timeout_s * (s.max_retries + 1) + 8.0 * s.max_retries

    def _params(self, messages: list[Message], max_tokens: int | None) -> dict[str, Any]:
        return {
            "model": self.settings.model,
            "messages": messages,
            "max_tokens": max_tokens or self.settings.max_answer_tokens,
            "temperature": self.settings.temperature,
        }

    async def complete(self, messages: list[Message], max_tokens: int | None = None) -> Completion:
        """The whole reply; raises :class:`LLMError` after the SDK's retries."""
        try:
            async with asyncio.timeout(self._deadline()):
                reply = await self._client().chat.completions.create(
                    **self._params(messages, max_tokens)
                )
        except Exception as exc:
            raise LLMError(error_reason(exc), str(exc)[:300]) from exc
        if not getattr(reply, "choices", None):
            raise LLMError("llm_bad_response", "no choices in the reply")
        choice = reply.choices[0]
        usage = reply.usage
        return Completion(
            choice.message.content or "",
            usage.prompt_tokens if usage else None,
            usage.completion_tokens if usage else None,
            choice.finish_reason,
        )

    async def stream(
        self, messages: list[Message], max_tokens: int | None = None
    ) -> AsyncIterator[str | Completion]:
        """Text deltas as the model writes them, then the whole :class:`Completion`; raises
        :class:`LLMError` on any fault, including one in the middle of the stream (a broken
        chunk, a dropped connection, the deadline)."""
        parts: list[str] = []
        finish: str | None = None
        try:
            async with asyncio.timeout(self._deadline()):
                stream = await self._client().chat.completions.create(
                    **self._params(messages, max_tokens), stream=True
                )
                async for chunk in stream:
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finish = choice.finish_reason or finish
                    if choice.delta is not None and choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
        except Exception as exc:
            raise LLMError(error_reason(exc), str(exc)[:300]) from exc
        yield Completion("".join(parts), finish_reason=finish)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


# --- token counting ----------------------------------------------------------------------


def _offline_tiktoken_cache() -> None:
    """Point tiktoken at the BPE files llama-index-core ships, unless told otherwise."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        folder = os.path.join(
            next(iter(spec.submodule_search_locations)), "_static", "tiktoken_cache"
        )
        if os.path.isdir(folder):
            os.environ["TIKTOKEN_CACHE_DIR"] = folder


@lru_cache(maxsize=8)
def _encoding(model: str) -> Any:
    import tiktoken

    _offline_tiktoken_cache()
    try:
        return tiktoken.encoding_for_model(model)
    except KeyError:  # a local or unknown model name: count as GPT-4-era models do
        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # the model's BPE file is not in the offline cache
        log.warning("no offline tiktoken encoding for %r; counting with cl100k_base", model)
        return tiktoken.get_encoding("cl100k_base")


class TokenCounter:
    """Counts tokens the way the configured model would (approximately, for other vendors'
    models: tiktoken's cl100k_base is a close enough ruler for a budget)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._enc = _encoding(model)

    def count(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    def truncate(self, text: str, tokens: int) -> str:
        ids = self._enc.encode(text, disallowed_special=())
        if len(ids) <= tokens:
            return text
        return str(self._enc.decode(ids[:tokens])).rstrip() + "…"

    def tail(self, text: str, tokens: int) -> str:
        ids = self._enc.encode(text, disallowed_special=())
        if len(ids) <= tokens:
            return text
        return "…" + str(self._enc.decode(ids[-tokens:])).lstrip()

    def count_messages(self, messages: list[Message]) -> int:
        # ~4 tokens of chat framing per message, as OpenAI's cookbook counts.
        return sum(self.count(m["content"]) + 4 for m in messages) + 2
