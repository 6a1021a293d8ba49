"""The connection to a project database and its transactions.

One :class:`Connection` per open project. It sets the pragmas every command relies on
(foreign keys, WAL journaling), upgrades the schema (:mod:`qualcode.store.schema`) and
gives :meth:`Connection.transaction`, the one unit of atomic work: every command runs
its writes inside one, so either all of them are committed or none (an exception,
Ctrl-C or a killed process leaves the database exactly as before; SQLite guarantees the
last case). Nested calls become savepoints, so a library function can open its own
transaction and still be part of a larger command. A failure of the database itself (a
full disk, a file size limit, an I/O error), or any error after which SQLite has ended
the transaction on its own, is a :class:`~qualcode.errors.StorageError` that ends the
whole command: nothing of it is committed, and no statement ever runs in autocommit mode
inside :meth:`Connection.transaction`.

A transaction takes the write lock at once (``BEGIN IMMEDIATE``), waiting up to
:func:`busy_timeout` seconds for another command that holds it; while it holds it, the
file ``project.db.writer`` names the command (pid, command line), so that a command that
waits too long can say which one holds the project (:class:`~qualcode.errors.ProjectBusy`).
A command that only reads (an export) uses :meth:`Connection.read` instead: its work runs
on a snapshot of the write-ahead log (a deferred transaction, ``BEGIN``) and takes no
write lock, so that other commands can write, and other exports read, meanwhile; the
snapshot is as consistent as a write transaction's view. If the work must write after
all (a cache to fill), it says so (:class:`WriteNeeded`, before doing the costly part)
and runs again inside an ordinary write transaction. Inside a snapshot every statement
that would write fails with :class:`WriteNeeded` (``PRAGMA query_only``), so that a
snapshot never takes the write lock, not even for a moment.

A database whose file or folder cannot be written is opened read-only (immutable when
no write-ahead log is pending: nothing is created next to it); its transactions read a
snapshot, and the first statement that writes is a
:class:`~qualcode.errors.ReadOnlyProject` error, which ends the command.

Only the modules of :mod:`qualcode.store` call :meth:`Connection.execute`; the rest of
qualcode speaks to the aggregates (``store.documents``, ``store.codings``…), which
return typed records, so that another database can sit behind the same API later.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from qualcode.errors import DamagedProject, ProjectBusy, QualcodeError, ReadOnlyProject, StorageError
from qualcode.store.schema import MIGRATIONS, SCHEMA_VERSION, split_sql

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")

#: How long a command waits for another one that is writing to the project, in seconds.
BUSY_TIMEOUT = 20.0
BUSY_TIMEOUT_ENV = "QUALCODE_BUSY_TIMEOUT"
#: Next to the database while a command writes: who holds the write lock (pid, command).
WRITER_SUFFIX = ".writer"


def busy_timeout() -> float:
    """Seconds to wait for the write lock: ``$QUALCODE_BUSY_TIMEOUT`` or :data:`BUSY_TIMEOUT`."""
    value = os.environ.get(BUSY_TIMEOUT_ENV)
    try:
        return max(0.0, float(value)) if value else BUSY_TIMEOUT
    except ValueError:
        return BUSY_TIMEOUT


def process_gone(pid: int) -> bool:
    """Whether no process has this id (a process of another user is not gone). On Windows
    ``os.kill(pid, 0)`` would end the process: there, nothing is taken as gone."""
    if pid <= 0 or os.name == "nt":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


def command_line() -> str:
    """The running command as a person would type it (``qualcode autocode``)."""
    argv = sys.argv
    if argv and Path(argv[0]).name in ("qualcode", "__main__.py"):
        return " ".join(["qualcode", *argv[1:]])
    return " ".join(["python", *argv])


def writable(path: Path) -> bool:
    """Whether the database ``path`` and its folder (the ``-wal``/``-shm`` files) can be written."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def now() -> str:
    """The current time as stored in the project: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class WriteNeeded(Exception):  # a signal to retry, never an error the user sees
    """Raised inside :meth:`Connection.read`'s snapshot by work that has to write (a
    cache to fill): the work then runs again inside a write transaction."""


def placeholders(n: int) -> str:
    """``?,?,…`` for an ``IN (…)`` list of ``n`` values."""
    return ",".join("?" * n)


class Connection:
    """A connection to one project database: pragmas, schema upgrades, transactions."""

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise QualcodeError(f"project database missing: {self.path}")
        if not create:
            # SQLite would take an empty file for a new database and a short one for a
            # sound one: refuse them before connecting, from the header alone (cheap).
            _check_header(self.path)
        # A project that cannot be written (a read-only folder or file) is opened read-only,
        # so that the commands that only read still work: without the write-ahead log when
        # there is none to read (SQLite could not create its -shm file there).
        self.read_only = not create and not writable(self.path)
        self._depth = 0
        self._reading = False  # inside a snapshot of read() (no write lock)
        self._broken: StorageError | None = None  # set when the current transaction is lost
        self._writer = Path(f"{self.path}{WRITER_SUFFIX}")
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        if self.read_only:
            wal = Path(f"{self.path}-wal")
            settled = not wal.exists() or wal.stat().st_size == 0
            uri = self.path.resolve().as_uri() + ("?immutable=1" if settled else "?mode=ro")
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout())
        else:
            self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=busy_timeout())
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.migrate()
        except BaseException as exc:
            self.conn.close()
            damage = damaged(exc, self.path)
            if damage is not None:
                raise damage from None
            if self.read_only and isinstance(exc, sqlite3.OperationalError):
                raise ReadOnlyProject(self.path, "its unfinished write-ahead log cannot be read without "
                                      f"writing ({_describe(exc)}); open it once where it can be written") from None
            raise

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
        if current < SCHEMA_VERSION and self.read_only:
            raise ReadOnlyProject(self.path, f"its database needs an upgrade to schema version {SCHEMA_VERSION}")
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
    def reading(self) -> bool:
        """Whether the current transaction is a snapshot of :meth:`read` (writing in it
        raises :class:`WriteNeeded`): code that would fill a cache raises it first."""
        return self._reading

    @property
    def total_changes(self) -> int:
        """Rows changed since the connection opened (to tell whether a step wrote)."""
        return self.conn.total_changes

    def _failure(self, exc: BaseException) -> BaseException:
        """What to raise for ``exc``, raised inside a transaction: a :class:`StorageError`
        when the database itself failed (disk full, I/O error…) or SQLite ended the
        transaction on its own, else ``exc`` itself. An interruption stays one."""
        if isinstance(exc, (StorageError, WriteNeeded)) or not isinstance(exc, Exception):
            return exc
        if self._reading and isinstance(exc, sqlite3.Error) and \
                (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_READONLY:
            return WriteNeeded(f"a write inside a read snapshot ({_describe(exc)})")
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == \
                sqlite3.SQLITE_READONLY:
            self._broken = self._broken or ReadOnlyProject(self.path)
            return self._broken
        cause = _storage_cause(exc)
        if cause is None and self.conn.in_transaction and self._broken is None:
            return exc
        if cause is not None:
            failure = StorageError(cause)
        elif self._broken is not None:
            failure = self._broken
        else:
            failure = StorageError(f"the database ended the transaction after an error ({_describe(exc)})")
        self._broken = self._broken or failure
        return failure

    def _ensure_active(self) -> None:
        """Refuse to go on once the command's transaction is lost: SQLite rolls a
        transaction back by itself on some errors (a full disk, an I/O error), and every
        statement after that would be committed on its own (autocommit)."""
        if self._depth and (self._broken is not None or not self.conn.in_transaction):
            if self._broken is None:
                self._broken = StorageError("the database ended the transaction after an earlier error")
            raise self._broken

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls become savepoints.

        A failure that ends the transaction (SQLite rolled it back, or the database could
        not be written) ends the whole command with a :class:`StorageError`: it is raised
        at the savepoint where it happened, again by any later statement or savepoint
        (should a caller swallow it), and in place of the final commit; the project is
        left exactly as before. A failing rollback never hides the error that caused it.
        """
        if self._depth:
            self._ensure_active()
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
                self._ensure_active()
                self.conn.execute(f"RELEASE {name}")
            except BaseException as exc:
                failure = self._failure(exc)
                if self._broken is None and self.conn.in_transaction:  # still ours: undo this step only
                    try:
                        self.conn.execute(f"ROLLBACK TO {name}")
                        self.conn.execute(f"RELEASE {name}")
                    except sqlite3.Error as undo:
                        self._broken = StorageError(
                            f"{_storage_cause(undo) or 'the database could not undo a failed step'}"
                            f" ({_describe(undo)}, after: {_describe(exc)})")
                        raise self._broken from exc
                if failure is exc:
                    raise
                raise failure from exc
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        self._broken = None
        try:
            with self._committed():
                yield
        finally:
            self._depth = 0
            self._broken = None
            self._release_writer()

    def read(self, work: Callable[[], T]) -> T:
        """``work()`` on one consistent snapshot of the project, without the write lock.

        The snapshot is a deferred transaction on the write-ahead log: other commands may
        write meanwhile (this one does not see their changes) and other snapshots read at
        the same time. Should ``work`` have to write (it raises :class:`WriteNeeded`, or
        a statement tries to write), the snapshot is let go and ``work()`` runs again
        inside :meth:`transaction` (write lock, as any command that writes). Inside a
        transaction already, or on a read-only project, ``work()`` just runs in it.
        """
        if self._depth or self.read_only:
            with self.transaction():
                return work()
        try:
            with self._snapshot():
                return work()
        except WriteNeeded:
            pass
        with self.transaction():
            return work()

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A deferred read transaction in which nothing can be written (``query_only``)."""
        self.conn.execute("PRAGMA query_only = ON")
        try:
            self.conn.execute("BEGIN")
            self._depth, self._broken, self._reading = 1, None, True
            with self._committed():  # the COMMIT ends the read: nothing was written
                yield
        finally:
            self._depth, self._broken, self._reading = 0, None, False
            with suppress(sqlite3.Error):  # never hide the error that got here
                self.conn.execute("PRAGMA query_only = OFF")

    @contextmanager
    def _committed(self) -> Iterator[None]:
        """The body of an outermost transaction (begun by the caller): committed when it
        ends normally, rolled back otherwise, raising the error that ended it (see
        :meth:`_failure`)."""
        try:
            yield
            self._ensure_active()
            self.conn.execute("COMMIT")
        except BaseException as exc:
            failure = self._failure(exc)
            if self.conn.in_transaction:
                # A failing ROLLBACK must not hide the error that got here: closing the
                # connection (the command ends) discards whatever is left of the transaction.
                with suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            if failure is exc:
                raise
            raise failure from exc

    def _begin(self) -> None:
        """Take the write lock (``BEGIN IMMEDIATE``), waiting up to :func:`busy_timeout`
        for another command that holds it; then say who holds it (:meth:`holder`)."""
        if self.read_only:  # a snapshot to read; the first write is refused (see _failure)
            self.conn.execute("BEGIN")
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) or 0
            if code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise ProjectBusy(self.holder(), busy_timeout()) from None
            if code & 0xFF == sqlite3.SQLITE_READONLY:
                raise ReadOnlyProject(self.path) from None
            raise
        with suppress(OSError):  # only a courtesy, for the message of a command that waits
            self._writer.write_text(json.dumps({"pid": os.getpid(), "command": command_line(), "since": now()}),
                                    encoding="utf-8")

    def _release_writer(self) -> None:
        try:
            if json.loads(self._writer.read_text(encoding="utf-8")).get("pid") == os.getpid():
                self._writer.unlink()
        except (OSError, ValueError, AttributeError):
            pass

    def holder(self) -> str | None:
        """The command that holds the write lock, as recorded when it took it
        (``qualcode autocode (pid 123, since …)``); None if unknown or its process is gone."""
        try:
            info = json.loads(self._writer.read_text(encoding="utf-8"))
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if pid == os.getpid() or process_gone(pid):
            return None
        return f"'{info.get('command', '?')}' (pid {pid}, since {info.get('since', '?')})"

    # -- statements (for the modules of qualcode.store only) ---------------------
    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        self._ensure_active()
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> sqlite3.Cursor:
        self._ensure_active()
        return self.conn.executemany(sql, rows)


_HEADER = b"SQLite format 3\x00"


def _check_header(path: Path) -> None:
    """Raise :class:`DamagedProject` if ``path`` is empty, not an SQLite database, or
    shorter than its header says (cut off), with no write-ahead log that could hold the
    rest. Reads the first 100 bytes only."""
    with path.open("rb") as f:
        head = f.read(100)
    size = path.stat().st_size
    if size == 0:
        raise DamagedProject("empty (0 bytes)", str(path))
    if len(head) < 100 or not head.startswith(_HEADER):
        raise DamagedProject("damaged (not an SQLite database)", str(path))
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    counted = head[24:28] == head[92:96]  # SQLite trusts the page count only then
    wal = Path(f"{path}-wal")
    if counted and pages * page_size > size and not (wal.exists() and wal.stat().st_size > 0):
        raise DamagedProject(f"damaged (cut off: {size} bytes of {pages * page_size})", str(path))


def damaged(exc: BaseException, path: str | Path | None = None) -> DamagedProject | None:
    """The :class:`DamagedProject` error for ``exc`` when SQLite found the database file
    corrupt or not a database; None for any other error."""
    if isinstance(exc, DamagedProject):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.DatabaseError) or code is None:
        return None
    if code & 0xFF not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return None
    return DamagedProject(f"damaged ({_describe(exc)})", None if path is None else str(path))


def _describe(exc: BaseException) -> str:
    """An error in a few words: SQLite's name for it when it has one."""
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    return f"{name}: {exc}"


def _storage_cause(exc: BaseException) -> str | None:
    """What went wrong, in words, when ``exc`` is a failure of the database itself
    (nothing to do with the data being written); None otherwise."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary == sqlite3.SQLITE_FULL:
        return "disk full or file too large while writing the project"
    if primary == sqlite3.SQLITE_IOERR:
        # EFBIG (a file size limit), EDQUOT, EIO… all come as an I/O error
        return (f"disk full, file too large or disk error while writing the project"
                f" ({getattr(exc, 'sqlite_errorname', code)})")
    if primary == sqlite3.SQLITE_NOMEM:
        return "out of memory while writing the project"
    return None
