"""What every export shares: provenance and safe file writing.

(The tables that analyses return and exporters write are
:class:`~qualcode.analysis.table.TableResult`.)

* :class:`Provenance`: what produced an export (project, codebook title + version,
  filters, coders, date, qualcode version). Every exported file records it: a comment
  line in CSV/Markdown/TeX, a sheet in XLSX, a paragraph in DOCX, a key in JSON.
* :func:`atomic_write`: files are written to a temporary file in the target folder and
  renamed into place; an existing file is never overwritten unless ``force``.
* :func:`temp_folder`: a scratch folder in the system's temporary folder (``TMPDIR``).

Both name what they create with the writer's process id (``.<name>.qualcode-<pid>-….tmp``,
``qualcode-<purpose>-<pid>-…``) and remove them when done; what a killed process left
behind (its process is gone) is removed by the next run of the same writer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError
from qualcode.store.connection import process_gone

if TYPE_CHECKING:
    from qualcode.project import Project


@dataclass
class Provenance:
    project: str
    command: str  # e.g. "qualcode report freq --by group"
    codebook_title: str | None = None
    codebook_version: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    coders: list[str] | None = None  # None = all coders
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    qualcode_version: str = field(default_factory=lambda: __import__("qualcode").__version__)

    def items(self) -> list[tuple[str, str]]:
        filters = ", ".join(f"{k}={v}" for k, v in self.filters.items() if v not in (None, [], ()))
        return [
            ("project", self.project),
            ("command", self.command),
            ("codebook", f"{self.codebook_title or '-'} (version {self.codebook_version or '-'})"),
            ("filters", filters or "none"),
            ("coders", ", ".join(self.coders) if self.coders else "all"),
            ("created", self.created),
            ("qualcode", self.qualcode_version),
        ]

    def line(self) -> str:
        """One line, for a comment in CSV/Markdown/TeX or a DOCX footer."""
        return "; ".join(f"{k}: {v}" for k, v in self.items())

    def to_dict(self) -> dict[str, str]:
        return dict(self.items())


def provenance_for(project: Project, command: str, *, filters: dict | None = None,
                   coders: list[str] | None = None) -> Provenance:
    """Provenance with the codebook last applied to the project (from codebook_versions)."""
    last = project.store.versions.last()
    return Provenance(project=project.name, command=command,
                      codebook_title=last.title if last else None,
                      codebook_version=last.version if last else None,
                      filters=filters or {}, coders=coders)


def check_output(path: str | Path, force: bool) -> Path:
    """Refuse to overwrite an existing file unless ``force``; the folder must exist."""
    p = Path(path)
    if p.exists() and not force:
        raise QualcodeError(f"{p} already exists (use --force to overwrite it)")
    if p.exists() and p.is_dir():
        raise QualcodeError(f"{p} is a folder")
    if not p.parent.exists():
        raise QualcodeError(f"folder {p.parent} does not exist")
    return p


def _leftover(entry: Path, prefix: str) -> bool:
    """Whether ``entry`` is named ``<prefix><pid>-…`` by a process that is gone."""
    if not entry.name.startswith(prefix):
        return False
    pid, sep, _ = entry.name[len(prefix):].partition("-")
    return bool(sep) and pid.isdigit() and pid == str(int(pid)) and process_gone(int(pid))


def remove_leftovers(folder: Path, prefix: str, *, folders: bool = False) -> list[Path]:
    """Remove what killed writers left in ``folder``: the files (or, with ``folders``, the
    folders of the current user) named ``<prefix><pid>-…`` whose process is gone. Never
    follows a symbolic link; errors (a read-only folder) leave the entry in place."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not _leftover(entry, prefix):
            continue
        try:
            st = entry.lstat()
            if entry.is_symlink():
                continue
            if folders:
                if not entry.is_dir() or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                    continue
                shutil.rmtree(entry)
            elif entry.is_file() and entry.name.endswith(".tmp"):
                entry.unlink()
            else:
                continue
        except OSError:
            continue
        removed.append(entry)
    return removed


def _temp_file_prefix(target: Path) -> str:
    return f".{target.name}.qualcode-"


@contextmanager
def temp_folder(purpose: str) -> Iterator[Path]:
    """A scratch folder ``qualcode-<purpose>-<pid>-…`` in the system's temporary folder,
    removed on exit; first removes those of the same purpose left by killed processes."""
    prefix = f"qualcode-{purpose}-"
    remove_leftovers(Path(tempfile.gettempdir()), prefix, folders=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# The text of a file that cannot be read back as text (a figure's drawn words): (place,
# text) pairs, e.g. ("axes 1 y tick label", "Hénin-Beaumont").
Shown = Sequence[tuple[str, str]]
# What checks a file before it is renamed into place (the audit of qualcode.pseudo): a
# callable (temporary file, target, shown text or None) that raises to refuse the file.
# Set by export_guard.
Guard = Callable[[Path, Path, Shown | None], None]
_GUARD: ContextVar[Guard | None] = ContextVar("qualcode_export_guard", default=None)


@contextmanager
def export_guard(check: Guard) -> Iterator[None]:
    """Run ``check(temporary file, target, shown)`` on every file :func:`atomic_write` is
    about to put in place while the block runs; an exception from it leaves the target
    untouched (the re-identification audit refuses a file that leaks a name). ``shown``:
    the text the writer says the file shows (a figure), else None (the file is read)."""
    token = _GUARD.set(check)
    try:
        yield
    finally:
        _GUARD.reset(token)


@contextmanager
def atomic_write(path: str | Path, *, force: bool = False, shown: Shown | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target folder; on success rename it to ``path``.

    On any error (or Ctrl-C) the temporary file is removed and ``path`` is untouched. The
    temporary file is ``.<name>.qualcode-<pid>-….tmp``: those that killed writes of the
    same file left behind are removed first. ``shown``: the text of a file that cannot be
    read back as text (a figure: every word drawn), given to the export guard instead of
    the file itself.
    """
    target = check_output(path, force)
    prefix = _temp_file_prefix(target)
    remove_leftovers(target.parent, prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        guard = _GUARD.get()
        if guard is not None:
            guard(tmp_path, target, shown)
        # mkstemp creates the file readable by its owner only: give it the mode of the file
        # it replaces, or the usual mode for new files (0666 less the umask).
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
