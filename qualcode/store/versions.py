"""The codebook versions applied to the project (content hash, title, YAML as applied).

Every ``autocode`` run and every codebook revision records the codebook it applied, under
its short content hash (the version written on rule codings), with the YAML text as it
was: ``codebook diff`` compares with any of them, reports name the last one, and the
rename detection looks up the codes of earlier codebooks.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from qualcode.store.connection import Connection, now


@dataclass(frozen=True, slots=True)
class CodebookVersion:
    """A row of ``codebook_versions``."""

    version: str  # short content hash, recorded on codings
    content_hash: str
    title: str
    source: str | None  # the codebook file it was read from
    content: str  # the YAML text as applied
    recorded_at: str


def _version(row: sqlite3.Row) -> CodebookVersion:
    return CodebookVersion(row["version"], row["content_hash"], row["title"], row["source"], row["content"],
                           row["recorded_at"])


_COLUMNS = "version, content_hash, title, source, content, recorded_at"


class CodebookVersions:
    """The ``codebook_versions`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def record(self, *, version: str, content_hash: str, title: str, source: str | None, content: str) -> bool:
        """Record a codebook as applied now, unless this version is already recorded
        (the first time a version was applied is kept). Whether a row was added."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO codebook_versions (version, content_hash, title, source, content, recorded_at)"
            " VALUES (?,?,?,?,?,?)", (version, content_hash, title, source, content, now()))
        return cur.rowcount > 0

    def all(self) -> list[CodebookVersion]:
        """Every recorded version, oldest first."""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM codebook_versions ORDER BY recorded_at, rowid")
        return [_version(r) for r in rows]

    def last(self) -> CodebookVersion | None:
        """The version recorded last (the codebook last applied), or None."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM codebook_versions ORDER BY recorded_at DESC, rowid DESC LIMIT 1").fetchone()
        return _version(row) if row else None

    def get(self, version: str) -> CodebookVersion | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM codebook_versions WHERE version = ?", (version,)).fetchone()
        return _version(row) if row else None
