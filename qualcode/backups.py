"""Backups of the project database (and codebook) before risky operations.

``backup(project, reason)`` copies ``.qualcode/project.db`` with SQLite's online backup
API (a consistent snapshot, even in WAL mode) into ``.qualcode/backups/<id>.db``, copies
the project's codebook YAML next to it (``<id>.yaml``) and writes a small ``<id>.json``
sidecar (time, reason, user, codebook path). Only the last :data:`KEEP` backups are kept.

``restore_backup(project, id)`` checks the backup (``PRAGMA integrity_check``, schema
version), first takes a backup of the current state, then swaps the database file and the
codebook in with ``os.replace`` (a rename: readers see the old file or the new one, never
half of one), under a journal (:mod:`qualcode.journal`) that lets the next command finish
a restore killed between the two renames. The project's connection is closed during the
swap and reopened after. ``restore_damaged`` does the same for a database that cannot be
opened, keeping the damaged file among the backups.

Backup ids look like ``20240502-101530-rename`` (UTC time, reason); commands accept any
unique prefix of an id.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import journal
from qualcode.errors import QualcodeError
from qualcode.store import SCHEMA_VERSION, Store
from qualcode.store.backups import UnreadableDatabase, check_file, checkpoint, copy_file, swap_in
from qualcode.testhooks import kill_point

if TYPE_CHECKING:
    from qualcode.project import Project

KEEP = 20
BACKUP_DIR = Path(".qualcode") / "backups"


@dataclass
class BackupInfo:
    id: str
    created: str  # ISO 8601, UTC, microseconds (orders backups taken in the same second)
    reason: str
    user: str
    size: int  # bytes of the database copy
    codebook: str | None  # codebook path as recorded (relative to the project if inside it)
    has_codebook: bool

    def to_dict(self) -> dict:
        return {"id": self.id, "created": self.created, "reason": self.reason, "user": self.user,
                "size": self.size, "codebook": self.codebook, "has_codebook": self.has_codebook}


def backup_dir(project: Project | Path) -> Path:
    """The backups folder of ``project`` (or of the project folder ``project``)."""
    return (project if isinstance(project, Path) else project.root) / BACKUP_DIR


def _slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")[:40] or "backup"


def _codebook_for(project: Project, codebook: str | Path | None) -> Path | None:
    if codebook is not None:
        path = Path(codebook)
        return path if path.is_file() else None
    try:
        return project.codebook_path()
    except QualcodeError:  # no codebook (yet), or several: back up the database only
        return None


def _relative(project: Project | Path, path: Path) -> str:
    path = path.resolve()
    root = project if isinstance(project, Path) else project.root
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _new_id(folder: Path, now: datetime, slug: str) -> str:
    base = f"{now:%Y%m%d-%H%M%S}-{_slug(slug)}"
    ident, n = base, 1
    while (folder / f"{ident}.json").exists() or (folder / f"{ident}.db").exists():
        n += 1
        ident = f"{base}-{n}"
    return ident


def backup(project: Project, reason: str, *, codebook: str | Path | None = None,
           keep: int = KEEP, slug: str | None = None) -> str:
    """Snapshot the project database (and codebook) now; returns the backup id
    (``<UTC time>-<slug>``, the slug defaulting to the reason's).

    Must not be called inside a transaction (the snapshot would include uncommitted
    writes of this connection).
    """
    if project.store.in_transaction:
        raise RuntimeError("backup() called inside a transaction")
    folder = backup_dir(project)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    base = f"{now:%Y%m%d-%H%M%S}-{_slug(slug or reason)}"
    ident, n = base, 1
    while (folder / f"{ident}.json").exists() or (folder / f"{ident}.db").exists():
        n += 1
        ident = f"{base}-{n}"
    tmp = journal.temp_name(folder / f"{ident}.db", "backup")
    try:
        project.store.backups.copy_to(tmp)
        kill_point("backup-copied")
        os.replace(tmp, folder / f"{ident}.db")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    cb = _codebook_for(project, codebook)
    if cb is not None:
        shutil.copyfile(cb, folder / f"{ident}.yaml")
    meta = {"id": ident, "created": now.isoformat(timespec="microseconds"), "reason": reason,
            "user": project.user, "codebook": _relative(project, cb) if cb is not None else None,
            "schema_version": project.store.schema_version}
    _write_meta(folder, ident, meta)
    prune(project, keep)
    return ident


def _write_meta(folder: Path, ident: str, meta: dict) -> None:
    meta_tmp = journal.temp_name(folder / f"{ident}.json", "backup")
    meta_tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(meta_tmp, folder / f"{ident}.json")


def list_backups(project: Project | Path) -> list[BackupInfo]:
    """The backups of the project, oldest first."""
    folder = backup_dir(project)
    if not folder.is_dir():
        return []
    out = []
    for db in folder.glob("*.db"):
        ident = db.stem
        meta: dict = {}
        sidecar = folder / f"{ident}.json"
        if sidecar.is_file():
            try:
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
        created = meta.get("created") or datetime.fromtimestamp(
            db.stat().st_mtime, UTC).isoformat(timespec="microseconds")
        out.append(BackupInfo(
            id=ident, created=created, reason=meta.get("reason", "?"), user=meta.get("user", "?"),
            size=db.stat().st_size, codebook=meta.get("codebook"),
            has_codebook=(folder / f"{ident}.yaml").is_file()))
    out.sort(key=lambda b: (b.created, b.id))
    return out


def prune(project: Project, keep: int = KEEP) -> list[str]:
    """Delete all but the newest ``keep`` backups; returns the deleted ids."""
    backups = list_backups(project)
    doomed = backups[:-keep] if keep > 0 else backups
    folder = backup_dir(project)
    for b in doomed:
        for suffix in (".db", ".yaml", ".json"):
            (folder / f"{b.id}{suffix}").unlink(missing_ok=True)
    return [b.id for b in doomed]


def find_backup(project: Project | Path, ident: str) -> BackupInfo:
    backups = list_backups(project)
    exact = [b for b in backups if b.id == ident]
    if exact:
        return exact[0]
    matches = [b for b in backups if b.id.startswith(ident)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise QualcodeError(f"no backup {ident!r} (see 'qualcode backups')")
    raise QualcodeError(f"{len(matches)} backups start with {ident!r}: "
                        + ", ".join(b.id for b in matches[:5]))


def check_backup(path: Path) -> None:
    """Raise unless ``path`` is a sound qualcode database this version can open."""
    try:
        found = check_file(path)
    except UnreadableDatabase as exc:
        raise QualcodeError(f"backup {path.name} is not a readable database: {exc}") from None
    if not found.sound:
        raise QualcodeError(f"backup {path.name} is damaged (integrity check: {found.integrity[0]})")
    if "codings" not in found.tables or "documents" not in found.tables:
        raise QualcodeError(f"backup {path.name} is not a qualcode project database")
    if found.schema_version > SCHEMA_VERSION:
        raise QualcodeError(f"backup {path.name} has schema version {found.schema_version}, newer than this "
                            f"qualcode ({SCHEMA_VERSION}): upgrade qualcode")


@dataclass
class RestoreReport:
    restored: str
    saved_as: str  # backup of the state before the restore
    codebook: str | None  # codebook file restored (None: the backup has none)

    def to_dict(self) -> dict:
        return {"restored": self.restored, "saved_as": self.saved_as, "codebook": self.codebook}


def _replace_file(src: Path, dest: Path) -> None:
    os.replace(src, dest)


def _ensure_alone(project: Project, db_path: Path, *, reopen: bool) -> None:
    """Close the project's connection (reopen it after if ``reopen``); raise (reopened) if
    another connection is open.

    The last connection to close checkpoints the write-ahead log and deletes it: if the
    ``-wal`` file survives our close, another process has the project open.
    """
    project.store.close()
    if not checkpoint(db_path):
        project.store = Store(db_path)
        raise QualcodeError("the project is open in another qualcode process: close it and try again")
    if reopen:
        project.store = Store(db_path)


def _stage(root: Path, info: BackupInfo, db_path: Path) -> tuple[Path, Path | None, Path | None]:
    """Copy the backup's database (and codebook) next to their targets, checked: (staged
    database, staged codebook or None, codebook target or None). Copied first because the
    backup itself may be pruned by the "before-restore" backup, and a rename needs a file
    on the same filesystem."""
    folder = backup_dir(root)
    src = folder / f"{info.id}.db"
    check_backup(src)
    staged = journal.temp_name(db_path, "restore")
    staged_yaml: Path | None = None
    cb_target: Path | None = None
    try:
        copy_file(src, staged)
        check_backup(staged)
        if info.has_codebook and info.codebook:
            target = Path(info.codebook)
            cb_target = target if target.is_absolute() else root / target
            cb_target = cb_target.resolve() if cb_target.exists() else cb_target
            cb_target.parent.mkdir(parents=True, exist_ok=True)
            staged_yaml = journal.temp_name(cb_target, "restore")
            shutil.copyfile(folder / f"{info.id}.yaml", staged_yaml)
            if cb_target.exists():
                shutil.copymode(cb_target, staged_yaml)
    except BaseException:
        staged.unlink(missing_ok=True)
        if staged_yaml is not None:
            staged_yaml.unlink(missing_ok=True)
        raise
    return staged, staged_yaml, cb_target


def _put_in_place(root: Path, db_path: Path, info: BackupInfo, staged: Path, staged_yaml: Path | None,
                  cb_target: Path | None, report: RestoreReport, user: str) -> None:
    """Swap the staged database in, then the staged codebook, as one recoverable step.

    The history row of the restore is written into the staged database before it is
    swapped in, with the journal's id: after a kill between the two renames, the next
    command finds the journal (:func:`qualcode.journal.recover`), sees the id in the
    database, and puts the backup's codebook in place; without the id (killed before the
    database swap) it leaves the codebook as it was."""
    jid = journal.new_id()
    marked = Store(staged)
    try:
        with marked.transaction():
            marked.history.log(user, "backups restore", "backups",
                               f"restored backup {info.id} (the previous state is backup {report.saved_as})",
                               report.to_dict() | {"backup_reason": info.reason, "backup_created": info.created,
                                                   "journal": jid})
    finally:
        marked.close()
    if staged_yaml is not None and cb_target is not None:
        before = cb_target.read_bytes() if cb_target.exists() else None
        journal.begin(root, journal.Journal(id=jid, pid=os.getpid(), command="backups restore",
                                            operation="backups", codebook=cb_target, before=before,
                                            after=staged_yaml.read_bytes()))
    kill_point("restore-journaled")
    swap_in(staged, db_path)
    journal.fsync_dir(db_path.parent)
    kill_point("restore-db-swapped")
    if staged_yaml is not None and cb_target is not None:
        _replace_file(staged_yaml, cb_target)
        journal.fsync_dir(cb_target.parent)
        kill_point("restore-yaml-replaced")
        journal.end(root)


def restore_backup(project: Project, ident: str) -> RestoreReport:
    """Put the project database (and codebook) back as they were in backup ``ident``.

    The current state is backed up first (id ``…-before-restore``), so a restore can be
    undone by restoring that backup. ``project.store`` is reopened on the restored database.
    """
    info = find_backup(project, ident)
    db_path = project.store.path  # the project database, .qualcode/project.db
    staged, staged_yaml, cb_target = _stage(project.root, info, db_path)
    kill_point("restore-staged")
    try:
        # No other connection may be open on the database while it is swapped, or SQLite
        # would pair the new file with the old write-ahead log: checked before the backup
        # (no useless backup) and again just before the swap.
        _ensure_alone(project, db_path, reopen=True)
        saved = backup(project, f"before restoring {info.id}", slug="before-restore")
        _ensure_alone(project, db_path, reopen=False)
        report = RestoreReport(restored=info.id, saved_as=saved,
                               codebook=_relative(project.root, cb_target) if cb_target is not None else None)
        _put_in_place(project.root, db_path, info, staged, staged_yaml, cb_target, report, project.user)
        staged_yaml = None
    finally:
        staged.unlink(missing_ok=True)
        if staged_yaml is not None:
            staged_yaml.unlink(missing_ok=True)
        if not project.store.backups.is_open():  # closed above: reopen (on the restored file if swapped)
            project.store = Store(db_path)
    return report


def restore_damaged(root: Path, ident: str, *, user: str, codebook: Path | None = None) -> RestoreReport:
    """:func:`restore_backup` for a project whose database cannot be opened (damaged): the
    damaged file is kept as it is among the backups (id ``…-damaged``, with the current
    codebook ``codebook``), then the backup is put in place."""
    info = find_backup(root, ident)
    db_path = root / ".qualcode" / "project.db"
    staged, staged_yaml, cb_target = _stage(root, info, db_path)
    try:
        folder = backup_dir(root)
        now = datetime.now(UTC)
        saved = _new_id(folder, now, "damaged")
        if db_path.exists():
            tmp = journal.temp_name(folder / f"{saved}.db", "backup")
            shutil.copyfile(db_path, tmp)
            os.replace(tmp, folder / f"{saved}.db")
        if codebook is not None and codebook.is_file():
            shutil.copyfile(codebook, folder / f"{saved}.yaml")
        _write_meta(folder, saved, {
            "id": saved, "created": now.isoformat(timespec="microseconds"),
            "reason": f"damaged database, set aside before restoring {info.id}", "user": user,
            "codebook": _relative(root, codebook) if codebook is not None and codebook.is_file() else None})
        # the damaged database's side files must not be paired with the restored one
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        report = RestoreReport(restored=info.id, saved_as=saved,
                               codebook=_relative(root, cb_target) if cb_target is not None else None)
        _put_in_place(root, db_path, info, staged, staged_yaml, cb_target, report, user)
        staged_yaml = None
    finally:
        staged.unlink(missing_ok=True)
        if staged_yaml is not None:
            staged_yaml.unlink(missing_ok=True)
    return report
