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

A text identical, or at least :data:`~qualcode.lifecycle.SIMILAR_MIN` % alike, to another
document of the project is imported with a warning naming that document. Only a bad file is skipped: a
failure of the database itself (:class:`~qualcode.errors.StorageError`: disk full, I/O
error…) or an unexpected error of qualcode's own ends the whole import, with nothing of
it saved.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import InputError, QualcodeError, StorageError, UsageError
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
from qualcode.importers.split import compile_split_pattern, split_text
from qualcode.importers.text import compile_label_pattern
from qualcode.lifecycle import (
    SimilarTexts,
    backup_before_replacing,
    reanchor_codings,
    replaced_details,
    replaced_summary,
)
from qualcode.store.documents import Document
from qualcode.textnorm import read_text_file

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
    version: int = 1  # the document's version (2, 3… after replacements)
    interjections: int = 0  # another speaker's bracketed words inside turns ("[E: Hum hum.]")
    codings: dict[str, int] | None = None  # replaced: codings kept, moved, changed, orphaned
    placements: list[dict] = field(default_factory=list)  # replaced: one per coding (see _placement)

    def to_dict(self) -> dict:
        return {"path": self.path, "status": self.status, "document": self.name, "reason": self.reason,
                "turns": self.turns, "speakers": self.speakers, "warnings": self.warnings,
                "version": self.version, "codings": self.codings, "placements": self.placements,
                "interjections": self.interjections}


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
    label_pattern: str | None = None,
    split_on: str | None = None,
) -> ImportReport:
    """Import files, folders and patterns (see the module). ``dry_run``: do it all, report
    it, and roll it back (no backup is taken)."""
    run = partial(_import_paths, project, paths, fmt=fmt, interviewers=interviewers, case=case, replace=replace,
                  on_file=on_file, debug=debug, label_pattern=label_pattern, split_on=split_on)
    if not dry_run:
        return run(backup_first=replace)
    done: list[ImportReport] = []
    try:
        with project.store.transaction():  # the import's own becomes a savepoint of this one
            done.append(run(backup_first=False))
            raise _DryRun
    except _DryRun:
        pass
    done[0].dry_run = True
    return done[0]


