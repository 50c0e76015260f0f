"""The local model's start-up check tells the truth early (issue 10).

A server that lists its model but dies on its first real completion must fail the check
with the server's own log tail, not pass it and leave the tests to fail on "Connection
error". The dying server is a test double (tests/fakes/trapping_llm_server.py): a good
llama.cpp build cannot be made to trap on purpose. The real model passing the same check
is what every test in tests/llm/test_local_llm.py starts from (the ``local_llm`` fixture).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from service.components.llm import TokenCounter
from service.components.local_llm_server import (
    LocalLLMCrashed,
    free_port,
    probe_messages,
    running_local_llm,
)

TRAPPING_SERVER = Path(__file__).parents[1] / "fakes" / "trapping_llm_server.py"


def test_a_server_that_dies_on_its_first_completion_fails_the_check(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, str(TRAPPING_SERVER), str(port)]
    server = running_local_llm(tmp_path / "server.log", port=port, argv=argv)
    with pytest.raises(LocalLLMCrashed) as caught, server:
        pytest.fail("the check let a crashing server through")
    message = str(caught.value)
    assert message.startswith("the local model crashed on its first completion")
    assert "the server exited" in message
    assert "invalid opcode" in message  # the server's log tail is in the message


def test_a_server_that_never_starts_fails_with_its_log(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; print('no such model file'); sys.exit(3)"]
    server = running_local_llm(tmp_path / "server.log", argv=argv)
    with pytest.raises(LocalLLMCrashed, match="exited 3 before it was up"), server:
        pass
    assert "no such model file" in (tmp_path / "server.log").read_text()


def test_the_probe_prompt_is_a_few_hundred_tokens() -> None:
    tokens = TokenCounter("gpt-4o-mini").count_messages(probe_messages())
    assert 250 <= tokens <= 600, tokens
