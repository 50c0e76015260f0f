"""TEST DOUBLE: a scripted server speaking the OpenAI chat-completions protocol.

It stands in for a model only where the real local one (llama.cpp) cannot be made to
misbehave on demand: hang past the client's timeout, answer 500 or 429, break a stream in
the middle, return garbage. Every request takes the next step of the script (the last
step repeats), and is recorded, so that tests can count the SDK's retries.

It is a real HTTP server on a loopback port (uvicorn in a thread): the openai SDK, its
retries and its timeouts run unmodified against it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Step:
    """What the server does with one request."""

    kind: str  # reply | status | hang | broken_stream
    text: str = ""
    status: int = 200
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def reply(text: str) -> Step:
    return Step("reply", text=text)


def status(code: int, headers: dict[str, str] | None = None) -> Step:
    return Step("status", status=code, headers=headers or {})


def hang(seconds: float) -> Step:
    return Step("hang", seconds=seconds)


def broken_stream(text: str) -> Step:
    """Streams ``text`` as valid chunks, then a chunk that is not JSON, then drops."""
    return Step("broken_stream", text=text)


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, content: str | None, finish: str | None = None) -> str:
    delta = {"content": content} if content is not None else {}
    body = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


class ScriptedOpenAIServer:
    def __init__(self) -> None:
        self.script: list[Step] = [reply("")]
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    # -- control ------------------------------------------------------------------------
    def start(self) -> ScriptedOpenAIServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the scripted server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=10)

    def play(self, *steps: Step) -> None:
        """Script the next requests (the last step repeats) and forget earlier requests."""
        with self._lock:
            self.script = list(steps)
            self.requests = []

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    # -- the protocol -------------------------------------------------------------------
    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        step = self._next(body)
        model = str(body.get("model", "scripted"))
        if step.kind == "hang":
            await asyncio.sleep(step.seconds)
            return JSONResponse(_completion("too late", model))
        if step.kind == "status":
            error = {"error": {"message": f"scripted {step.status}", "type": "scripted"}}
            return JSONResponse(error, status_code=step.status, headers=step.headers)
        if body.get("stream"):
            return StreamingResponse(self._stream(step, model), media_type="text/event-stream")
        return JSONResponse(_completion(step.text, model))

    async def _stream(self, step: Step, model: str) -> AsyncIterator[str]:
        for word in step.text.split(" "):
            yield _chunk(model, word + " ")
            await asyncio.sleep(0)
        if step.kind == "broken_stream":
            yield 'data: {"id": "chatcmpl-scripted", "choices": [{"delta": {"content": "x\n\n'
            return
        yield _chunk(model, None, "stop")
        yield "data: [DONE]\n\n"
