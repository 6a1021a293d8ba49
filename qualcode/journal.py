"""Keeping the codebook file and the project database in step across a kill.

A codebook revision changes two things that no single transaction covers: the YAML file
(a rename of a temporary file over it) and the database (one SQLite transaction). So does
``backups restore`` (a rename of the database file, then one of the codebook). A process
killed between the two renames would leave them disagreeing. Before the second step the
command writes a *journal*, ``.qualcode/journal.json`` (flushed to disk): the codebook
file it is about to replace, its bytes before and after, and an id that the command also
writes into the database in the same step that commits the database side (its history
row, ``details.journal``). The journal is removed once both sides are done.

:func:`recover`, run whenever a project is opened, finds a journal left by a process that
is gone and finishes or undoes its work, under the database's write lock: if the
database holds the journal's id, the database side was committed and the codebook is
given its *after* bytes; otherwise the codebook gets its *before* bytes back. Either way
the project is in the state before or after the command, and the command can be run
again. A codebook that matches neither (edited by hand since) is left alone.

:func:`clean_leftovers` removes the hidden temporary files that killed commands left next
to the project's own files (``.<name>.qualcode-<pid>-….tmp``) and qualcode's scratch
folders in ``TMPDIR`` (``qualcode-<purpose>-<pid>-…``), those of processes that are gone.

The named points of :func:`qualcode.testhooks.kill_point` let tests kill a real process
inside each step.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.store.connection import process_gone

if TYPE_CHECKING:
    from qualcode.project_core import ProjectCore

JOURNAL_NAME = "journal.json"


def temp_name(target: Path, purpose: str) -> Path:
    """A hidden temporary file next to ``target`` that :func:`clean_leftovers` recognises:
    ``.<name>.qualcode-<pid>-<purpose>.tmp``."""
    return target.with_name(f".{target.name}.qualcode-{os.getpid()}-{purpose}.tmp")


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes, *, mode_of: Path | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync'ed, renamed over it."""
    tmp = temp_name(path, "write")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode_of is not None and mode_of.exists():
            shutil.copymode(mode_of, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass
class Journal:
    """What a two-step command is about to do to the codebook file."""

    id: str
    pid: int
    command: str  # e.g. 'codebook rename'
    operation: str  # the history operation whose row carries details.journal
    codebook: Path  # the file replaced
    before: bytes | None  # None: the file did not exist
    after: bytes

    def to_json(self) -> str:
        def enc(b: bytes | None) -> str | None:
            return None if b is None else base64.b64encode(b).decode("ascii")
        return json.dumps({"id": self.id, "pid": self.pid, "command": self.command, "operation": self.operation,
                           "codebook": str(self.codebook), "before": enc(self.before), "after": enc(self.after),
                           "before_sha256": _sha(self.before), "after_sha256": _sha(self.after)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Journal:
        d = json.loads(text)

        def dec(s: str | None) -> bytes | None:
            return None if s is None else base64.b64decode(s)
        after = dec(d["after"])
        before = dec(d["before"])
        if after is None or _sha(after) != d["after_sha256"] or _sha(before) != d["before_sha256"]:
            raise ValueError("journal contents do not match their hashes")
        return cls(id=str(d["id"]), pid=int(d["pid"]), command=str(d["command"]), operation=str(d["operation"]),
                   codebook=Path(d["codebook"]), before=before, after=after)


def journal_path(project_root: Path) -> Path:
    return project_root / ".qualcode" / JOURNAL_NAME


def new_id() -> str:
    return uuid.uuid4().hex


def begin(project_root: Path, journal: Journal) -> None:
    """Write the journal to disk (fsync'ed) before the codebook is replaced."""
    write_durably(journal_path(project_root), journal.to_json().encode("utf-8"))


def end(project_root: Path) -> None:
    """Both sides are done (or neither): forget the journal."""
    path = journal_path(project_root)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


@dataclass
class Recovery:
    """What :func:`recover` did with a journal left by a killed command."""

    command: str
    outcome: str  # 'completed' | 'rolled back' | 'left alone'
    codebook: Path

    def message(self) -> str:
        if self.outcome == "left alone":
            return (f"an interrupted '{self.command}' was found; {self.codebook} was edited since, so it was "
                    "left as it is")
        return f"an interrupted '{self.command}' was {self.outcome} ({self.codebook})"


def recover(project: ProjectCore) -> Recovery | None:
    """Finish or undo the command of a journal whose process is gone (see the module
    doc). Runs under the write lock; does nothing if the project cannot be written."""
    path = journal_path(project.root)
    if not path.exists() or project.store.read_only:
        return None
    try:
        journal = Journal.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        # A journal cut off while it was written: its command had not replaced anything yet.
        end(project.root)
        return None
    if not process_gone(journal.pid):
        return None  # its command is still running
    store = project.store
    with store.transaction():  # the write lock: one recoverer, no writer in its window
        if not path.exists():
            return None  # another process recovered it meanwhile
        committed = store.history.latest(journal.operation, detail="journal", value=journal.id) is not None
        want = journal.after if committed else journal.before
        other = journal.before if committed else journal.after
        try:
            current: bytes | None = journal.codebook.read_bytes()
        except FileNotFoundError:
            current = None
        outcome = "completed" if committed else "rolled back"
        if current == want:
            pass
        elif current == other:
            if want is None:
                journal.codebook.unlink()
                fsync_dir(journal.codebook.parent)
            else:
                write_durably(journal.codebook, want, mode_of=journal.codebook)
        else:
            outcome = "left alone"
        end(project.root)
    return Recovery(journal.command, outcome, journal.codebook)


# --------------------------------------------------------------------------- leftovers

_TEMP_FILE = re.compile(r"^\..+\.qualcode-(\d+)-[^/]*\.tmp(-wal|-shm|-journal|\.writer)?$")
_TEMP_FOLDER = re.compile(r"^qualcode-[a-z0-9_]+-(\d+)-")


def _stale(match: re.Match[str] | None) -> bool:
    return match is not None and match.group(1) == str(int(match.group(1))) and process_gone(int(match.group(1)))


def clean_leftovers(folders: list[Path], *, tmpdir: bool = True) -> list[Path]:
    """Remove the temporary files of gone qualcode processes in ``folders`` (regular files
    named ``.<name>.qualcode-<pid>-….tmp``, and their SQLite side files) and, with
    ``tmpdir``, the current user's ``qualcode-<purpose>-<pid>-…`` folders in the system's
    temporary folder. Never follows a link; an entry that cannot be removed stays."""
    removed: list[Path] = []
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if not _stale(_TEMP_FILE.match(entry.name)):
                continue
            try:
                if entry.is_symlink() or not entry.is_file():
                    continue
                entry.unlink()
            except OSError:
                continue
            removed.append(entry)
    if tmpdir:
        base = Path(tempfile.gettempdir())
        try:
            entries = list(base.iterdir())
        except OSError:
            entries = []
        for entry in entries:
            if not _stale(_TEMP_FOLDER.match(entry.name)):
                continue
            try:
                st = entry.lstat()
                if entry.is_symlink() or not entry.is_dir() or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                    continue
                shutil.rmtree(entry)
            except OSError:
                continue
            removed.append(entry)
    return removed

