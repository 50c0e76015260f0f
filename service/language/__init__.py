"""The ground floor: English text, words, names, sentences and questions.

Nothing here knows about the index, retrieval or answering; everything above may use it.
See docs/architecture.md.
"""
