"""URL text fragments for cited sentences (service/answering/links.py), on their own.

The spec: https://wicg.github.io/scroll-to-text-fragment/ (``#:~:text=start[,end]``, each
term percent-encoded, ``-``, ``&`` and ``,`` always encoded inside a term).
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from service.answering.links import encode_term, text_directive, with_text_fragment


def terms(directive: str | None) -> list[str]:
    assert directive is not None and directive.startswith("text=")
    raw = directive.removeprefix("text=").split(",")
    assert 1 <= len(raw) <= 2, directive
    for term in raw:  # only unreserved characters and escapes are left raw
        assert all(c.isascii() and (c.isalnum() or c in "%._~") for c in term), term
    return [unquote(t) for t in raw]


@pytest.mark.parametrize(
    ("term", "encoded"),
    [
        ("Witkoff-Dmitriev", "Witkoff%2DDmitriev"),
        ("Tuesday & Wednesday", "Tuesday%20%26%20Wednesday"),
        ("Kyiv, Ukraine", "Kyiv%2C%20Ukraine"),
        ("Kyïv", "Ky%C3%AFv"),
        ("a – b", "a%20%E2%80%93%20b"),
        ("50% #1 a/b?c=d", "50%25%20%231%20a%2Fb%3Fc%3Dd"),
        ("U.S. ~ x_y", "U.S.%20~%20x_y"),
    ],
)
def test_a_term_is_percent_encoded_as_the_spec_requires(term: str, encoded: str) -> None:
    assert encode_term(term) == encoded
    assert unquote(encoded) == term


def test_a_short_sentence_is_named_whole_without_its_end_punctuation() -> None:
    assert terms(text_directive("The bridge closes on Monday.")) == ["The bridge closes on Monday"]
    assert terms(text_directive("Yes.")) == ["Yes"]
    assert terms(text_directive("  No!  ")) == ["No"]


def test_a_long_sentence_is_named_by_its_first_and_last_words() -> None:
    sentence = (
        "Ushakov said the talks in Moscow lasted five hours and that no compromise on "
        "the territories had yet been found."
    )
    start, end = terms(text_directive(sentence))
    assert start == "Ushakov said the talks"
    assert end == "had yet been found"
    assert sentence.startswith(start) and end in sentence


def test_terms_never_cross_a_quote_or_an_apostrophe() -> None:
    # a site may print typographic quotes where the stored text has straight ones
    assert terms(text_directive('"We agreed," he said.')) == ["We agreed", "he said"]
    assert terms(text_directive("Don't go, he said.")) == ["go, he said"]
    sentence = "Zelensky’s office said on Tuesday that the “peace framework” was discussed again."
    start, end = terms(text_directive(sentence))
    assert start == "office said on Tuesday"
    assert end == "was discussed again"


def test_punctuation_dashes_and_non_ascii_are_kept_verbatim_inside() -> None:
    sentence = "Kyïv – the capital – was calm on Tuesday & Wednesday, officials in Kyiv reported."
    start, end = terms(text_directive(sentence))
    assert start == "Kyïv – the capital"
    assert end == "officials in Kyiv reported"
    assert terms(text_directive("The Witkoff-Dmitriev plan has 28 points.")) == [
        "The Witkoff-Dmitriev plan has 28 points"
    ]
    assert terms(text_directive("(Reuters) — Talks resumed.")) == ["Reuters) — Talks resumed"]


def test_every_term_is_a_verbatim_part_of_the_sentence() -> None:
    for sentence in [
        "A sentence, with commas, and more; then: a colon — and the end!",
        "“Quoted” start of a sentence that goes on for quite a number of words here.",
        "Prices rose 5% in Zürich, São Paulo and Łódź, the report said on 3 December.",
    ]:
        for term in terms(text_directive(sentence)):
            assert term in sentence, (term, sentence)


def test_a_sentence_of_quotes_and_punctuation_has_no_directive() -> None:
    assert text_directive('"…"') is None
    assert text_directive(" — ") is None
    assert text_directive("") is None
    assert with_text_fragment("https://news.example/a", "—") == "https://news.example/a"


def test_the_fragment_joins_the_url() -> None:
    url = with_text_fragment("https://news.example/a?id=3", "Yes.")
    assert url == "https://news.example/a?id=3#:~:text=Yes"
    # a fragment the page uses is kept; an old directive is replaced
    assert with_text_fragment("https://news.example/a#top", "Yes.") == (
        "https://news.example/a#top:~:text=Yes"
    )
    assert with_text_fragment("https://news.example/a#:~:text=old", "No.") == (
        "https://news.example/a#:~:text=No"
    )
