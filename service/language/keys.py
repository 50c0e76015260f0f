"""The one rule for how a word is compared: a known name's cluster token, else its stem.

BM25 documents and questions (``index.lexical``), the keys of a sentence
(``CorpusSnapshot.keys_of``) and the terms of a question (``answering.support``) all
compare words this way, so "Witkoff" in a question meets "Vitkov" in an article wherever
words are matched. Stop words never become keys.
"""

from __future__ import annotations

from service.language.names import NameIndex
from service.language.text import STOPWORDS, stem, words

_FUZZY_MIN_LEN = 4  # shorter words are never matched to a name by similarity


def name_key(canon: str) -> str:
    """The key of a name cluster (any spelling of the name has this key)."""
    return f"name:{canon}"


def word_key(word: str, names: NameIndex, fuzzy: bool = False) -> str:
    """A word's comparison key. ``fuzzy`` (for questions) also folds spellings the corpus
    never used ("Witkof"); corpus text only folds the spellings it has."""
    if fuzzy:
        canon = names.resolve(word) if len(word) >= _FUZZY_MIN_LEN else None
    else:
        canon = names.canonical.get(word.lower())
    return name_key(canon) if canon else stem(word.lower())


def content_words(text: str) -> list[str]:
    """A text's words in order, lower-cased, stop words left out: what keys are made of
    (kept by ``index.lexical`` across rebuilds, since names can change but these cannot)."""
    return [low for w in words(text) if (low := w.lower()) not in STOPWORDS]


def lexical_tokens(text: str, names: NameIndex, fuzzy: bool = False) -> list[str]:
    """The keys of a text's words in order, stop words left out (BM25 tokens)."""
    return [word_key(w, names, fuzzy) for w in content_words(text)]


def stem_tokens(text: str) -> list[str]:
    """A text's BM25 tokens: the stems of its content words, in order, spellings not folded.

    Retrieval ranks on these and leaves spelling variants of names to the dense half and
    the answerer's keys: folding clusters into one BM25 term cost sentence hit@5 on the
    tuning suites (SQuAD tuning .735 vs .829 for BM25 alone), because on general text the
    clusters also join different words (court/county/community, America/Africa) and a
    question's "what" resolves to "Watt" (``python -m eval retrieval``, eval/README.md).
    """
    return [stem(low) for low in content_words(text)]


def text_keys(text: str, names: NameIndex) -> frozenset[str]:
    """The set of keys of a text (what ``CorpusSnapshot.keys_of`` caches per sentence)."""
    return frozenset(lexical_tokens(text, names))
