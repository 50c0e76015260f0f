"""Fixtures for the llm answer mode: the real local model, the service on a real port, and
the scripted test double for the faults the real model cannot be made to produce.

The real model is SmolLM2-135M-Instruct behind llama-cpp-python's OpenAI-compatible
server, started on a free loopback port exactly as ``make llm-local`` starts it
(``service.components.local_llm.server_argv``). Set ``NEWSQA_TEST_LLM_URL`` to the ``/v1``
URL of one already running to reuse it while iterating.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from service.app import create_app
from service.components.local_llm import LOCAL_LLM_SETTINGS
from service.components.local_llm_server import LocalLLMCrashed, free_port, running_local_llm
from service.settings import Settings
from tests.conftest import make_settings
from tests.fakes.scripted_openai_server import ScriptedOpenAIServer

EXTERNAL_LLM_ENV = "NEWSQA_TEST_LLM_URL"


class LiveServer:
    """An app served by uvicorn on a loopback port, in a thread of the test process."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def llm_settings(index: Settings, base_url: str, **llm: Any) -> Settings:
    """The test index, with an LLM configured and ``auto`` mode (llm becomes the default)."""
    return make_settings(
        index.data.dir,
        llm={"base_url": base_url, "api_key": None, **llm},
        answer={"mode": "auto"},
    )


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ``/v1`` base URL of a real llama.cpp server running SmolLM2-135M-Instruct.

    The server must survive one real completion of a few hundred prompt tokens before any
    test uses it; when it does not, every llm test fails with the server's log tail
    (``the local model crashed on its first completion: ...``), not with "Connection error".
    """
    external = os.environ.get(EXTERNAL_LLM_ENV)
    if external:
        yield external.rstrip("/")
        return
    log = Path(tmp_path_factory.mktemp("llm")) / "llama-server.log"
    with ExitStack() as stack:
        try:
            base, probe = stack.enter_context(running_local_llm(log))
        except FileNotFoundError as exc:
            pytest.fail(f"the local model is not installed ({exc}); run `make llm-deps`")
        except LocalLLMCrashed as exc:
            pytest.fail(str(exc), pytrace=False)
        print(f"\nlocal model: {probe.summary()}")
        yield base


@pytest.fixture(scope="session")
def llm_service(corpus_index: Settings, local_llm: str) -> Iterator[LiveServer]:
    """The service on a loopback port, answering with the real local model by default."""
    settings = llm_settings(corpus_index, local_llm, **LOCAL_LLM_SETTINGS)
    with LiveServer(create_app(settings)) as live:
        yield live


@pytest.fixture(scope="session")
def extractive_service(corpus_index: Settings) -> Iterator[LiveServer]:
    """The service on a loopback port with no LLM configured (extractive mode)."""
    with LiveServer(create_app(corpus_index)) as live:
        yield live


@pytest.fixture(scope="session")
def scripted_llm() -> Iterator[ScriptedOpenAIServer]:
    """TEST DOUBLE: the scripted OpenAI-protocol server, for faults only."""
    server = ScriptedOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings_for(corpus_index: Settings) -> Callable[..., Settings]:
    def make(base_url: str, **llm: Any) -> Settings:
        return llm_settings(corpus_index, base_url, **llm)

    return make
