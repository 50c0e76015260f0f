"""Ingestion into real Chroma: numbering, idempotency, replacement, deletion, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.cleaning import date_in_name
from ingest.loaders import DocumentError
from service.index.corpus import CorpusSnapshot, IndexState
from service.index.store import make_client
from service.settings import Settings
from tests.conftest import CORPUS, ROOT, make_ingester


def snapshot(settings: Settings) -> CorpusSnapshot:
    return CorpusSnapshot.build(make_ingester(settings).store, 80.0)


def test_numbering_is_stable_across_fresh_indexes(tmp_path: Path, corpus_index: Settings) -> None:
    from tests.conftest import make_settings

    again = make_settings(tmp_path)
    make_ingester(again).ingest_paths(sorted(CORPUS.glob("*.txt")))
    first = [(s.source, s.number, s.text) for s in snapshot(corpus_index).sentences]
    second = [(s.source, s.number, s.text) for s in snapshot(again).sentences]
    assert first == second
    assert len(first) > 100


def test_records_carry_span_title_and_hash(corpus_index: Settings) -> None:
    store = make_ingester(corpus_index).store
    entry = store.documents()["000_412d1c09e69c2b39.txt"]
    assert entry.title == "Talks held – Kremlin position unchanged"
    assert len(entry.doc_hash) == 64
    got = store.contents.get(where={"source": entry.source}, include=["metadatas"])
    assert len(got["ids"]) == 1  # one record for the current version, no other
    text = (CORPUS / entry.source).read_text(encoding="utf-8")
    rows = json.loads(str((got["metadatas"] or [{}])[0]["rows"]))
    assert len(rows) == entry.sentences > 10
    for number, start, end, _paragraph, _labels, sentence in rows:
        assert " ".join(text[start:end].split()) == sentence, number


def test_manifest_records_of_the_one_key_per_field_format_are_read(scratch: Settings) -> None:
    """An index written before the manifest entry was one metadata key still reads."""
    store = make_ingester(scratch).store
    store.manifest.upsert(
        ids=["old.txt"],
        embeddings=[[1.0]],
        metadatas=[
            {
                "version": "v1",
                "doc_hash": "h" * 64,
                "title": "Old title",
                "date": "",
                "sentences": 3,
                "updated_at": 12.5,
            }
        ],
    )
    entry = store.documents()["old.txt"]
    assert (entry.version, entry.doc_hash, entry.title, entry.date) == (
        "v1",
        "h" * 64,
        "Old title",
        None,
    )
    assert (entry.sentences, entry.updated_at) == (3, 12.5)
    assert store.document("old.txt") == entry


def test_manifest_entries_written_before_the_url_field_are_read(scratch: Settings) -> None:
    """An entry of the six-field form (no URL) reads with its URL unset."""
    store = make_ingester(scratch).store
    entry = json.dumps(["v1", "h" * 64, "Old title", "2024-12-03", 3, 12.5])
    store.manifest.upsert(ids=["old.txt"], embeddings=[[1.0]], metadatas=[{"entry": entry}])
    got = store.document("old.txt")
    assert got is not None and (got.title, got.date, got.url) == ("Old title", "2024-12-03", None)


def test_a_text_many_documents_share_has_one_vector(scratch: Settings, tmp_path: Path) -> None:
    wire = "The agency said talks would resume on Monday in Geneva."
    for i in range(3):
        (tmp_path / f"site{i}.txt").write_text(f"Local report number {i} opens here.\n{wire}\n")
    ingester = make_ingester(scratch)
    ingester.ingest_paths(sorted(tmp_path.glob("*.txt")))
    assert ingester.store.vectors.count() == 4  # three openings, one shared sentence
    snap = snapshot(scratch)
    carriers = [(s.source, s.number) for s in snap.sentences if s.text == wire]
    assert carriers == [("site0.txt", 2), ("site1.txt", 2), ("site2.txt", 2)]
    query = snap.vector(snap.position[("site1.txt", 2)])
    best = [(snap.sentences[i].source, round(sim, 4)) for i, sim in snap.nearest(query, 3)]
    assert best == [("site0.txt", 1.0), ("site1.txt", 1.0), ("site2.txt", 1.0)]
    via_hnsw = IndexState(ingester.store, 80.0, 60.0, exact_dense_max=0)
    assert [(s, n) for s, n, _ in via_hnsw.dense(snap, query, 3)] == carriers


def test_an_index_of_the_older_layout_is_removed_for_a_new_ingest(
    scratch: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Before vectors were kept per distinct text, the index had one Chroma record per
    sentence in a collection named ``chroma.collection``: it cannot be read now, so it is
    dropped (with a warning) and the next ingest indexes everything anew."""
    client = make_client(scratch)
    name = scratch.chroma.collection
    for old in (name, f"{name}__documents"):
        client.get_or_create_collection(old, embedding_function=None).upsert(
            ids=["a.txt::0123456789abcdef::1"], embeddings=[[1.0, 0.0]], documents=["Old."]
        )
    ingester = make_ingester(scratch)
    names = {c.name for c in client.list_collections()}
    assert name not in names and f"{name}__documents" not in names
    assert "written by an older version" in caplog.text
    assert ingester.store.documents() == {}
    assert ingester.ingest_paths(sorted(CORPUS.glob("*.txt"))[:1]).count("added") == 1


