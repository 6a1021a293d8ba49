"""Database-level operations for backups: online copy, integrity check, checkpoint, swap.

:mod:`qualcode.backups` keeps the bookkeeping of backup files (names, sidecars,
listing, rotation) and the order of a restore; the operations that need SQLite itself are
here, so that no module outside :mod:`qualcode.store` opens a connection:

* :meth:`Backups.copy_to` snapshots the open project database into a file with SQLite's
  online backup API (a consistent snapshot, even in WAL mode, while the project is open);
  :func:`copy_file` does the same from one database file to another.
* :func:`check_file` reads a database file (read-only): its integrity check, schema
  version and tables, for the caller to judge.
* :func:`checkpoint` folds the write-ahead log into the database file and tells whether
  another connection still holds the database open (its ``-wal`` file survives).
* :func:`swap_in` puts a database file in place of another with one rename.

Copies are written with ``journal_mode = DELETE``: one self-contained file, no ``-wal``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from qualcode.store.connection import Connection


class UnreadableDatabase(Exception):
    """A file that SQLite cannot open or read as a database (the message is SQLite's)."""


@dataclass(frozen=True, slots=True)
class DatabaseCheck:
    """What :func:`check_file` found in a database file."""

    integrity: tuple[str, ...]  # the lines of PRAGMA integrity_check: ('ok',) when sound
    schema_version: int  # PRAGMA user_version
    tables: frozenset[str]

    @property
    def sound(self) -> bool:
        return self.integrity == ("ok",)


def _copy(src: sqlite3.Connection, dest: Path) -> None:
    target = sqlite3.connect(str(dest))
    try:
        src.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        target.close()


def copy_file(src: Path, dest: Path) -> None:
    """Copy database file ``src`` (opened read-only) into a new database file ``dest``."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        _copy(source, dest)
    finally:
        source.close()


def check_file(path: Path) -> DatabaseCheck:
    """Integrity, schema version and tables of database file ``path`` (opened read-only).

    Raises :class:`UnreadableDatabase` when SQLite cannot read it (not a database,
    truncated…).
    """
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise UnreadableDatabase(str(exc)) from None
    return DatabaseCheck(integrity=tuple(str(r[0]) for r in result), schema_version=int(version),
                         tables=frozenset(tables))


def checkpoint(path: Path) -> bool:
    """Checkpoint database ``path`` with a connection of its own, and close it; True if no
    other connection has the database open.

    The last connection to close checkpoints the write-ahead log and deletes it: if the
    ``-wal`` file survives, another connection (another process) has the database open.
    """
    probe = sqlite3.connect(str(path))
    probe.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    probe.close()
    return not Path(f"{path}-wal").exists()


def swap_in(staged: Path, path: Path) -> None:
    """Put database file ``staged`` in place of ``path`` (closed, checkpointed) with one
    rename: readers see the old file or the new one, never half of one. The old shared
    memory index goes first, so that nothing pairs it with the new file."""
    Path(f"{path}-shm").unlink(missing_ok=True)
    os.replace(staged, path)


class Backups:
    """Whole-database operations on the open project database."""

    def __init__(self, db: Connection):
        self.db = db

    def copy_to(self, dest: Path) -> None:
        """Snapshot the database into the new file ``dest`` (online backup API).

        Outside a transaction only: the snapshot would include this connection's
        uncommitted writes.
        """
        _copy(self.db.conn, dest)

    def is_open(self) -> bool:
        """Whether the connection is still open (not closed by :meth:`Connection.close`)."""
        try:
            self.db.conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return False
        return True
