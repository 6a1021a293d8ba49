"""Codings: spans of a document coded with a code by a coder.

The central rule of qualcode lives here: a coding's ``text`` equals the document text
between its offsets, ``text[start:end]``, after every operation. Every feature writes
codings through :meth:`Codings.add`, :meth:`Codings.move`, :meth:`Codings.delete` and
reads them with :meth:`Codings.select`, so the rule is stated once.
"""

from __future__ import annotations

from qualcode.store.connection import Connection


class Codings:
    """The ``codings`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def count_for_document(self, doc_id: int) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM codings WHERE document_id = ?", (doc_id,)).fetchone()[0])
