"""The request's filter fields (``sources``, ``sites``, ``date_from``, ``date_to``,
``authors``): one model for ``/ask``, ``/ask/stream`` and ``/v1/chat/completions`` (top
level, as the OpenAI client's ``extra_body`` sends them, or inside ``metadata``).

A value that is not what the field takes (the lists are JSON arrays) is a 422 naming the
field; a well-formed filter
that admits no document is not an error but a refusal (``no_documents_match_filter``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from service.index.catalog import DocumentFilter
from service.index.sites import site_domain

MAX_VALUES = 100  # values in one list field


# A name holds something besides white space; a site is a domain (``bbc.co.uk``) or a URL
# of one: the schema says so, and validation gives the rule's own message.
Name = Annotated[str, Field(pattern=r"\S", max_length=500)]
Site = Annotated[
    str,
    Field(
        pattern=r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?[\w-]+(?:\.[\w-]+)+\.?(?::\d+)?(?:/\S*)?\s*$",
        max_length=500,
    ),
]
Names = Annotated[list[Name], Field(max_length=MAX_VALUES)]
Sites = Annotated[list[Site], Field(max_length=MAX_VALUES)]


def _iso_text(value: object) -> object:
    """A day is a JSON string: lax mode would also take a number (seconds since 1970)."""
    if not isinstance(value, str | dt.date):
        raise ValueError("a day is a string YYYY-MM-DD")
    return value


# Not strict: a JSON date is a string ("2024-12-03"), which strict mode would refuse.
Day = Annotated[dt.date, BeforeValidator(_iso_text), Field(strict=False)]


class FilterFields(BaseModel):
    """Which documents to answer from; every field is optional and they combine (AND)."""

    sources: Names = Field(
        default_factory=list,
        description="Only these documents (file names, as `GET /sources` lists them).",
        examples=[["002_2d8858a757586965.txt"]],
    )
    sites: Sites = Field(
        default_factory=list,
        description="Only documents from these sites (domains; a subdomain belongs to its "
        "domain, `www.` is ignored).",
        examples=[["bbc.co.uk", "reuters.com"]],
    )
    date_from: Day | None = Field(
        None, description="Only documents dated on or after this day (ISO `YYYY-MM-DD`)."
    )
    date_to: Day | None = Field(
        None, description="Only documents dated on or before this day (ISO `YYYY-MM-DD`)."
    )
    authors: Names = Field(
        default_factory=list,
        description="Only documents by one of these authors (as the byline names them; case "
        "is ignored).",
        examples=[["Sarah Hinger"]],
    )

    as_of: Day | None = Field(
        None,
        description="Ask as on this day (ISO `YYYY-MM-DD`): no article dated after it is "
        'seen, and "last week" counts from it (default: the newest article\'s day).',
    )

    @field_validator("sources", "authors")
    @classmethod
    def _trimmed(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values]

    @field_validator("sites")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            domain = site_domain(v)
            if domain is None:  # the pattern lets no such value through; kept for its message
                raise ValueError(f"{v!r} is not a domain (e.g. bbc.co.uk)")
            out.append(domain)
        return out

    @field_validator("date_to")
    @classmethod
    def _ordered(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"{value.isoformat()} is before date_from {start.isoformat()}")
        return value

    def to_filter(self) -> DocumentFilter | None:
        """The filter retrieval applies; None when no field is set."""
        f = DocumentFilter(
            sources=tuple(self.sources),
            sites=tuple(self.sites),
            date_from=self.date_from,
            date_to=self.date_to,
            authors=tuple(self.authors),
        )
        return f or None


FILTER_FIELDS = tuple(FilterFields.model_fields)
_LIST_FIELDS = {"sources": ",", "sites": ",", "authors": ";"}


def from_strings(given: dict[str, Any]) -> dict[str, Any]:
    """Filter fields as OpenAI's ``metadata`` carries them (string values only): a list
    field's values joined by "," (authors by ";", since a name may hold a comma)."""
    out = dict(given)
    for name, separator in _LIST_FIELDS.items():
        value = out.get(name)
        if isinstance(value, str):
            out[name] = [part.strip() for part in value.split(separator) if part.strip()]
    return out
