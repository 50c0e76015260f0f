"""Request filters (sources, sites, date_from/date_to, authors): applied inside retrieval,
alone and combined, the same through /ask, /ask/stream and /v1/chat/completions; a filter
that admits nothing refuses with its own reason; a malformed one is a 422 naming the field.

The archive is written here: four HTML pages whose metadata (canonical URL, author, date)
trafilatura reads, each giving a different figure for the same vote, and a plain-text
file with a date header line and no site.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.components.embeddings import make_embedder
from service.index.catalog import DocumentFilter
from service.index.corpus import IndexState
from service.index.store import IndexStore, make_client
from service.retrieval.scoped import lexical_within
from service.settings import Settings
from tests.conftest import make_ingester, make_settings


def page(url: str, author: str, date: str, title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>'
        f'<link rel="canonical" href="{url}"><meta property="og:url" content="{url}">'
        f'<meta name="author" content="{author}">'
        f'<meta property="article:published_time" content="{date}T08:00:00Z">'
        f"</head><body><main><article><h1>{title}</h1>{body}</article></main></body></html>"
    )


PAGES = {
    "herald-vote.html": page(
        "https://www.harbourherald.co.uk/news/ferry-vote",
        "Jane Quill",
        "2024-12-03",
        "Ferry crews accept pay offer",
        "Ferry crews on the Skellan Island route voted 312 to 41 to accept the pay offer, "
        "union leader Sam Reyes said on Tuesday.",
        "The operator said the night sailings would return to the normal timetable.",
        "Crews had walked out for two days over pay and rest days.",
    ),
    "herald-sport.html": page(
        "https://sport.harbourherald.co.uk/rowing",
        "Jane Quill",
        "2024-11-20",
        "Rowing club wins regatta",
        "The Skellan rowing club won the winter regatta by two lengths on Saturday.",
        "Its coach said the crew had trained every morning since August.",
    ),
    "coast-vote.html": page(
        "https://news.coastpost.com/2024/12/05/ferry",
        "Tom Bell",
        "2024-12-05",
        "Union backs ferry deal",
        "Members of the ferry union voted 290 to 60 in favour of the deal, according to "
        "figures the union released on Thursday.",
        "The deal gives crews a rise of 4.5 per cent and two extra rest days a year.",
    ),
    "gazette-vote.html": page(
        "https://gazette.example.org/ferry-ballot",
        "Ana Ruiz; Tom Bell",
        "2025-01-10",
        "Ferry ballot recount",
        "A recount of the ferry union ballot found 301 votes for the offer and 52 against.",
        "The union said the result did not change the outcome.",
    ),
}
TEXT = (
    "date 2024-11-28 Ferry talks resume\n\n"
    "Talks between the ferry operator and the crews' union resumed on Thursday after a "
    "week's pause.\n"
    "Neither side would say how far apart they were on pay.\n"
)
QUESTION = "How did the ferry crews vote on the pay offer?"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("archive")
    for name, html in PAGES.items():
        (folder / name).write_text(html, encoding="utf-8")
    (folder / "talks.txt").write_text(TEXT, encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("index"))
    summary = make_ingester(settings).ingest_paths(sorted(folder.iterdir()))
    assert summary.count("failed") == 0, summary.line()
    return settings


@pytest.fixture(scope="module")
def client(archive: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(archive)) as c:
        yield c


def ask(client: TestClient, **fields: object) -> dict[str, object]:
    r = client.post("/ask", json={"question": QUESTION, "include_retrieval": True, **fields})
    assert r.status_code == 200, r.text
    out: dict[str, object] = r.json()
    return out


def cited(answer: dict[str, object]) -> set[str]:
    return {c["source"] for c in answer["citations"]}  # type: ignore[attr-defined,index]


def retrieved(answer: dict[str, object]) -> set[str]:
    return {e["source"] for e in answer["retrieved"]}  # type: ignore[attr-defined,index]


def test_documents_keep_their_url_site_author_and_date_with_its_source(
    client: TestClient,
) -> None:
    got = {s["source"]: s for s in client.get("/sources").json()["sources"]}
    herald = got["herald-vote.html"]
    assert herald["url"] == "https://www.harbourherald.co.uk/news/ferry-vote"
    assert (herald["site"], herald["author"]) == ("harbourherald.co.uk", "Jane Quill")
    assert (herald["date"], herald["date_source"]) == ("2024-12-03", "html")
    assert got["coast-vote.html"]["site"] == "news.coastpost.com"
    talks = got["talks.txt"]
    assert (talks["date"], talks["date_source"], talks["site"]) == ("2024-11-28", "text", None)


def test_without_a_filter_the_whole_archive_answers(client: TestClient) -> None:
    assert len(retrieved(ask(client))) >= 3


@pytest.mark.parametrize(
    ("fields", "admitted"),
    [
        ({"sources": ["coast-vote.html"]}, {"coast-vote.html"}),
        ({"sources": ["gazette-vote.html", "talks.txt"]}, {"gazette-vote.html", "talks.txt"}),
        # a domain admits its subdomains; "www." and case do not matter
        ({"sites": ["harbourherald.co.uk"]}, {"herald-vote.html", "herald-sport.html"}),
        ({"sites": ["WWW.HarbourHerald.co.uk"]}, {"herald-vote.html", "herald-sport.html"}),
        ({"sites": ["sport.harbourherald.co.uk"]}, {"herald-sport.html"}),
        ({"sites": ["coastpost.com", "example.org"]}, {"coast-vote.html", "gazette-vote.html"}),
        # inclusive on both ends; undated documents never pass a date filter
        ({"date_from": "2024-12-03"}, {"herald-vote.html", "coast-vote.html", "gazette-vote.html"}),
        ({"date_to": "2024-11-28"}, {"herald-sport.html", "talks.txt"}),
        ({"date_from": "2024-12-04", "date_to": "2024-12-31"}, {"coast-vote.html"}),
        # one of a byline's several names; case ignored
        ({"authors": ["tom bell"]}, {"coast-vote.html", "gazette-vote.html"}),
        (
            {"authors": ["Ana Ruiz", "Jane Quill"]},
            {"gazette-vote.html", "herald-vote.html", "herald-sport.html"},
        ),
        # combined: every field must hold
        ({"sites": ["harbourherald.co.uk"], "date_from": "2024-12-01"}, {"herald-vote.html"}),
        ({"authors": ["Tom Bell"], "date_to": "2024-12-31"}, {"coast-vote.html"}),
        (
            {"authors": ["Tom Bell"], "sites": ["example.org"], "sources": ["gazette-vote.html"]},
            {"gazette-vote.html"},
        ),
    ],
)
def test_each_filter_alone_and_combined_admits_exactly_its_documents(
    client: TestClient, fields: dict[str, object], admitted: set[str]
) -> None:
    got = ask(client, top_k=50, **fields)  # deep enough to reach every admitted document
    # the evidence itself comes from the admitted documents only (applied in retrieval)
    assert retrieved(got) == admitted, (retrieved(got), admitted)
    assert cited(got) <= admitted
    if not got["refused"]:
        assert got["citations"]


def test_a_filter_finds_the_admitted_document_the_unfiltered_top_leaves_out(
    client: TestClient,
) -> None:
    """The rowing story is far from the question: unfiltered, the top evidence holds none
    of its sentences; filtered to its site, retrieval still returns them (a filter applied
    after retrieval would have nothing left)."""
    assert "herald-sport.html" not in retrieved(ask(client, top_k=3))
    got = ask(client, top_k=3, sites=["sport.harbourherald.co.uk"])
    assert retrieved(got) == {"herald-sport.html"}


def test_a_filter_that_admits_nothing_refuses_naming_it(client: TestClient) -> None:
    for fields, named in [
        ({"sources": ["no-such-file.html"]}, "sources=no-such-file.html"),
        ({"sites": ["bbc.co.uk"]}, "sites=bbc.co.uk"),
        ({"date_from": "2030-01-01"}, "date_from=2030-01-01"),
        ({"authors": ["Nobody Here"]}, "authors=Nobody Here"),
        ({"sites": ["coastpost.com"], "authors": ["Jane Quill"]}, "sites=coastpost.com"),
    ]:
        got = ask(client, **fields)
        assert got["refused"] is True and got["refusal_reason"] == "no_documents_match_filter"
        assert named in got["answer"] and not got["citations"], got  # type: ignore[operator]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date_from": "2024-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": 0}, "date_from"),  # a number is no day, as the schema says
        ({"date_from": "2024-12-05", "date_to": "2024-12-01"}, "date_to"),
        ({"sites": ["not a domain"]}, "sites"),
        ({"sites": [42]}, "sites"),
        ({"sources": [""]}, "sources"),
        ({"authors": ["  "]}, "authors"),
        ({"sources": {"name": "x"}}, "sources"),
        ({"sites": "bbc.co.uk"}, "sites"),  # a list, as the schema says (strings: metadata)
        ({"sources": ["a.html"] * 101}, "sources"),
        ({"site": ["bbc.co.uk"]}, "site"),  # a misspelt field is not ignored
    ],
)
def test_a_malformed_filter_is_a_422_naming_the_field(
    client: TestClient, fields: dict[str, object], field: str
) -> None:
    for path, body in [
        ("/ask", {"question": QUESTION, **fields}),
        ("/ask/stream", {"question": QUESTION, **fields}),
    ]:
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["detail"].startswith(field), r.json()


def chat(client: TestClient, **extra: object) -> dict[str, object]:
    body = {
        "model": "newsqa-extractive",
        "messages": [{"role": "user", "content": QUESTION}],
        **extra,
    }
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    out: dict[str, object] = r.json()
    return out


def stream_final(client: TestClient, **fields: object) -> dict[str, object]:
    with client.stream("POST", "/ask/stream", json={"question": QUESTION, **fields}) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    blocks = text.replace("\r\n", "\n").split("\n\n")
    events = [block for block in blocks if "event: final" in block]
    data = next(line for line in events[0].splitlines() if line.startswith("data:"))
    out: dict[str, object] = json.loads(data.removeprefix("data:").strip())
    return out


@pytest.mark.parametrize(
    "fields",
    [
        {"sources": ["coast-vote.html"]},
        {"sites": ["harbourherald.co.uk"], "date_from": "2024-12-01"},
        {"authors": ["Tom Bell"]},
        {"date_from": "2030-01-01"},
    ],
)
def test_the_three_interfaces_apply_a_filter_alike(
    client: TestClient, fields: dict[str, object]
) -> None:
    def key(a: dict[str, object]) -> tuple[object, ...]:
        cites = [(c["source"], c["sentence"]) for c in a["citations"]]  # type: ignore[attr-defined,index]
        return a["refused"], a.get("refusal_reason"), cites

    plain = client.post("/ask", json={"question": QUESTION, **fields}).json()
    streamed = stream_final(client, **fields)
    top_level = chat(client, **fields)  # as the OpenAI client's extra_body sends them
    as_strings = {k: ",".join(v) if isinstance(v, list) else v for k, v in fields.items()}
    in_metadata = chat(client, metadata={**as_strings, "user_ref": "ignored"})
    assert key(plain) == key(streamed) == key(top_level) == key(in_metadata), (
        plain,
        streamed,
        top_level,
        in_metadata,
    )
    if "date_from" in fields and fields["date_from"] == "2030-01-01":
        assert plain["refusal_reason"] == "no_documents_match_filter"


def test_chat_completions_name_the_bad_field_and_refuse_a_filter_given_twice(
    client: TestClient,
) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    r = client.post(
        "/v1/chat/completions",
        json={"messages": messages, "metadata": {"date_from": "2024-02-30"}},
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("metadata.date_from"), r.text
    r = client.post("/v1/chat/completions", json={"messages": messages, "sites": ["a b"]})
    assert r.status_code == 422 and r.json()["detail"].startswith("sites"), r.text
    r = client.post(
        "/v1/chat/completions",
        json={"messages": messages, "sites": ["coastpost.com"], "metadata": {"sites": "x.org"}},
    )
    assert r.status_code == 422 and "not both" in r.json()["detail"], r.text


def test_the_filtered_dense_search_is_the_exact_one_over_the_scope_on_either_path(
    archive: Settings,
) -> None:
    """Above ``exact_dense_max`` the dense side asks Chroma's HNSW index and keeps the
    scope's hits; it must rank as the exact product over the scope's sentences does."""
    embedder = make_embedder(archive.embedding, archive.llm)
    store = IndexStore(make_client(archive), archive.chroma.collection, embedder.name)
    exact = IndexState(store, 80.0, 60.0, exact_dense_max=10**6)
    snap = exact.snapshot()
    # HNSW for the archive and the scope; HNSW-sized archive, but a scope small enough
    # for the exact product over its own vectors
    paths = [exact, IndexState(store, 80.0, 60.0, exact_dense_max=0)]
    paths.append(IndexState(store, 80.0, 60.0, exact_dense_max=3))
    query = np.asarray(embedder.embed([QUESTION])[0], dtype=np.float32)
    for f in [
        DocumentFilter(sites=("harbourherald.co.uk",)),
        DocumentFilter(authors=("Tom Bell",)),
        DocumentFilter(sources=("talks.txt",)),
    ]:
        scope = snap.catalog.scope(f)
        sims = snap.vectors[snap.row_vector[scope.positions]] @ query
        best = scope.positions[np.lexsort((scope.positions, -sims))[:5]]
        want = [(snap.sentences[p].source, snap.sentences[p].number) for p in best]
        for state in paths:
            got = [(s, n) for s, n, _ in state.dense(snap, query, 5, scope)]
            assert got == want, (f, state.exact_dense_max)


def test_the_filtered_bm25_side_is_the_scope_s_best_whichever_side_it_reads(
    archive: Settings,
) -> None:
    """``lexical_within`` reads the sentences the terms reach when they are fewer than the
    scope's, else the scope's: either way the scope's best by BM25, ties by position."""
    embedder = make_embedder(archive.embedding, archive.llm)
    store = IndexStore(make_client(archive), archive.chroma.collection, embedder.name)
    snap = IndexState(store, 80.0, 60.0).snapshot()
    hits = snap.lexical.hits(QUESTION)
    sides = set()
    for f in [
        DocumentFilter(sources=("talks.txt",)),  # fewer scope sentences than hits
        DocumentFilter(date_from=dt.date(2000, 1, 1)),  # nearly all: fewer hits
        DocumentFilter(sites=("harbourherald.co.uk", "coastpost.com")),
    ]:
        scope = snap.catalog.scope(f)
        sides.add(len(hits) <= len(scope.positions))
        scores = np.asarray(hits[scope.positions])
        order = np.lexsort((scope.positions, -scores))
        want = [int(scope.positions[i]) for i in order if scores[i] > 0][:4]
        got, fused_scores = lexical_within(hits, scope, 4)
        assert got == want, f
        assert fused_scores.max() == pytest.approx(float(scores.max()))
    assert sides == {True, False}  # both branches ran


def test_a_filter_admitting_every_document_answers_as_no_filter_does(
    client: TestClient, archive: Settings
) -> None:
    """Every document here is dated, so a range from 2000 admits the whole archive: its
    scope is every sentence (built without a gather), and retrieval takes the unfiltered
    path, so the evidence and the answer are the same as without the filter."""
    embedder = make_embedder(archive.embedding, archive.llm)
    store = IndexStore(make_client(archive), archive.chroma.collection, embedder.name)
    snap = IndexState(store, 80.0, 60.0).snapshot()
    scope = snap.catalog.scope(DocumentFilter(date_from=dt.date(2000, 1, 1)))
    assert scope.whole and list(scope.positions) == list(range(len(snap.sentences)))
    assert scope.mask.all()
    part = snap.catalog.scope(DocumentFilter(date_from=dt.date(2024, 12, 4)))
    assert not part.whole and 0 < len(part.positions) < len(snap.sentences)
    plain, whole = ask(client), ask(client, date_from="2000-01-01")
    assert whole["retrieved"] == plain["retrieved"]
    assert (whole["answer"], whole["citations"]) == (plain["answer"], plain["citations"])