def _import_paths(
    project: Project,
    paths: list[str],
    *,
    fmt: str = "auto",
    interviewers: list[str] | None = None,
    case: str | None = None,
    replace: bool = False,
    on_file: Callable[[Path], None] | None = None,
    debug: bool = False,
    backup_first: bool = False,
    label_pattern: str | None = None,
    split_on: str | None = None,
) -> ImportReport:
    """Import ``paths`` (see :func:`expand_paths`). ``label_pattern`` is
    ``--label-pattern`` (:class:`~qualcode.importers.ImportOptions`), ``split_on`` is
    ``--split-on`` (:mod:`qualcode.importers.split`); both raise
    :class:`~qualcode.errors.UsageError` naming the option when they are not valid."""
    try:
        compile_label_pattern(label_pattern)
    except ValueError as exc:
        raise UsageError(f"--label-pattern: {exc}") from None
    try:
        split_rx = compile_split_pattern(split_on) if split_on else None
    except ValueError as exc:
        raise UsageError(f"--split-on: {exc}") from None
    files, failures, ignored = expand_paths(paths)
    report = ImportReport(results=list(failures), ignored=ignored)
    options = ImportOptions(interviewers=interviewers, label_pattern=label_pattern)
    store = project.store
    batch_names: dict[str, str] = {}
    planned: list[tuple[Path, list | None, QualcodeError | None]] = []
    for path in files:
        try:
            planned.append((path, _pieces(path, fmt, split_rx), None))
        except QualcodeError as exc:
            planned.append((path, None, exc))
    if backup_first:
        def reads_differently(f: Path, data: bytes, doc: Document) -> bool:
            try:
                parsed = parse_bytes(data, str(f), detect_format(f) if fmt == "auto" else fmt,
                                     options_for(doc, options))
            except Exception:  # noqa: BLE001 - the import itself reports a file it cannot read
                return False
            return not same_reading(store, doc, parsed, options_for(doc, options))

        report.backup = backup_before_replacing(
            project, [(name or path.stem, data, path) for path, pieces, _ in planned for data, name, _ in pieces or ()],
            reads_differently)
    texts = SimilarTexts(store)
    with store.transaction():
        for path, pieces, error in planned:
            if on_file:
                on_file(path)
            if pieces is None:  # the file could not be read or split
                assert error is not None
                report.results.append(FileResult(str(path), "skipped", reason=_reason(error, path)))
                continue
            for data, name, line_map in pieces:
                try:
                    with store.transaction():  # savepoint: a failing file leaves no trace
                        result = _import_one(project, path, fmt, options, case, replace, batch_names, debug,
                                             texts, data=data, name=name)
                except StorageError:  # the database failed, not the file: the whole import fails
                    raise
                except QualcodeError as exc:  # a bad file: skipped with its reason, the others go on
                    result = FileResult(str(path), "skipped", name=name if line_map else None,
                                        reason=_reason(exc, path))
                if line_map:
                    result.warnings = [_file_line(w, str(path), line_map) for w in result.warnings]
                    if result.reason:
                        result.reason = _file_line(result.reason, "", line_map)
                _role_warning(result)
                report.results.append(result)
        if report.imported:
            done = [r for r in report.results if r.status in ("imported", "replaced")]
            store.history.log(
                project.user, "import", "import",
                f"{report.imported} imported, {report.unchanged} unchanged, {report.skipped} skipped"
                + replaced_summary(done),
                {"files": [{"path": r.path, "document": r.name, "status": r.status, "turns": r.turns,
                            **({"warnings": r.warnings} if r.warnings else {}),
                            **replaced_details(r, report.backup)}
                           for r in done],
                 "skipped": [{"path": r.path, "reason": r.reason} for r in report.results
                             if r.status == "skipped"]},
            )
    return report


class _DryRun(Exception):
    """Raised at the end of a dry run, to roll the import back."""


def _pieces(path: Path, fmt: str, split_rx) -> list[tuple[bytes | None, str | None, list[int] | None]]:
    """What to import from ``path``: the whole file ``[(None, None, None)]``, or with
    ``--split-on`` one ``(bytes, document name, file line of each line)`` per part."""
    fmt_used = detect_format(path) if fmt == "auto" else fmt
    if split_rx is None:
        return [(None, None, None)]
    if fmt_used not in ("txt", "md"):
        return [(None, None, None)]
    decoded = read_text_file(read_transcript_bytes(path), str(path))
    parts = split_text(decoded.text, split_rx, path.stem)
    if len(parts) == 1 and parts[0].name == path.stem:
        return [(None, None, None)]
    if not parts:
        raise InputError("--split-on: every part is empty", path=str(path))
    return [(p.text.encode("utf-8"), p.name, p.lines) for p in parts]


def _file_line(message: str, path: str, line_map: list[int]) -> str:
    """``PATH:N: …`` about line N of a part -> the same about its line in the file."""
    prefix = f"{path}:" if path else ""
    m = re.match(re.escape(prefix) + r"(\d+):", message)
    if not m:
        return message
    n = int(m.group(1))
    line = line_map[n - 1] if 0 < n <= len(line_map) else n
    return f"{prefix}{line}:{message[m.end():]}"


def _role_warning(result: FileResult) -> None:
    """Say when an imported document has no interviewer, and how to name one."""
    if result.status not in ("imported", "replaced"):
        return
    labels = [s["label"] for s in result.speakers]
    if not labels:
        result.warnings.append(f"{result.path}: document {result.name!r}: no speaker labels recognised; "
                               "every turn has no speaker (see --label-pattern in 'qualcode import --help')")
    elif not any(s["role"] == "interviewer" for s in result.speakers):
        example = labels[0]
        result.warnings.append(
            f"{result.path}: document {result.name!r}: no interviewer found among {', '.join(labels)}; "
            f"if one is, run: qualcode speakers {_quote(result.name or '')} --set {_quote(example + '=interviewer')}")


