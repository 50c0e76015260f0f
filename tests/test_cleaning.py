"""Cleaning and sentence splitting on the real articles and on small made-up pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.cleaning import clean, join_broken_lines
from ingest.sentences import collapse_ws, split_sentences

CORPUS = Path(__file__).resolve().parent.parent / "data" / "articles"


def sentences_of(name: str) -> list[str]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [s.text for s in split_sentences(text, clean(text).prose)]


def all_sentences() -> list[str]:
    return [s for f in sorted(CORPUS.glob("*.txt")) for s in sentences_of(f.name)]


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        (
            "000_412d1c09e69c2b39.txt",
            "Putin’s adviser Yuri Ushakov said the Kremlin agreed with some points",
            "but that there were things that had been criticized.",
        ),
        (
            "003_24446a9bbe2aadd0.txt",
            "represented by Russian President Vladimir Putin",
            "himself, his confidant Yuri Ushakov",
        ),
        ("001_82238a49c09cb564.txt", "Zelensky said that", "Kyiv’s priorities are preserving"),
    ],
)
def test_sentence_broken_over_lines_is_one_sentence(name: str, first: str, second: str) -> None:
    joined = [s for s in sentences_of(name) if first in s]
    assert len(joined) == 1, joined
    assert f"{first} {second}" in joined[0]


def test_broken_line_rules_generalise() -> None:
    text = "The minister said that\n\nthe budget would grow.\nA heading\n\nNew paragraph here."
    lines = [line.text for line in join_broken_lines(text)]
    assert lines == [
        "The minister said that the budget would grow.",
        "A heading",
        "New paragraph here.",
    ]


def test_site_chrome_adverts_and_teasers_are_dropped() -> None:
    text = " ".join(all_sentences())
    for junk in [
        "Overview Logo",
        "Get the full experience in the app",
        "Apple App Store Badge",
        "Miss what Gets Missed",
        "50 countries, 150 news sites",
        "Read also",
        "Scroll the Globe",
        "Alternative Takes",
    ]:
        assert junk not in text, junk


def test_article_text_next_to_boilerplate_is_kept() -> None:
    text = " ".join(all_sentences())
    for kept in [
        "Will Whitkov and Kushner go to Brussels?",
        "Axios claims that the two envoys will meet with Zelensky tomorrow",
        "The conflict between the two ex-Soviet states dates back to 2014",
        "Civilian targets, including kindergartens",
        "“What a mess.”",
    ]:
        assert kept in text, kept


def test_metadata_lines_become_metadata_not_sentences() -> None:
    text = (CORPUS / "004_323d18fcb59138b4.txt").read_text(encoding="utf-8")
    doc = clean(text)
    assert doc.date == "2025-12-03"
    assert doc.title == "Putin Warns Europe as US–Russia Peace Talks Stall Over Ukraine"
    assert doc.byline == "By Staff, Agencies"
    sentences = sentences_of("004_323d18fcb59138b4.txt")
    assert not any("2025-12-03" in s or s.startswith("By Staff") for s in sentences)
    assert clean((CORPUS / "000_412d1c09e69c2b39.txt").read_text()).title == (
        "Talks held – Kremlin position unchanged"
    )


def test_boilerplate_rules_on_an_unseen_page() -> None:
    page = (
        "Home\nWorld\nSport\nWeather\n\n"
        "Storm closes harbour for a week\n\n"
        "A storm closed the harbour on Monday, the port authority said.\n"
        "Ships will wait offshore until the wind drops.\n\n"
        "Read more: Ten tips for sailing in winter\n"
        "Download our app\nFollow us\nAll rights reserved\n"
    )
    doc = clean(page)
    assert doc.title == "Storm closes harbour for a week"
    assert [line.text for line in doc.prose] == [
        "A storm closed the harbour on Monday, the port authority said.",
        "Ships will wait offshore until the wind drops.",
    ]


def test_abbreviations_and_quotes_do_not_split() -> None:
    text = (
        "The U.S. envoy met Dr. Smith in Washington, D.C. on Monday. "
        "“We are ready,” he said. “What a mess.” Then he left."
    )
    from ingest.cleaning import LogicalLine, Piece

    got = [s.text for s in split_sentences(text, [LogicalLine([Piece(0, len(text))], text)])]
    assert got == [
        "The U.S. envoy met Dr. Smith in Washington, D.C. on Monday.",
        "“We are ready,” he said.",
        "“What a mess.”",
        "Then he left.",
    ]


def test_every_sentence_is_found_word_for_word_at_its_span() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        flat = collapse_ws(text)
        sentences = split_sentences(text, clean(text).prose)
        assert [s.number for s in sentences] == list(range(1, len(sentences) + 1))
        for s in sentences:
            assert s.text in flat
            assert collapse_ws(text[s.start : s.end]) == s.text


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ("Donâ€™t worry, said the minister.", "Don’t worry, said the minister."),  # cp1252
        ("Donโ€™t Miss what Gets Missed", "Don’t Miss what Gets Missed"),  # cp874
        ("Micheál Martin spoke.", "Micheál Martin spoke."),  # correct text is left alone
    ],
)
def test_mojibake_is_repaired_for_search(broken: str, repaired: str) -> None:
    from service.language.text import repair_text

    assert repair_text(broken) == repaired
