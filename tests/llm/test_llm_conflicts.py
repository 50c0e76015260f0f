"""Disagreements in llm mode (issue 26 §3): the model is told to cite each side, and the
service checks that both sides are cited whatever it wrote.

Over the hand-made archives of ``tests/test_conflicts.py`` (a death toll reported
differently, a claim and its denial) and ``tests/test_conflicts_superseded.py`` (an
arrest and a later release). Replies written here go through the real verifier and
``mark_conflicts`` (no model is called); the last test asks the REAL local model
(SmolLM2-135M behind llama.cpp, the ``local_llm`` fixture) through the service on a real
port.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.answering.base import Answer, Question
from service.answering.conflicts import mark_conflicts
from service.answering.llm_answerer import LLMAnswerer
from service.app import create_app
from service.components.local_llm import LOCAL_LLM_SETTINGS
from service.container import Container
from service.retrieval.hybrid import Retrieval
from service.settings import Settings
from tests import test_conflicts, test_conflicts_superseded
from tests.conftest import article_text, indexed_archive
from tests.llm.conftest import LiveServer, llm_settings

FIGURES_Q = test_conflicts.QUESTION
DENIAL_Q = "Did the port company cut the night shift pay of its crane operators?"
SUPERSEDED_Q = "Was Ana Kos, the mayor of Velmora, arrested?"
LEAD = "The sources disagree on how many people died."


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One index of both hand-made archives (their sources do not overlap)."""
    docs = {**test_conflicts.ARCHIVE, **test_conflicts_superseded.ARCHIVE}
    return indexed_archive(
        tmp_path_factory, "llm-conflicts", docs, lambda s: article_text("Regional news", s)
    )


@pytest.fixture(scope="module")
def offline(archive: Settings) -> tuple[LLMAnswerer, Container]:
    """The llm answerer with an unreachable model: only replies written here are read."""
    dead = archive.llm.model_copy(update={"base_url": "http://127.0.0.1:9/v1"})
    container = Container(archive.model_copy(update={"llm": dead}))
    llm = container.answerers["llm"]
    assert isinstance(llm, LLMAnswerer)
    return llm, container


def answer_from(
    offline: tuple[LLMAnswerer, Container], question: str, *cited: str, lead: str = ""
) -> tuple[Answer, Retrieval]:
    """The verified answer to a reply that states the shown sentences ``cited`` (each its
    own sentence, with its evidence number, as the prompt asks) after ``lead``, and the
    retrieval."""
    llm, container = offline
    q = Question(question, question)
    retrieval = container.retriever().retrieve(question)
    _, shown = llm.build(q, retrieval)
    number = {s.evidence.ref.text: s.number for s in shown}
    assert set(cited) <= set(number), [s.evidence.ref.text for s in shown]
    reply = " ".join([lead, *(f"{text} [{number[text]}]" for text in cited)]).strip()
    got = llm.verified(q, retrieval, reply, shown)
    assert got.mode == "llm" and not got.fallback, got
    return got, retrieval


def side_texts(result: Answer) -> list[str]:
    by_id = {c.id: c.text for c in result.citations}
    (conflict,) = result.conflicts
    sides: Any = conflict["sides"]
    return [by_id[side["citation"]] for side in sides]


def test_the_prompt_asks_the_model_to_cite_each_side(
    offline: tuple[LLMAnswerer, Container],
) -> None:
    llm, container = offline
    q = Question(FIGURES_Q, FIGURES_Q)
    messages, _ = llm.build(q, container.retriever().retrieve(FIGURES_Q))
    prompt = messages[1]["content"]
    assert "When evidence sentences disagree" in prompt
    assert "say that the sources disagree" in prompt and "each side" in prompt


@pytest.mark.parametrize(
    ("question", "one_side", "other_side"),
    [
        (FIGURES_Q, test_conflicts.LATER, test_conflicts.FIRST),
        (SUPERSEDED_Q, test_conflicts_superseded.ARRESTED, test_conflicts_superseded.RELEASED),
    ],
)
def test_a_side_the_model_left_out_is_cited_by_the_service(
    offline: tuple[LLMAnswerer, Container], question: str, one_side: str, other_side: str
) -> None:
    got, retrieval = answer_from(offline, question, one_side)
    assert [c.text for c in got.citations] == [one_side]
    marked, note = mark_conflicts(got, retrieval)
    assert marked.disputed and note and marked.answer.endswith(note)
    assert set(side_texts(marked)) == {one_side, other_side}
    assert [c.text for c in marked.citations] == [one_side, other_side]  # the model's first
    assert [c.id for c in marked.citations] == [1, 2]


def test_sides_the_model_cited_are_not_cited_again(
    offline: tuple[LLMAnswerer, Container],
) -> None:
    first, later = test_conflicts.FIRST, test_conflicts.LATER
    got, retrieval = answer_from(offline, FIGURES_Q, first, later, lead=LEAD)
    (lead,) = [c for c in got.claims if c["text"] == LEAD]
    assert not lead["supported"] and not lead["shown"]  # the service says it, not the model
    cited = [c.text for c in got.citations]
    assert sorted(cited) == sorted([first, later])  # both kept: each supports its sentence
    marked, _ = mark_conflicts(got, retrieval)
    assert [c.text for c in marked.citations] == cited
    assert set(side_texts(marked)) == {first, later}
    assert marked.answer.startswith(got.answer)  # the model's verified text, then the note


@pytest.fixture(scope="module")
def http(archive: Settings, local_llm: str) -> Iterator[httpx.Client]:
    settings = llm_settings(archive, local_llm, **LOCAL_LLM_SETTINGS)
    with LiveServer(create_app(settings)) as live:
        yield httpx.Client(base_url=live.url, timeout=600)


@pytest.mark.llm
@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "kind"),
    [(FIGURES_Q, "figures"), (DENIAL_Q, "denial"), (SUPERSEDED_Q, "superseded")],
)
def test_the_real_model_s_answer_cites_both_sides(
    http: httpx.Client, question: str, kind: str
) -> None:
    """Whatever SmolLM2 writes (or, when nothing of it verifies, the extractive fallback),
    the answer is disputed and cites every side, with the stored texts."""
    body = http.post("/ask", json={"question": question, "mode": "llm"}).json()
    assert not body["refused"] and body["mode"] == "llm", body
    assert body["disputed"] is True, body["answer"]
    (conflict,) = [c for c in body["conflicts"] if c["kind"] == kind]
    ids = [c["id"] for c in body["citations"]]
    assert ids == list(range(1, len(ids) + 1))
    for side in conflict["sides"]:
        assert side["citation"] in ids and f"[{side['citation']}]" in body["answer"]
    for c in body["citations"]:
        stored = http.get(f"/sources/{c['source']}/sentences/{c['sentence']}").json()
        assert c["text"] == stored["text"]