def test_vectors_no_document_uses_are_swept(scratch: Settings, tmp_path: Path) -> None:
    wire = "The agency said talks would resume on Monday in Geneva."
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(f"Only a says this first thing.\n{wire}\n")
    b.write_text(f"Only b says this other thing.\n{wire}\n")
    ingester = make_ingester(scratch)
    ingester.ingest_paths([a, b])
    store = ingester.store
    assert store.collect_garbage() == 0 and store.vectors.count() == 3
    a.write_text(f"Now a says something new.\n{wire}\n")
    ingester.ingest_paths([a])
    assert store.vectors.count() == 4  # the old first line stays until a sweep
    assert store.collect_garbage() == 1
    ingester.remove("a.txt")
    assert store.collect_garbage() == 1  # a's new line; the wire line is b's too
    kept = snapshot(scratch)
    assert [s.text for s in kept.sentences] == ["Only b says this other thing.", wire]
    assert store.vectors.count() == 2


def test_unrelated_teasers_at_the_end_are_not_indexed(corpus_index: Settings) -> None:
    texts = " ".join(s.text for s in snapshot(corpus_index).sentences)
    for teaser in ["Taoiseach Micheál Martin", "Elizabeth Tsurkov", "The group has been charged"]:
        assert teaser not in texts
    assert "Civilian targets, including kindergartens" in texts


def test_reingest_unchanged_changes_nothing(scratch: Settings, corpus_copy: Path) -> None:
    ingester = make_ingester(scratch)
    first = ingester.ingest_paths(sorted(corpus_copy.glob("*.txt")))
    before = ingester.store.vectors.get()["ids"] + ingester.store.contents.get()["ids"]
    second = ingester.ingest_paths(sorted(corpus_copy.glob("*.txt")))
    after = ingester.store.vectors.get()["ids"] + ingester.store.contents.get()["ids"]
    assert first.count("added") == 5
    assert second.count("unchanged") == 5 and second.count("added") == 0
    assert sorted(before) == sorted(after)


def test_changed_file_replaces_all_its_sentences(scratch: Settings, tmp_path: Path) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text(
        "The harbour closed on Monday after a storm.\n"
        "Fishermen said the old pier was damaged.\n"
        "The mayor promised repairs by spring.\n"
    )
    ingester = make_ingester(scratch)
    assert ingester.ingest_paths([doc]).count("added") == 1
    doc.write_text("The harbour reopened on Friday.\nThe new pier is longer.\n")
    summary = ingester.ingest_paths([doc])
    assert summary.count("replaced") == 1
    assert [s.text for s in snapshot(scratch).sentences] == [
        "The harbour reopened on Friday.",
        "The new pier is longer.",
    ]
    assert len(ingester.store.contents.get(where={"source": "note.txt"})["ids"]) == 1
    assert ingester.store.documents()["note.txt"].sentences == 2


def test_a_new_version_deletes_every_other_version_of_its_source(
    scratch: Settings, tmp_path: Path
) -> None:
    """Contents records of the source's other versions go (the one replaced, and one left
    by a write that crashed before its commit); other sources' records stay."""
    from service.index.store import contents_id

    doc, other = tmp_path / "note.txt", tmp_path / "other.txt"
    doc.write_text("The first version of the note.\n")
    other.write_text("Another document entirely.\n")
    ingester = make_ingester(scratch)
    ingester.ingest_paths([doc, other])
    store = ingester.store
    orphan = contents_id("note.txt", "crashed-before-commit")
    store.contents.upsert(
        ids=[orphan], embeddings=[[1.0]], metadatas=[{"source": "note.txt", "version": "x"}]
    )
    doc.write_text("The second version of the note.\n")
    assert ingester.ingest_paths([doc, other]).count("replaced") == 1
    version = store.documents()["note.txt"].version
    assert store.contents.get(where={"source": "note.txt"})["ids"] == [
        contents_id("note.txt", version)
    ]
    assert len(store.contents.get(where={"source": "other.txt"})["ids"]) == 1
    assert [s.text for s in snapshot(scratch).of_document("note.txt")] == [
        "The second version of the note."
    ]


