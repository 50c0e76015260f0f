"""The prompt files in ``prompts/``, loaded once at start-up into a strict model.

Each prompt declares the variables it must use; a file that leaves one out, or uses one
nobody will fill in, stops the service at start-up instead of failing on the first request.
Templates use ``str.format`` fields (``{question}``); literal braces are doubled.
"""

from __future__ import annotations

import string
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

# prompt name -> the variables its file must use, no more and no fewer
REQUIRED: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "answer": frozenset({"evidence", "question"}),
    "condense": frozenset({"history", "question"}),
}


class PromptError(ValueError):
    """A prompt file is missing, unreadable or does not use the variables it must."""


def fields_of(text: str) -> set[str]:
    """The ``{field}`` names a template uses (raises ValueError on a malformed template)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


class PromptTemplate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    text: str
    variables: frozenset[str]

    @model_validator(mode="after")
    def _uses_exactly_its_variables(self) -> PromptTemplate:
        if not self.text.strip():
            raise ValueError(f"prompt {self.name!r} is empty")
        try:
            used = fields_of(self.text)
        except ValueError as exc:
            raise ValueError(f"prompt {self.name!r} is not a valid template: {exc}") from exc
        if bad := sorted(f for f in used if not f.isidentifier()):
            raise ValueError(f"prompt {self.name!r} uses positional or complex fields {bad}")
        missing, unknown = sorted(self.variables - used), sorted(used - self.variables)
        if missing or unknown:
            raise ValueError(
                f"prompt {self.name!r}: "
                + "; ".join(
                    part
                    for part in (
                        f"missing variables {missing}" if missing else "",
                        f"unknown variables {unknown}" if unknown else "",
                    )
                    if part
                )
            )
        return self

    def render(self, **values: str) -> str:
        if set(values) != self.variables:
            raise KeyError(
                f"prompt {self.name!r} takes {sorted(self.variables)}, got {sorted(values)}"
            )
        return self.text.format(**values).strip()


class Prompts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    system: PromptTemplate
    answer: PromptTemplate
    condense: PromptTemplate

    @classmethod
    def load(cls, folder: Path) -> Prompts:
        """Read ``<name>.txt`` for every prompt; raise :class:`PromptError` on any problem."""
        templates: dict[str, PromptTemplate] = {}
        for name, variables in REQUIRED.items():
            path = folder / f"{name}.txt"
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise PromptError(f"cannot read prompt file {path}: {exc}") from exc
            try:
                templates[name] = PromptTemplate(name=name, text=text, variables=variables)
            except ValueError as exc:
                raise PromptError(f"{path}: {exc}") from exc
        return cls(**templates)
