"""Story clusters: the documents that carry the same story, grouped.

A wire story re-published by several sites, two sites' copies of one article, an article
and its edited update: their documents share most of their sentences word for word. The
index already keys each distinct sentence text (``store.text_key``), so a document is a
set of text keys, and two copies of a story are two sets with a high Jaccard similarity
(an update that rewrites 30 % of a 20-sentence article still shares 14 of 26 texts: .54).
Five outlets' own reports of one event do not share their sentences (the seed articles
share none; two different pages of the HTML benchmark at most 1 %).

Near-linear: each document's key set gets a MinHash signature (``datasketch``, the
``affine64`` scheme over the 64-bit keys themselves, fixed seed and ``num_perm``), and
an LSH index over the signatures names each document's candidates (the documents sharing
a band of its signature), so no pair of documents is compared unless the LSH says so.
A candidate pair is then kept only if the exact Jaccard of the two key sets reaches
``stories.threshold`` (no false merges from the estimate; a pair just above the threshold
is missed by the LSH now and then). Documents joined by kept pairs form one cluster
(connected components: an article, its update and the update's update are one story even
if the first and last share less than the threshold).

Computed where the snapshot is built (``CorpusSnapshot.stories``), off the request path,
in every process, from the same index: the clusters are the same in every worker. A
rebuild after a change re-signs, removes and re-inserts only the changed documents (the
signatures, the LSH index and the kept pairs of the others are the previous snapshot's).

The **original** of a cluster is its earliest-dated member (ISO dates compared as
strings); undated members come after dated ones; ties, and clusters with no dates, by
source name. The cluster's **id** is derived from the original's source name (16 hex
digits of its sha256), so it is the same in every process and after a restart, and
changes only when another member becomes the original (an earlier copy is indexed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash, MinHashLSH

from service.index.store import DocumentEntry
from service.settings import Settings

SEED = 1  # the MinHash permutations' seed: fixed, so every process signs alike


@dataclass(frozen=True)
class StoryRule:
    """How documents are grouped (settings ``stories``)."""

    enabled: bool = True
    threshold: float = 0.3  # exact Jaccard of two documents' sentence-text sets
    num_perm: int = 128


def story_rule(settings: Settings) -> StoryRule:
    stories = settings.stories
    return StoryRule(stories.enabled, stories.threshold, stories.num_perm)


@dataclass(frozen=True)
class Story:
    id: str
    members: tuple[str, ...]  # the original first, then by date, then by source

    @property
    def original(self) -> str:
        return self.members[0]


def story_id(original: str) -> str:
    """A cluster's id, from its original's source name: stable across processes."""
    return hashlib.sha256(original.encode("utf-8")).hexdigest()[:16]


def _identity(key: int) -> int:
    return key  # the text keys are already 64-bit hashes (the first bits of a sha256)


def _date_order(documents: Mapping[str, DocumentEntry]) -> Callable[[str], tuple[bool, str, str]]:
    def order(source: str) -> tuple[bool, str, str]:
        entry = documents.get(source)
        date = entry.date if entry is not None else None
        return (not date, date or "", source)

    return order


@dataclass
class Stories:
    """The clusters of one snapshot: every document is in exactly one (most alone)."""

    rule: StoryRule
    by_id: dict[str, Story]
    of_source: dict[str, str]  # source -> its story's id
    # What the next build reuses: each document's version and signature, the kept pairs
    # (sorted source pairs) and the LSH index over the signatures (never pickled).
    versions: dict[str, str] = field(default_factory=dict, repr=False)
    signatures: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    pairs: set[tuple[str, str]] = field(default_factory=set, repr=False)
    lsh: MinHashLSH | None = field(default=None, repr=False)

    def story_of(self, source: str) -> Story | None:
        sid = self.of_source.get(source)
        return None if sid is None else self.by_id[sid]

    def ordered(self) -> list[Story]:
        """Largest first, then by id (a stable order to page through)."""
        return sorted(self.by_id.values(), key=lambda s: (-len(s.members), s.id))

    @classmethod
    def build(
        cls,
        documents: Mapping[str, DocumentEntry],
        key_set: Callable[[str], np.ndarray],
        rule: StoryRule,
        previous: Stories | None = None,
    ) -> Stories:
        """The clusters of ``documents``; ``key_set(source)``: its distinct text keys
        (sorted uint64). With ``previous`` (the last build, same rule), only documents
        whose version changed are signed and looked up again."""
        if not rule.enabled:
            return cls._assemble(rule, documents, set(), {}, {}, None)
        reuse = previous is not None and previous.rule.num_perm == rule.num_perm
        old_versions = previous.versions if previous is not None and reuse else {}
        stale = {
            s for s, v in old_versions.items() if s not in documents or documents[s].version != v
        }
        signatures = {
            s: sig
            for s, sig in (previous.signatures.items() if previous is not None and reuse else ())
            if s not in stale
        }
        # The kept pairs of unchanged documents hold under the same threshold; else every
        # document is looked up again (its signature reused).
        incremental = previous is not None and reuse and previous.rule.threshold == rule.threshold
        lsh = previous.lsh if previous is not None and incremental else None
        if previous is not None:
            previous.lsh = None  # taken over (mutated below): a failed build rebuilds it
        if incremental and previous is not None:
            pairs = {p for p in previous.pairs if p[0] not in stale and p[1] not in stale}
            lookup = [s for s in sorted(documents) if old_versions.get(s) != documents[s].version]
        else:
            pairs, lookup = set(), sorted(documents)
        template = MinHash(rule.num_perm, SEED, hashfunc=_identity, scheme="affine64")

        def minhash(hashvalues: np.ndarray) -> MinHash:
            return MinHash(
                hashfunc=_identity,
                hashvalues=hashvalues,
                permutations=template.permutations,
                scheme="affine64",
            )

        if lsh is None:
            lsh = MinHashLSH(threshold=rule.threshold, num_perm=rule.num_perm)
            if incremental:  # a previous build read from a file: its signatures, no LSH
                with lsh.insertion_session() as session:
                    for source, sig in signatures.items():
                        session.insert(source, minhash(sig), check_duplication=False)
        else:
            for source in stale:
                if source in lsh:
                    lsh.remove(source)
        keys: dict[str, np.ndarray] = {}

        def keys_of(source: str) -> np.ndarray:
            got = keys.get(source)
            if got is None:
                got = keys[source] = key_set(source)
            return got

        for source in lookup:
            mine = keys_of(source)
            if source in signatures:
                m = minhash(signatures[source])
            else:
                m = minhash(template.hashvalues)
                m.update_batch(mine.tolist())
                signatures[source] = m.hashvalues
            for other in lsh.query(m):
                if other != source and jaccard(mine, keys_of(other)) >= rule.threshold:
                    pairs.add((min(source, other), max(source, other)))
            lsh.insert(source, m, check_duplication=False)
        versions = {s: documents[s].version for s in documents}
        return cls._assemble(rule, documents, pairs, versions, signatures, lsh)

    @classmethod
    def _assemble(
        cls,
        rule: StoryRule,
        documents: Mapping[str, DocumentEntry],
        pairs: set[tuple[str, str]],
        versions: dict[str, str],
        signatures: dict[str, np.ndarray],
        lsh: MinHashLSH | None,
    ) -> Stories:
        """Connected components of ``pairs`` over ``documents`` (union-find)."""
        parent = {s: s for s in documents}

        def root(s: str) -> str:
            while parent[s] != s:
                parent[s] = parent[parent[s]]
                s = parent[s]
            return s

        for a, b in pairs:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        groups: dict[str, list[str]] = {}
        for s in documents:
            groups.setdefault(root(s), []).append(s)
        order = _date_order(documents)
        by_id: dict[str, Story] = {}
        of_source: dict[str, str] = {}
        for members in groups.values():
            story = Story(story_id(min(members, key=order)), tuple(sorted(members, key=order)))
            by_id[story.id] = story
            for s in members:
                of_source[s] = story.id
        return cls(rule, by_id, of_source, versions, signatures, pairs, lsh)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, unique key arrays."""
    if not len(a) and not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)