def _quote(value: str) -> str:
    return shlex.quote(value)


def _reason(exc: QualcodeError, path: Path) -> str:
    """The error message without the file name (the caller prints it first)."""
    msg = str(exc)
    prefix = f"{path}:"
    return msg[len(prefix):].strip() if msg.startswith(prefix) else msg


def _parse(data: bytes, path: Path, fmt: str, options: ImportOptions, debug: bool) -> ParsedDocument:
    try:
        return parse_bytes(data, str(path), fmt, options)
    except QualcodeError:
        raise
    except Exception as exc:  # a library raising something unexpected on odd input: a bad file
        if debug:
            raise
        raise InputError(f"could not be read ({type(exc).__name__}: {exc})", path=str(path)) from exc


def options_for(existing: Document, options: ImportOptions) -> ImportOptions:
    """The options to read a new version of ``existing`` with: ``options``, and the
    ``--label-pattern`` it was imported with when none is given (a corrected transcript,
    or the same file read again with ``--replace``, keeps its house convention)."""
    if options.label_pattern is None and existing.meta.get("label_pattern"):
        return ImportOptions(interviewers=options.interviewers, label_pattern=existing.meta["label_pattern"])
    return options


def same_reading(store, existing: Document, parsed: ParsedDocument, options: ImportOptions) -> bool:
    """Whether ``parsed`` (the document's unchanged file read again) gives the stored
    document: the same text, turns (offsets, speakers, times) and interjections, and with
    ``--interviewer`` the same roles."""
    if parsed.text != existing.text:
        return False
    turns = store.documents.turns(existing.id)
    if [(t.start, t.end, t.speaker, t.time_start, t.time_end) for t in turns] != [
            (t.start, t.end, t.speaker, t.time_start, t.time_end) for t in parsed.turns]:
        return False
    if [(x.start, x.end, x.speaker) for x in store.interjections.of_document(existing.id)] != [
            (x.start, x.end, x.speaker) for x in parsed.interjections]:
        return False
    if options.interviewers is not None:
        return all(s.role == default_role(s.label, options.interviewers)
                   for s in store.documents.speakers(existing.id))
    return True


def _unchanged(store, existing: Document, path: Path, options: ImportOptions, replace: bool) -> FileResult:
    """The result for a file already imported as ``existing``; when it was not read again
    (no --replace), what --interviewer / --label-pattern would have changed is said."""
    name = existing.name
    result = FileResult(str(path), "unchanged", name=name, reason="already imported, unchanged")
    if replace:
        return result
    if options.interviewers is not None:
        wrong = [s for s in store.documents.speakers(existing.id)
                 if s.role != default_role(s.label, options.interviewers)]
        if wrong:
            sets = " ".join(f"--set {_quote(f'{s.label}={default_role(s.label, options.interviewers)}')}"
                            for s in wrong)
            result.warnings.append(f"{path}: document {name!r} is unchanged, so --interviewer did not change "
                                   f"its roles; run: qualcode speakers {_quote(name)} {sets} "
                                   "(or import it again with --replace)")
    if options.label_pattern is not None:
        result.warnings.append(f"{path}: document {name!r} is unchanged and was not read again: add --replace "
                               "to read it with --label-pattern (its codings are kept)")
    return result


