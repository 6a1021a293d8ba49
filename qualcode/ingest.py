"""Importing transcript files into a project (library API behind ``qualcode import``).

The whole batch runs in one transaction and each file in a savepoint inside it: a file
that fails leaves nothing behind, the others are imported, and an interruption (Ctrl-C,
kill) leaves the project as it was before the command. Only a bad file is skipped: a
failure of the database itself (:class:`~qualcode.errors.StorageError`: disk full, I/O
error…) or an unexpected error of qualcode's own ends the whole import, with nothing of
it saved.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import InputError, QualcodeError, StorageError
from qualcode.importers import (
    EXTENSIONS,
    ImportOptions,
    ParsedDocument,
    detect_format,
    parse_bytes,
    read_transcript_bytes,
    special_kind,
)
from qualcode.importers.speakers import ROLES, default_role, label_form

if TYPE_CHECKING:
    from qualcode.project import Project

# Files a folder scan leaves alone: documentation next to transcripts.
_IGNORED_STEMS = {"readme", "licence", "license", "changelog", "notes"}


@dataclass
class FileResult:
    path: str
    status: str  # imported | replaced | unchanged | skipped
    name: str | None = None
    reason: str | None = None
    turns: int = 0
    speakers: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # FILE:LINE: message


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files in folders with other extensions

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.results if r.status in statuses)

    @property
    def imported(self) -> int:
        return self.count("imported", "replaced")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def skipped(self) -> int:
        return self.count("skipped")


def expand_paths(paths: list[str]) -> tuple[list[Path], list[FileResult], list[str]]:
    """Files to import from files, folders (recursive) and glob patterns.

    Returns (files, failures for missing paths and refused files, ignored files found in
    folders). A path named explicitly is followed if it is a symlink; symlinks found while
    walking a folder or matched by a pattern are never followed (skipped with a reason),
    and neither are FIFOs, devices or sockets found there. Whether a file is a regular file
    is checked again when it is read (:func:`~qualcode.importers.read_transcript_bytes`).
    """
    files: list[Path] = []
    failures: list[FileResult] = []
    ignored: list[str] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)

    def found(p: Path) -> bool:
        """A file found by a walk or a pattern: True if it is a regular file, not a symlink."""
        try:
            st = p.lstat()
        except OSError as exc:
            failures.append(FileResult(str(p), "skipped", reason=f"cannot read ({exc.strerror})"))
            return False
        if p.is_symlink():
            failures.append(FileResult(str(p), "skipped", reason=(
                "symbolic link: not followed inside a folder or a pattern "
                "(name it on the command line to import it)")))
            return False
        kind = special_kind(st.st_mode)
        if kind == "a folder":
            return False
        if kind:
            failures.append(FileResult(str(p), "skipped", reason=f"not a regular file ({kind}): not imported"))
            return False
        return True

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for child in _walk(p):
                rel = child.relative_to(p)
                if any(part.startswith((".", "_")) for part in rel.parts) or not found(child):
                    continue
                if child.suffix.lower() in EXTENSIONS and child.stem.lower() not in _IGNORED_STEMS:
                    add(child)
                else:
                    ignored.append(str(child))
        elif p.exists() or p.is_symlink():
            add(p)
        elif any(ch in raw for ch in "*?["):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                failures.append(FileResult(raw, "skipped", reason="no file matches this pattern"))
            for m in matches:
                if found(Path(m)):
                    add(Path(m))
        else:
            failures.append(FileResult(raw, "skipped", reason="no such file or folder"))
    return files, failures, ignored


def _walk(root: Path) -> list[Path]:
    """Every entry under ``root``, sorted, without descending into symlinked folders."""
    entries: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        entries.extend(Path(dirpath, name) for name in dirnames + filenames)
    return sorted(entries)


def import_paths(
    project: Project,
    paths: list[str],
    *,
    fmt: str = "auto",
    interviewers: list[str] | None = None,
    case: str | None = None,
    replace: bool = False,
    on_file: Callable[[Path], None] | None = None,
    debug: bool = False,
) -> ImportReport:
    files, failures, ignored = expand_paths(paths)
    report = ImportReport(results=list(failures), ignored=ignored)
    options = ImportOptions(interviewers=interviewers)
    store = project.store
    batch_names: dict[str, str] = {}
    with store.transaction():
        for path in files:
            if on_file:
                on_file(path)
            try:
                with store.transaction():  # savepoint: a failing file leaves no trace
                    result = _import_one(project, path, fmt, options, case, replace, batch_names, debug)
            except StorageError:  # the database failed, not the file: the whole import fails
                raise
            except QualcodeError as exc:  # a bad file: skipped with its reason, the others go on
                result = FileResult(str(path), "skipped", reason=_reason(exc, path))
            report.results.append(result)
        if report.imported:
            done = [r for r in report.results if r.status in ("imported", "replaced")]
            store.history.log(
                project.user, "import", "import",
                f"{report.imported} imported, {report.unchanged} unchanged, {report.skipped} skipped",
                {"files": [{"path": r.path, "document": r.name, "status": r.status, "turns": r.turns,
                            **({"warnings": r.warnings} if r.warnings else {})}
                           for r in done],
                 "skipped": [{"path": r.path, "reason": r.reason} for r in report.results
                             if r.status == "skipped"]},
            )
    return report


def _reason(exc: QualcodeError, path: Path) -> str:
    """The error message without the file name (the caller prints it first)."""
    msg = str(exc)
    prefix = f"{path}:"
    return msg[len(prefix):].strip() if msg.startswith(prefix) else msg


def _import_one(project: Project, path: Path, fmt: str, options: ImportOptions,
                case: str | None, replace: bool, batch_names: dict[str, str],
                debug: bool = False) -> FileResult:
    store = project.store
    fmt_used = detect_format(path) if fmt == "auto" else fmt
    data = read_transcript_bytes(path)
    name = path.stem
    if name in batch_names:
        raise InputError(f"same document name {name!r} as {batch_names[name]} in this import",
                         path=str(path))
    digest = hashlib.sha256(data).hexdigest()
    existing = store.documents.by_name(name)
    if existing is not None and existing.content_hash == digest:
        batch_names[name] = str(path)
        return FileResult(str(path), "unchanged", name=name, reason="already imported, unchanged")

    try:
        parsed = parse_bytes(data, str(path), fmt_used, options)
    except QualcodeError:
        raise
    except Exception as exc:  # a library raising something unexpected on odd input: a bad file
        if debug:
            raise
        raise InputError(f"could not be read ({type(exc).__name__}: {exc})", path=str(path)) from exc

    version = 1
    status = "imported"
    if existing is not None:
        if not replace:
            raise InputError(
                f"a different document named {name!r} is already in the project "
                "(use --replace to replace it)", path=str(path))
        n = store.codings.count_for_document(existing.id)
        if n:
            raise InputError(
                f"document {name!r} has {n} codings; replacing a coded document is not supported yet",
                path=str(path))
        version = existing.version + 1
        store.documents.delete(existing.id)
        status = "replaced"

    doc_id = store.documents.insert(
        name=name, source_path=str(path.resolve()), fmt=parsed.format, encoding=parsed.encoding,
        content_hash=digest, text=parsed.text, meta=parsed.meta, version=version,
    )
    speakers = insert_turns(project, doc_id, parsed, options)
    if case:
        store.cases.link_document(store.cases.ensure(case), doc_id)
    batch_names[name] = str(path)
    return FileResult(str(path), status, name=name, turns=len(parsed.turns), speakers=speakers,
                      warnings=parsed.warnings)


def insert_turns(project: Project, doc_id: int, parsed: ParsedDocument, options: ImportOptions) -> list[dict]:
    """Write a parsed document's speakers (with their default roles) and turns; returns
    the speakers as ``{"label", "role"}``."""
    store = project.store
    speaker_ids: dict[str, int] = {}
    speakers = []
    hints = {label_form(h) for h in parsed.interviewer_hints}
    for label in parsed.speakers():
        role = default_role(label, options.interviewers)
        if options.interviewers is None and label_form(label) in hints:
            role = "interviewer"
        speaker_ids[label] = store.documents.insert_speaker(doc_id, label, role)
        speakers.append({"label": label, "role": role})
    store.documents.insert_turns(
        doc_id,
        [
            (i, speaker_ids.get(t.speaker) if t.speaker is not None else None,
             t.start, t.end, t.time_start, t.time_end)
            for i, t in enumerate(parsed.turns, 1)
        ],
    )
    return speakers


def set_speaker_roles(project: Project, document: str, assignments: dict[str, str]) -> list[dict]:
    """Change speaker roles of one document (``qualcode speakers DOC --set L=role``)."""
    store = project.store
    doc = store.documents.by_name(document)
    if doc is None:
        raise QualcodeError(f"no document named {document!r} (see 'qualcode docs')")
    with store.transaction():
        speakers = store.documents.speakers(doc.id)
        by_label = {s.label: s for s in speakers}
        by_fold = {label_form(s.label): s for s in speakers}
        changes = []
        for label, role in assignments.items():
            if role not in ROLES:
                raise QualcodeError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
            sp = by_label.get(label) or by_fold.get(label_form(label))
            if sp is None:
                known = ", ".join(s.label for s in speakers) or "none"
                raise QualcodeError(f"document {document!r} has no speaker {label!r} (speakers: {known})")
            if sp.role != role:
                store.documents.set_speaker_role(sp.id, role)
                changes.append({"speaker": sp.label, "from": sp.role, "to": role})
        if changes:
            store.history.log(project.user, "speakers", "speakers",
                      f"{document}: " + ", ".join(f"{c['speaker']} -> {c['to']}" for c in changes),
                      {"document": document, "changes": changes})
    return changes