def test_removing_a_document_removes_all_its_sentences(
    scratch: Settings, corpus_copy: Path
) -> None:
    ingester = make_ingester(scratch)
    ingester.ingest_paths(sorted(corpus_copy.glob("*.txt")))
    (corpus_copy / "003_24446a9bbe2aadd0.txt").unlink()
    removed = ingester.prune({p.name for p in corpus_copy.glob("*.txt")})
    assert [o.status for o in removed] == ["removed"]
    left = ingester.store.contents.get(where={"source": "003_24446a9bbe2aadd0.txt"})
    assert left["ids"] == []
    assert not snapshot(scratch).of_document("003_24446a9bbe2aadd0.txt")
    assert "003_24446a9bbe2aadd0.txt" not in ingester.store.documents()


def test_a_write_that_fails_half_way_leaves_the_old_version(
    scratch: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text("First version, sentence one.\nFirst version, sentence two.\n")
    ingester = make_ingester(scratch)
    ingester.ingest_paths([doc])
    before = [s.text for s in snapshot(scratch).sentences]

    # Fault injection (a Chroma write cannot be made to fail half-way for real): the
    # second batch of the new version's vectors raises after the first was written.
    import service.index.store as store_module

    monkeypatch.setattr(store_module, "_BATCH", 1)
    real_upsert = ingester.store.vectors.upsert
    calls = {"n": 0}

    def failing_upsert(**kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real_upsert(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingester.store.vectors, "upsert", failing_upsert)
    doc.write_text("Second version, sentence one.\nSecond version, sentence two.\n")
    with pytest.raises(RuntimeError):
        ingester.ingest_bytes("note.txt", doc.read_bytes())
    assert [s.text for s in snapshot(scratch).sentences] == before
    assert len(ingester.store.contents.get(where={"source": "note.txt"})["ids"]) == 1
    assert snapshot(scratch).of_document("note.txt")[0].text == "First version, sentence one."


def test_bad_documents_are_refused_with_a_reason(scratch: Settings, tmp_path: Path) -> None:
    ingester = make_ingester(scratch)
    with pytest.raises(DocumentError, match="plain file name"):
        ingester.ingest_bytes("../etc/passwd.txt", b"Some text here.")
    with pytest.raises(DocumentError, match="unsupported file type"):
        ingester.ingest_bytes("report.pdf", b"%PDF-1.4")
    with pytest.raises(DocumentError, match="no article text"):
        ingester.ingest_bytes("empty.txt", b"\n\n  \n")
    assert ingester.store.documents() == {}


def test_cli_reports_summary_and_staleness(tmp_path: Path, corpus_copy: Path) -> None:
    env = {
        "NEWSQA_DATA__DIR": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ingest", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run("--check", str(corpus_copy)).returncode == 3
    first = run(str(corpus_copy))
    assert first.returncode == 0, first.stderr
    assert "5 added, 0 unchanged, 0 replaced, 0 removed, 0 failed" in first.stdout
    assert run("--check", str(corpus_copy)).returncode == 0
    (corpus_copy / "bad.txt").write_bytes(b"\n\n")
    second = run(str(corpus_copy))
    assert second.returncode == 1
    assert "0 added, 5 unchanged, 0 replaced, 0 removed, 1 failed" in second.stdout
    assert "bad.txt" in second.stderr


def test_ctrl_c_stops_the_cli_with_one_line_and_loses_nothing(
    tmp_path: Path,
    corpus_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C after the first document: exit 130, one line (no traceback), the folder's
    lock released, and the next run adds only the rest."""
    from ingest import __main__ as cli
    from ingest.pipeline import Ingester

    monkeypatch.setenv("NEWSQA_DATA__DIR", str(tmp_path / "data"))
    real = Ingester.ingest_paths

    def interrupted(self: Ingester, paths: list[Path], progress: bool = False) -> object:
        real(self, paths[:1])
        raise KeyboardInterrupt

    monkeypatch.setattr(Ingester, "ingest_paths", interrupted)
    assert cli.run(["-q", str(corpus_copy)]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
    monkeypatch.setattr(Ingester, "ingest_paths", real)
    assert cli.run(["-q", str(corpus_copy)]) == 0  # the lock was released
    assert "4 added, 1 unchanged, 0 replaced" in capsys.readouterr().out


def test_mojibake_is_searchable_but_stored_verbatim(scratch: Settings, tmp_path: Path) -> None:
    doc = tmp_path / "garbled.txt"
    doc.write_text(
        "The harbourmasterโ€™s report arrived on Monday.\nShips waited offshore for days.\n"
    )
    ingester = make_ingester(scratch)
    ingester.ingest_paths([doc])
    snap = snapshot(scratch)
    assert snap.sentences[0].text == "The harbourmasterโ€™s report arrived on Monday."
    hits = snap.lexical.search("harbourmaster report", 3)
    assert hits and hits[0][0] == 0


def test_html_and_markdown_documents_are_indexed(scratch: Settings, tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>x</title><style>p{color:red}</style>"
        "<script>var advert = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        "<h1>Harbour reopens after storm</h1>"
        "<p>The harbour <b>reopened</b> on Friday, the port authority said.</p>"
        "<p>Ships that had waited offshore came in at dawn.</p>"
        "<footer>All rights reserved</footer></body></html>"
    )
    md = tmp_path / "notes.md"
    md.write_text("# Weekly notes\n\nThe council met on Tuesday.\nIt approved the budget.\n")
    ingester = make_ingester(scratch)
    summary = ingester.ingest_paths([html, md])
    assert summary.count("added") == 2, summary.outcomes
    snap = snapshot(scratch)
    assert [s.text for s in snap.of_document("page.html")] == [
        "The harbour reopened on Friday, the port authority said.",
        "Ships that had waited offshore came in at dawn.",
    ]
    assert snap.documents["page.html"].title == "Harbour reopens after storm"
    assert snap.documents["notes.md"].title == "Weekly notes"
    assert [s.text for s in snap.of_document("notes.md")] == [
        "The council met on Tuesday.",
        "It approved the budget.",
    ]


@pytest.mark.parametrize(
    ("name", "date"),
    [
        ("2025-01-10-floods.txt", "2025-01-10"),
        ("floods_20250110.html", "2025-01-10"),
        ("floods.2024.12.31.md", "2024-12-31"),
        ("2025-02-30-not-a-day.txt", None),  # no such calendar day
        ("2025-0110-mixed.txt", None),  # one separator throughout, or none
        ("report-2024-final.txt", None),
        ("000_412d1c09e69c2b39.txt", None),
        ("120250110.txt", None),  # digits either side: an id, not a date
    ],
)
def test_a_file_name_dates_only_year_first_calendar_days(name: str, date: str | None) -> None:
    assert date_in_name(name) == date


def test_a_document_nothing_else_dates_takes_its_file_names_date(
    scratch: Settings, tmp_path: Path
) -> None:
    named = tmp_path / "2025-01-10-floods.txt"
    named.write_text("The river rose two metres overnight, the council said.\n")
    headed = tmp_path / "2025-01-09-storm.txt"
    headed.write_text("date 2025-01-08 Storm warning\n\nThe storm reached the coast at noon.\n")
    plain = tmp_path / "harbour.txt"
    plain.write_text("The harbour reopened on Friday, the port authority said.\n")
    summary = make_ingester(scratch).ingest_paths([named, headed, plain])
    assert summary.count("added") == 3, summary.outcomes
    docs = snapshot(scratch).documents
    dated = {s: (d.date, d.date_source) for s, d in docs.items()}
    assert dated == {
        "2025-01-10-floods.txt": ("2025-01-10", "file_name"),
        "2025-01-09-storm.txt": ("2025-01-08", "text"),  # the header line wins over the name
        "harbour.txt": (None, None),
    }


def test_whole_collections_are_read_in_pages(
    scratch: Settings, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite takes at most 32,766 variables, and Chroma reads a page's records by id in
    one statement: at 100k manifest records one read failed ("too many SQL variables").
    Pages of two records here stand for pages of 20,000."""
    import service.index.store as store_module

    monkeypatch.setattr(store_module, "_PAGE", 2)
    ingester = make_ingester(scratch)
    ingester.ingest_paths(sorted(corpus_copy.glob("*.txt")))
    assert len(ingester.store.documents()) == 5
    assert len(snapshot(scratch).documents) == 5
    (corpus_copy / "003_24446a9bbe2aadd0.txt").unlink()
    ingester.prune({p.name for p in corpus_copy.glob("*.txt")})
    texts = {s.text for s in snapshot(scratch).sentences}
    assert ingester.store.collect_garbage() > 0
    assert ingester.store.vectors.count() == len(texts)
