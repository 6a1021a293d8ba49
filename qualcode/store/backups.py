"""Database-level operations for backups: online copy, integrity check, checkpoint."""

from __future__ import annotations

from qualcode.store.connection import Connection


class Backups:
    """The (whole-database) table(s)."""

    def __init__(self, db: Connection):
        self.db = db
