"""Prompt files are checked when the service starts, not at the first request."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.answering.prompts import REQUIRED, PromptError, Prompts
from service.app import create_app
from service.settings import PROJECT_ROOT, Settings

PROMPTS = PROJECT_ROOT / "prompts"


def test_the_shipped_prompts_load() -> None:
    prompts = Prompts.load(PROMPTS)
    rendered = prompts.answer.render(evidence="[1] E.", question="Q?")
    assert "[1] E." in rendered and "Q?" in rendered
    assert prompts.condense.variables == REQUIRED["condense"]


def broken_copy(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS, folder)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("answer", "Evidence:\n{evidence}\n\nAnswer it.", "missing variables ['question']"),
        ("condense", "{history}\n{question}\n{today}", "unknown variables ['today']"),
        ("system", "Cite {0}.", "positional"),
        ("answer", "{evidence} {question", "not a valid template"),
        ("system", "  \n", "empty"),
    ],
)
def test_a_broken_prompt_stops_start_up(
    tmp_path: Path, corpus_index: Settings, name: str, text: str, problem: str
) -> None:
    folder = broken_copy(tmp_path, name, text)
    settings = corpus_index.model_copy(
        update={
            "llm": corpus_index.llm.model_copy(
                update={"base_url": "http://127.0.0.1:9/v1", "prompts_dir": folder}
            )
        }
    )
    with pytest.raises(PromptError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        create_app(settings)


def test_a_missing_prompt_file_stops_start_up(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS, folder)
    (folder / "condense.txt").unlink()
    with pytest.raises(PromptError, match=r"condense\.txt"):
        Prompts.load(folder)


def test_without_an_llm_the_prompts_are_not_needed(tmp_path: Path, corpus_index: Settings) -> None:
    settings = corpus_index.model_copy(
        update={"llm": corpus_index.llm.model_copy(update={"prompts_dir": tmp_path / "none"})}
    )
    app = create_app(settings)
    assert set(app.state.container.answerers) == {"extractive"}
