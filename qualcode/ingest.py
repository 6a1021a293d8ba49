"""Importing transcript files into a project (library API behind ``qualcode import``).

The whole batch runs in one transaction and each file in a savepoint inside it: a file
that fails leaves nothing behind, the others are imported, and an interruption (Ctrl-C,
kill) leaves the project as it was before the command. ``dry_run`` does it all and rolls
it back: the report says what would happen.

Replacing a document (``replace``) keeps its id, cases, memos and codings: the codings
are re-anchored on the corrected text (:mod:`qualcode.reanchor`): kept, moved, changed
(placed on the new words and flagged for review: an accepted coding goes back to
proposed) or, when they cannot be placed, kept aside in ``orphaned_codings`` with their
old text and memos. The turns and speakers are rebuilt (a speaker still there keeps the
role and case it had), the annotation cache of the document is dropped (rebuilt by the
next command that needs it), and a backup of the project is taken first.

A text identical, or at least :data:`SIMILAR_MIN` % alike, to another document of the
project is imported with a warning naming that document. Only a bad file is skipped: a
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

from qualcode.backups import backup
from qualcode.errors import InputError, QualcodeError, StorageError
from qualcode.importers import (
    EXTENSIONS,
    ImportOptions,
    detect_format,
    parse_bytes,
    read_transcript_bytes,
    special_kind,
)
from qualcode.importers.speakers import ROLES, default_role, label_form
from qualcode.reanchor import Placement, reanchor, similarity
from qualcode.store.documents import Document

if TYPE_CHECKING:
    from qualcode.project import Project

# Files a folder scan leaves alone: documentation next to transcripts.
_IGNORED_STEMS = {"readme", "licence", "license", "changelog", "notes"}

SIMILAR_MIN = 95.0  # % (rapidfuzz ratio) from which an imported text is reported as a near-duplicate


@dataclass
class FileResult:
    path: str
    status: str  # imported | replaced | unchanged | skipped
    name: str | None = None
    reason: str | None = None
    turns: int = 0
    speakers: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # FILE:LINE: message
    version: int = 1  # the document's version (2, 3… after replacements)
    codings: dict[str, int] | None = None  # replaced: codings kept, moved, changed, orphaned
    placements: list[dict] = field(default_factory=list)  # replaced: one per coding (see _placement)

    def to_dict(self) -> dict:
        return {"path": self.path, "status": self.status, "document": self.name, "reason": self.reason,
                "turns": self.turns, "speakers": self.speakers, "warnings": self.warnings,
                "version": self.version, "codings": self.codings, "placements": self.placements}


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files in folders with other extensions
    dry_run: bool = False
    backup: str | None = None  # the backup taken before replacing coded documents

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
    dry_run: bool = False,
) -> ImportReport:
    """Import files, folders and patterns (see the module). ``dry_run``: do it all, report
    it, and roll it back."""
    files, failures, ignored = expand_paths(paths)
    report = ImportReport(results=list(failures), ignored=ignored, dry_run=dry_run)
    options = ImportOptions(interviewers=interviewers)
    store = project.store
    batch_names: dict[str, str] = {}
    if replace and not dry_run and any(
            (d := store.documents.by_name(f.stem)) is not None and store.codings.count_for_document(d.id)
            for f in files):
        report.backup = backup(project, "import --replace")
    texts = _Texts(store)
    try:
        with store.transaction():
            for path in files:
                if on_file:
                    on_file(path)
                try:
                    with store.transaction():  # savepoint: a failing file leaves no trace
                        result = _import_one(project, path, fmt, options, case, replace, batch_names, debug,
                                             texts)
                except StorageError:  # the database failed, not the file: the whole import fails
                    raise
                except QualcodeError as exc:  # a bad file: skipped with its reason, the others go on
                    result = FileResult(str(path), "skipped", reason=_reason(exc, path))
                report.results.append(result)
            if report.imported:
                done = [r for r in report.results if r.status in ("imported", "replaced")]
                store.history.log(
                    project.user, "import", "import",
                    f"{report.imported} imported, {report.unchanged} unchanged, {report.skipped} skipped"
                    + "".join(f"; {r.name}: " + ", ".join(f"{n} {k}" for k, n in r.codings.items())
                              for r in done if r.codings),
                    {"files": [{"path": r.path, "document": r.name, "status": r.status, "turns": r.turns,
                                **({"warnings": r.warnings} if r.warnings else {}),
                                **({"version": r.version, "codings": r.codings, "placements": r.placements,
                                    "backup": report.backup} if r.codings is not None else {})}
                               for r in done],
                     "skipped": [{"path": r.path, "reason": r.reason} for r in report.results
                                 if r.status == "skipped"]},
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


class _DryRun(Exception):
    """Raised at the end of a dry run, to roll the import back."""


def _reason(exc: QualcodeError, path: Path) -> str:
    """The error message without the file name (the caller prints it first)."""
    msg = str(exc)
    prefix = f"{path}:"
    return msg[len(prefix):].strip() if msg.startswith(prefix) else msg


def _import_one(project: Project, path: Path, fmt: str, options: ImportOptions,
                case: str | None, replace: bool, batch_names: dict[str, str],
                debug: bool = False, texts: _Texts | None = None) -> FileResult:
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

    if existing is not None and not replace:
        raise InputError(
            f"a different document named {name!r} is already in the project "
            "(use --replace to replace it)", path=str(path))
    warnings = list(parsed.warnings)
    if texts is not None:
        warnings += [f"{path}: {w}" for w in texts.similar(parsed.text, digest,
                                                           None if existing is None else existing.id)]
    kept_roles: dict[str, str] = {}
    speaker_cases: dict[str, int] = {}
    placements: list[dict] | None = None
    if existing is not None:
        doc_id, version, status = existing.id, existing.version + 1, "replaced"
        kept_roles = {s.label: s.role for s in store.documents.speakers(doc_id)}
        speaker_cases = store.documents.speaker_cases(doc_id)
        store.documents.clear_turns(doc_id)
        store.documents.replace_text(
            doc_id, source_path=str(path.resolve()), fmt=parsed.format, encoding=parsed.encoding,
            content_hash=digest, text=parsed.text, meta=parsed.meta, version=version)
        placements = _reanchor_codings(project, existing, parsed.text)
        store.annotations.drop(doc_id)
    else:
        version, status = 1, "imported"
        doc_id = store.documents.insert(
            name=name, source_path=str(path.resolve()), fmt=parsed.format, encoding=parsed.encoding,
            content_hash=digest, text=parsed.text, meta=parsed.meta, version=version,
        )
    speaker_ids: dict[str, int] = {}
    speakers = []
    hints = {label_form(h) for h in parsed.interviewer_hints}
    for label in parsed.speakers():
        role = default_role(label, options.interviewers)
        if options.interviewers is None and label_form(label) in hints:
            role = "interviewer"
        if options.interviewers is None and label in kept_roles:  # the role it had (perhaps set by hand)
            role = kept_roles[label]
        speaker_ids[label] = store.documents.insert_speaker(doc_id, label, role, speaker_cases.get(label))
        speakers.append({"label": label, "role": role})
    store.documents.insert_turns(
        doc_id,
        [
            (i, speaker_ids.get(t.speaker) if t.speaker is not None else None,
             t.start, t.end, t.time_start, t.time_end)
            for i, t in enumerate(parsed.turns, 1)
        ],
    )
    if case:
        store.cases.link_document(store.cases.ensure(case), doc_id)
    batch_names[name] = str(path)
    if texts is not None:
        texts.add(doc_id, name, parsed.text, digest)
    result = FileResult(str(path), status, name=name, turns=len(parsed.turns), speakers=speakers,
                        warnings=warnings, version=version)
    if placements is not None:
        result.placements = placements
        result.codings = dict.fromkeys(("kept", "moved", "changed", "orphaned"), 0)
        for p in placements:
            result.codings[p["placement"]] += 1
    return result


def _reanchor_codings(project: Project, old: Document, new_text: str) -> list[dict]:
    """Re-anchor the codings of ``old`` (whose text in the store is already ``new_text``)
    and return one report row per coding (see :func:`_row`)."""
    store = project.store
    codings = store.codings.select(document_ids=[old.id], order="id")
    if not codings:
        return []
    placed = reanchor(old.text, new_text, [(k.id, k.start, k.end) for k in codings])
    by_id = {k.id: k for k in codings}
    # Two codings of one code and coder may land on the same span (an edit merged them):
    # the one already there (kept) or the first keeps it, the other is put aside.
    taken: dict[tuple, int] = {}
    duplicate: dict[int, int] = {}
    order = sorted(placed, key=lambda p: (p.status != "kept", p.status != "moved", p.key))
    for p in order:
        if p.start is None:
            continue
        k = by_id[p.key]  # type: ignore[index]
        key = (k.code_id, k.coder, p.start, p.end)
        if key in taken:
            duplicate[k.id] = taken[key]
        else:
            taken[key] = k.id
    rows: list[dict] = []
    orphans: list[dict] = []
    moves: dict[int, tuple[int, int]] = {}
    review: list[int] = []
    for p in placed:
        k = by_id[p.key]  # type: ignore[index]
        status = p.status
        reason = None
        if k.id in duplicate:
            status, reason = "orphaned", f"lands on the span of coding {duplicate[k.id]} (same code and coder)"
        elif status == "orphaned":
            reason = "its text is no longer in the document"
        row = _row(k, p, status)
        if status == "orphaned":
            row["reason"] = reason
            orphans.append({
                "document_id": old.id, "document_version": old.version, "coding_id": k.id, "code": k.code,
                "start": k.start, "end": k.end, "text": k.text,
                "context_before": old.text[max(0, k.start - 80):k.start], "context_after": old.text[k.end:k.end + 80],
                "unit": k.unit, "coder": k.coder, "origin": k.origin, "status": k.status,
                "codebook_version": k.codebook_version, "memo": k.memo, "reason": reason,
                "created_at": k.created_at})
        else:
            assert p.start is not None and p.end is not None
            if (p.start, p.end) != (k.start, k.end):
                moves[k.id] = (p.start, p.end)
            if status == "changed" and k.status == "accepted":
                review.append(k.id)
                row["new_status"] = "proposed"
        rows.append(row)
    if orphans:
        ids = [o["coding_id"] for o in orphans]
        memos: dict[int, list[dict]] = {}
        for m in store.memos.select(target_type="coding", target_ids=ids):
            memos.setdefault(m.target_id or 0, []).append(
                {"text": m.text, "author": m.author, "created_at": m.created_at})
        for o in orphans:
            o["memos"] = memos.get(o["coding_id"], [])
        store.memos.delete_on("coding", ids)
        store.orphans.add(orphans)
        store.codings.delete(ids)
    store.codings.relocate(moves)
    if review:
        store.codings.set_status(review, "proposed")
    return rows


def _row(k, p: Placement, placement: str) -> dict:
    """The report of one coding re-anchored: its id, code, coder and status, where it was
    and where it is now, its old and new text, and how it was placed."""
    return {"id": k.id, "code": k.code, "coder": k.coder, "status": k.status, "placement": placement,
            "old_start": k.start, "old_end": k.end, "start": p.start if placement != "orphaned" else None,
            "end": p.end if placement != "orphaned" else None, "old_text": k.text,
            "new_text": p.new_text if placement != "orphaned" else None, "method": p.method,
            "similarity": round(p.similarity, 1)}


class _Texts:
    """The texts of the project's documents (loaded on first use), to warn when an
    imported text is the same as, or nearly the same as, one already there.

    Cheap filters first: the raw file's hash, then the exact text, then the lengths (two
    texts ``SIMILAR_MIN`` % alike by rapidfuzz's ratio cannot differ in length beyond
    what that allows), then shared words (a third at least); only the texts left are compared with
    :func:`qualcode.reanchor.similarity`."""

    def __init__(self, store):
        self.store = store
        self.docs: list[tuple[int, str, str, str, set[int]]] | None = None  # id, name, text, hash, shingles

    def _load(self) -> list[tuple[int, str, str, str, set[int]]]:
        if self.docs is None:
            self.docs = [(d.id, d.name, d.text, d.content_hash, _shingles(d.text))
                         for d in self.store.documents.select()]
        return self.docs

    def add(self, doc_id: int, name: str, text: str, digest: str) -> None:
        docs = self._load()
        docs[:] = [d for d in docs if d[0] != doc_id]
        docs.append((doc_id, name, text, digest, _shingles(text)))

    def similar(self, text: str, digest: str, exclude: int | None) -> list[str]:
        out = []
        shingles: set[int] | None = None
        for doc_id, name, other, other_hash, other_shingles in self._load():
            if doc_id == exclude:
                continue
            if other_hash == digest or other == text:
                out.append(f"the text is identical to document {name!r}, already in the project")
                continue
            short, long_ = sorted((len(text), len(other)))
            if not long_ or 200 * short / (short + long_) < SIMILAR_MIN:  # ratio <= 2·short/(short+long)
                continue
            shingles = _shingles(text) if shingles is None else shingles
            union = len(shingles | other_shingles)
            if union and len(shingles & other_shingles) / union < 0.3:
                continue
            score = similarity(text, other)
            if score >= SIMILAR_MIN:
                out.append(f"the text is {int(score)} % identical to document {name!r}, already in the project")
        return out


def _shingles(text: str) -> set[int]:
    """Hashes of the text's distinct words (texts 95 % alike share most of them: a
    conservative filter, where word n-grams would drop texts with scattered typos)."""
    return {hash(w) for w in text.split()}


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
