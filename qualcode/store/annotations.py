"""The NLP caches: each document's annotation blob and the codebook terms' analyses."""

from __future__ import annotations

from qualcode.store.connection import Connection


class Annotations:
    """The ``annotations`` and ``term_analyses`` table(s)."""

    def __init__(self, db: Connection):
        self.db = db
