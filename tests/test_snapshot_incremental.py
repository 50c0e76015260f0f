"""A snapshot built from the previous one equals one built from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from service.index.corpus import CorpusSnapshot
from service.settings import Settings
from tests.conftest import CORPUS, make_ingester

QUESTIONS = [
    "What did Witkoff say about the talks in Moscow?",
    "an editor's note",
    "Who is Vitkov?",
    "What did Kallas say about the peace plan?",
]


def _same(a: CorpusSnapshot, b: CorpusSnapshot) -> None:
    assert a.sentences == b.sentences
    assert np.array_equal(a.vectors, b.vectors)
    assert np.array_equal(a.row_vector, b.row_vector)
    assert np.array_equal(a.vector_keys, b.vector_keys)
    assert a.documents == b.documents
    assert a.position == b.position
    assert a.names.canonical == b.names.canonical
    assert a.names.members == b.names.members and a.names.counts == b.names.counts
    assert a.name_evidence == b.name_evidence
    for question in QUESTIONS:  # the lexical index: same hits, same scores
        assert a.lexical.search(question, 30) == b.lexical.search(question, 30)
        assert list(a.lexical.scores(question)) == list(b.lexical.scores(question))


def test_incremental_snapshot_matches_a_full_build(scratch: Settings, tmp_path: Path) -> None:
    ingester = make_ingester(scratch)
    articles = sorted(CORPUS.glob("*.txt"))
    ingester.ingest_paths(articles[:3])
    store = ingester.store
    first = CorpusSnapshot.build(store, 80.0)

    edited = tmp_path / articles[0].name
    edited.write_text(
        "An editor's note was added to this story.\n\n" + articles[0].read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    ingester.ingest_paths([edited, articles[3]])  # one replaced, one added
    ingester.remove(articles[1].name)  # one removed

    incremental = CorpusSnapshot.build(store, 80.0, previous=first)
    _same(incremental, CorpusSnapshot.build(store, 80.0))
    assert set(incremental.documents) == {articles[0].name, articles[2].name, articles[3].name}
    assert incremental.of_document(articles[0].name)[0].text.startswith("An editor's note")
    assert incremental.of_document(articles[1].name) == []
    assert (
        incremental.lexical.search("an editor's note", 1)[0][0]
        == incremental.position[(articles[0].name, 1)]
    )
