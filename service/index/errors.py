"""The index's errors, in a module of their own so that every index module can raise them.

(They lived in ``store.py``, which ``chroma_http.py`` imported for them while ``store.py``
imported ``chroma_http.py`` to build clients: an import cycle.)
"""


class IndexUnavailable(RuntimeError):
    """Chroma did not answer (server down, restarting, unreachable)."""


class EmbedderMismatch(RuntimeError):
    """The index was built with another embedding model than the one configured."""
