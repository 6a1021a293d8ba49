"""The connection to a project database and its transactions.

One :class:`Connection` per open project. It sets the pragmas every command relies on
(foreign keys, WAL journaling), upgrades the schema (:mod:`qualcode.store.schema`) and
gives :meth:`Connection.transaction`, the one unit of atomic work: every command runs
its writes inside one, so either all of them are committed or none (an exception,
Ctrl-C or a killed process leaves the database exactly as before; SQLite guarantees the
last case). Nested calls become savepoints, so a library function can open its own
transaction and still be part of a larger command.

Only the modules of :mod:`qualcode.store` call :meth:`Connection.execute`; the rest of
qualcode speaks to the aggregates (``store.documents``, ``store.codings``…), which
return typed records, so that another database can sit behind the same API later.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualcode.errors import QualcodeError
from qualcode.store.schema import MIGRATIONS, SCHEMA_VERSION, split_sql

Params = Sequence[Any] | dict[str, Any]


def now() -> str:
    """The current time as stored in the project: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def placeholders(n: int) -> str:
    """``?,?,…`` for an ``IN (…)`` list of ``n`` values."""
    return ",".join("?" * n)


class Connection:
    """A connection to one project database: pragmas, schema upgrades, transactions."""

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise QualcodeError(f"project database missing: {self.path}")
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self._depth = 0
        self.migrate()

    # -- schema -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise QualcodeError(
                f"project database has schema version {current}, newer than this qualcode "
                f"({SCHEMA_VERSION}): upgrade qualcode"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                for statement in split_sql(MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    def close(self) -> None:
        self.conn.close()

    # -- transactions -------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @property
    def total_changes(self) -> int:
        """Rows changed since the connection opened (to tell whether a step wrote)."""
        return self.conn.total_changes

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls become savepoints."""
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    # -- statements (for the modules of qualcode.store only) ---------------------
    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)
