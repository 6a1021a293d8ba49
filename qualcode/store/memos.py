"""Memos on the project, a document, a case, a code or a coding."""

from __future__ import annotations

from qualcode.store.connection import Connection


class Memos:
    """The ``memos`` table(s)."""

    def __init__(self, db: Connection):
        self.db = db