def _import_one(project: Project, path: Path, fmt: str, options: ImportOptions,
                case: str | None, replace: bool, batch_names: dict[str, str],
                debug: bool = False, texts: SimilarTexts | None = None,
                data: bytes | None = None, name: str | None = None) -> FileResult:
    """Import ``path`` (or ``data``, one part of it, as document ``name``)."""
    store = project.store
    fmt_used = detect_format(path) if fmt == "auto" else fmt
    data = read_transcript_bytes(path) if data is None else data
    name = path.stem if name is None else name
    if name in batch_names:
        raise InputError(f"same document name {name!r} as {batch_names[name]} in this import",
                         path=str(path))
    digest = hashlib.sha256(data).hexdigest()
    existing = store.documents.by_name(name)
    if existing is not None:
        options = options_for(existing, options)
    parsed: ParsedDocument | None = None
    if existing is not None and existing.content_hash == digest:
        # The same file. Without --replace it is not read again; with --replace it is, and
        # replaces the document only if it now reads differently (--label-pattern,
        # --interviewer, or a newer qualcode that finds other turns).
        if replace:
            parsed = _parse(data, path, fmt_used, options, debug)
        if parsed is None or same_reading(store, existing, parsed, options):
            batch_names[name] = str(path)
            return _unchanged(store, existing, path, options, replace)

    if parsed is None:
        parsed = _parse(data, path, fmt_used, options, debug)
    if options.label_pattern is not None:
        parsed.meta["label_pattern"] = options.label_pattern

    if existing is not None and not replace:
        raise InputError(
            f"a different document named {name!r} is already in the project "
            "(use --replace to replace it)", path=str(path))
    # the importers' "join them with: qualcode speakers DOCUMENT --merge …": this document
    warnings = [w.replace("qualcode speakers DOCUMENT ", f"qualcode speakers {_quote(name)} ")
                for w in parsed.warnings]
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
        placements = reanchor_codings(project, existing, parsed.text)
        store.annotations.drop(doc_id)
    else:
        version, status = 1, "imported"
        doc_id = store.documents.insert(
            name=name, source_path=str(path.resolve()), fmt=parsed.format, encoding=parsed.encoding,
            content_hash=digest, text=parsed.text, meta=parsed.meta, version=version,
        )
    speakers, n_interjections = insert_turns(project, doc_id, parsed, options, kept_roles, speaker_cases)
    if case:
        store.cases.link_document(store.cases.ensure(case), doc_id)
    batch_names[name] = str(path)
    if texts is not None:
        texts.add(doc_id, name, parsed.text, digest)
    result = FileResult(str(path), status, name=name, turns=len(parsed.turns), speakers=speakers,
                        warnings=warnings, version=version,
                        interjections=n_interjections)
    if placements is not None:
        result.placements = placements
        result.codings = dict.fromkeys(("kept", "moved", "changed", "orphaned"), 0)
        for p in placements:
            result.codings[p["placement"]] += 1
    return result


def insert_turns(project: Project, doc_id: int, parsed: ParsedDocument, options: ImportOptions,
                 kept_roles: dict[str, str] | None = None,
                 speaker_cases: dict[str, int] | None = None) -> tuple[list[dict], int]:
    """Write a parsed document's speakers (with their default roles, or ``kept_roles``),
    interjections and turns; returns the speakers as ``{"label", "role"}`` and the number
    of interjections."""
    store = project.store
    kept_roles = kept_roles or {}
    speaker_cases = speaker_cases or {}
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
    interjection_rows = []
    for x in parsed.interjections:
        if x.speaker not in speaker_ids:  # a voice heard only in brackets ("[Enquêtrice : …]")
            role = default_role(x.speaker, options.interviewers)
            speaker_ids[x.speaker] = store.documents.insert_speaker(doc_id, x.speaker, role)
        interjection_rows.append((speaker_ids[x.speaker], x.start, x.end))
    store.interjections.add(doc_id, interjection_rows)
    store.documents.insert_turns(
        doc_id,
        [
            (i, speaker_ids.get(t.speaker) if t.speaker is not None else None,
             t.start, t.end, t.time_start, t.time_end)
            for i, t in enumerate(parsed.turns, 1)
        ],
    )
    return speakers, len(interjection_rows)


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
