"""The codes of the codebook as mirrored in the project (path, label, definitions, colour, status)."""

from __future__ import annotations

from qualcode.store.connection import Connection


class Codes:
    """The ``codes`` table(s)."""

    def __init__(self, db: Connection):
        self.db = db
