"""Story clusters: the documents that carry the same story, grouped.

A wire story re-published by several sites, two sites' copies of one article, an article
and its edited update: their documents share most of their sentences word for word. The
index already keys each distinct sentence text (``store.text_key``), so a document is a
set of text keys, and two copies of a story are two sets with a high Jaccard similarity
(an update that rewrites 30 % of a 20-sentence article and adds two still shares 14 of
28 texts: .5). Five outlets' own reports of one event do not share their sentences (the
seed articles share none; two different pages of the HTML benchmark at most 1 %).

Near-linear: each document's key set gets a MinHash signature (``datasketch``, the
``affine64`` scheme over the 64-bit keys themselves, fixed seed and ``num_perm``), cut
into LSH bands (``datasketch.MinHashLSH``'s choice of bands and rows for the threshold);
each band is kept as one 64-bit hash, 8 bytes a band and document, so the state is
~0.3 kB a document (datasketch's own LSH index held 11.5 kB: 1.2 GB at 100k). Documents
whose band hashes are equal in some band are candidates (one sort per band); a candidate
pair is kept only if the exact Jaccard of the two key sets reaches ``stories.threshold``
(no false merges from the estimate; a pair just above the threshold is missed by the
LSH now and then). Within one band's bucket, each member is compared with the bucket's
first member and with its predecessor, unless they are already joined (a bucket of 500
copies costs ~1,000 comparisons, not 125,000). Documents joined by kept pairs form one
cluster (connected components: an article, its update and the update's update are one
story even if the first and last share less than the threshold).

Computed where the snapshot is built (``CorpusSnapshot.stories``), off the request path,
in every process, from the same index: the clusters are the same in every worker. A
rebuild signs only the documents whose version changed (the others' band hashes are the
previous build's); grouping the band hashes is numpy sorts, milliseconds at 10k.

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
from itertools import pairwise

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
    # What the next build reuses: each document's version and its band hashes (uint64
    # bytes, one per LSH band).
    bands: dict[str, tuple[str, bytes]] = field(default_factory=dict, repr=False)

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
        (sorted uint64). With ``previous`` (the last build), only documents whose version
        changed are signed again."""
        sources = sorted(documents)
        if not rule.enabled or not sources:
            return cls._assemble(rule, documents, sources, list(range(len(sources))), {})
        lsh = MinHashLSH(threshold=rule.threshold, num_perm=rule.num_perm)
        bands, rows = lsh.b, lsh.r
        reuse = previous is not None and (previous.rule.num_perm, previous.rule.threshold) == (
            rule.num_perm,
            rule.threshold,
        )
        old = previous.bands if previous is not None and reuse else {}
        template = MinHash(rule.num_perm, SEED, hashfunc=_identity, scheme="affine64")
        kept: dict[str, tuple[str, bytes]] = {}
        for source in sources:
            version = documents[source].version
            got = old.get(source)
            if got is None or got[0] != version:
                m = MinHash(
                    hashfunc=_identity,
                    hashvalues=template.hashvalues,
                    permutations=template.permutations,
                    scheme="affine64",
                )
                m.update_batch(key_set(source).tolist())
                got = (version, _band_hashes(m.hashvalues, bands, rows).tobytes())
            kept[source] = got
        table = np.frombuffer(b"".join(kept[s][1] for s in sources), dtype=np.uint64)
        parent = _components(table.reshape(len(sources), bands), sources, key_set, rule.threshold)
        return cls._assemble(rule, documents, sources, parent, kept)

    @classmethod
    def _assemble(
        cls,
        rule: StoryRule,
        documents: Mapping[str, DocumentEntry],
        sources: list[str],
        parent: list[int],
        bands: dict[str, tuple[str, bytes]],
    ) -> Stories:
        groups: dict[int, list[str]] = {}
        for i, s in enumerate(sources):
            groups.setdefault(_root(parent, i), []).append(s)
        order = _date_order(documents)
        by_id: dict[str, Story] = {}
        of_source: dict[str, str] = {}
        for members in groups.values():
            members.sort(key=order)
            story = Story(story_id(members[0]), tuple(members))
            by_id[story.id] = story
            for s in members:
                of_source[s] = story.id
        return cls(rule, by_id, of_source, bands)


_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit constant (the golden ratio's)


def _band_hashes(hashvalues: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit hash per band of a signature (its ``rows`` values, folded): equal bands
    give equal hashes; unequal ones collide with a chance of ~2^-64."""
    cut = np.asarray(hashvalues[: bands * rows], dtype=np.uint64).reshape(bands, rows)
    out = np.zeros(bands, dtype=np.uint64)
    for r in range(rows):
        out = (out ^ cut[:, r]) * _MIX  # wraps modulo 2^64, as meant
    return out


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _components(
    table: np.ndarray,
    sources: list[str],
    key_set: Callable[[str], np.ndarray],
    threshold: float,
) -> list[int]:
    """Union-find over the documents (rows of ``table``, one column per band): candidates
    share a band hash; a pair is joined when its exact Jaccard reaches ``threshold``."""
    parent = list(range(len(sources)))
    keys: dict[int, np.ndarray] = {}

    def keys_of(i: int) -> np.ndarray:
        got = keys.get(i)
        if got is None:
            got = keys[i] = key_set(sources[i])
        return got

    for column in table.T:
        order = np.argsort(column, kind="stable")  # a bucket's members ascend
        ranked = column[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        ends = np.r_[starts[1:], len(ranked)]
        for lo, hi in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            members = order[lo:hi].tolist()
            head = members[0]
            for prev, m in pairwise(members):
                for other in (head, prev) if prev != head else (head,):
                    ra, rb = _root(parent, m), _root(parent, other)
                    if ra != rb and jaccard(keys_of(m), keys_of(other)) >= threshold:
                        parent[max(ra, rb)] = min(ra, rb)
    return parent


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, unique key arrays."""
    if not len(a) and not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)
