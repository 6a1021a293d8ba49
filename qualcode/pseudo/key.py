"""The pseudonym key: the names to hide and their replacements, kept apart from the data.

The key is a TOML file (see ``docs/reference/pseudonym-key.md``)::

    # qualcode pseudonym key …
    format = "qualcode-pseudonym-key"
    version = 2

    [[entry]]
    name = "Martine Vasseur"
    replacement = "Mme V."
    kind = "person"
    added_by = "alice"
    added_at = "2026-12-05T08:12:03+00:00"

    [[rejected]]
    name = "Ferme"
    kind = "other"
    rejected_by = "alice"
    rejected_at = "2026-12-05T08:14:10+00:00"

The ``[[rejected]]`` tables (version 2) are the candidates the researcher decided not to
hide: ``pseudo suggest``/``review`` do not propose them again (``--all`` does) and the
audit does not list them as names not in the key. They hold names too, so they live in
the key, never in the project. A version 1 file (entries only) is read as it is.

Its path is ``[pseudo] key`` of ``qualcode.toml``; without one, the first ``qualcode
pseudo add`` creates it in the user's data folder (``$XDG_DATA_HOME/qualcode/keys/``, by
default ``~/.local/share/qualcode/keys/``), **outside** the project folder, and records the
path. A key inside the project folder is refused: the project folder is what gets copied,
archived and shared.

Every change is one entry of the project's ``history`` (operation ``pseudo``), which
records who changed the key, when, and how many entries it holds — but not the names
themselves (a fingerprint instead): the history is part of the project, the key is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError, UsageError
from qualcode.pseudo.replace import TITLES, Pseudonymizer, Rule, fold_text
from qualcode.store.connection import now

if TYPE_CHECKING:
    from qualcode.project import Project

FORMAT = "qualcode-pseudonym-key"
VERSION = 2  # 2: [[rejected]] tables; 1: entries only (read as it is)
KINDS = ("person", "place", "organisation", "other")
CASES = ("auto", "any")

_HEADER = """\
# qualcode pseudonym key: the names to hide and their replacements.
# Keep this file apart from the project and its exports; never share it.
# Edited by 'qualcode pseudo add/remove/import' (or by hand: one [[entry]] per name).
"""


@dataclass
class KeyEntry:
    """One name of the key."""

    name: str
    replacement: str
    kind: str = "other"  # person | place | organisation | other
    added_by: str = ""
    added_at: str = ""
    case: str = "auto"  # auto: a one-word name must be capitalised in the text; any: in any case
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def rule(self) -> Rule:
        return Rule(self.name, self.replacement, any_case=self.case == "any", person=self.kind == "person")


@dataclass
class Rejection:
    """A candidate the researcher decided not to hide (not proposed again)."""

    name: str
    kind: str = "other"
    rejected_by: str = ""
    rejected_at: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def rejection_key(name: str) -> str:
    """How rejected names are compared: spaces, case and accents ignored."""
    return fold_text(" ".join(name.split()))


@dataclass
class PseudoKey:
    """A key file: its entries and its rejected candidates, in the file's order."""

    path: Path
    entries: list[KeyEntry]
    rejected: list[Rejection] = field(default_factory=list)

    def find(self, name: str) -> KeyEntry | None:
        folded = _norm(name)
        return next((e for e in self.entries if _norm(e.name) == folded), None)

    def find_rejected(self, name: str) -> Rejection | None:
        folded = rejection_key(name)
        return next((r for r in self.rejected if rejection_key(r.name) == folded), None)

    def rejected_names(self) -> list[str]:
        return [r.name for r in self.rejected]

    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(e.rule() for e in self.entries)

    def dumps(self) -> str:
        lines = [_HEADER, f"format = {json.dumps(FORMAT)}", f"version = {VERSION}", ""]
        for e in self.entries:
            lines.append("[[entry]]")
            for k, v in e.to_dict().items():
                if v == "" or (k == "case" and v == "auto"):
                    continue
                lines.append(f"{k} = {json.dumps(v, ensure_ascii=False)}")
            lines.append("")
        if self.rejected:
            lines += ["# candidates decided not to hide: not proposed again, not reported by the audit", ""]
        for r in self.rejected:
            lines.append("[[rejected]]")
            lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in r.to_dict().items() if v != ""]
            lines.append("")
        return "\n".join(lines)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.dumps())
            os.chmod(tmp, 0o600)  # a key is private
            os.replace(tmp, self.path)
        finally:
            Path(tmp).unlink(missing_ok=True)


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def fingerprint(name: str) -> str:
    """A short fingerprint of a name, for the history (which must not hold the key)."""
    return hashlib.sha256(_norm(name).encode("utf-8")).hexdigest()[:12]


def guess_kind(name: str) -> str:
    """``person`` for two capitalised words (``Martine Vasseur``, ``Jean-Pierre Lefebvre``)
    or a title and a name (``Mme Dufour``), else ``other`` (``Arenberg Creative Mine``)."""
    words = name.split()
    if len(words) == 2 and all(w[:1].isupper() for w in words):
        return "person"
    if len(words) >= 2 and words[0].rstrip(".").casefold() in TITLES and words[-1][:1].isupper():
        return "person"
    return "other"


# ---------------------------------------------------------------------------- reading


def load_key(path: str | Path) -> PseudoKey:
    """Read a key file (a missing file is an empty key)."""
    p = Path(path)
    if not p.exists():
        return PseudoKey(p, [])
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QualcodeError(f"not a pseudonym key: {exc}", path=str(p)) from None
    except OSError as exc:
        raise QualcodeError(f"cannot read the pseudonym key ({exc.strerror or exc})", path=str(p)) from None
    if data.get("format") not in (None, FORMAT):
        raise QualcodeError(f"not a pseudonym key (format = {data.get('format')!r})", path=str(p))
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise QualcodeError(f"version {version!r} is not a version of the pseudonym key", path=str(p))
    if version > VERSION:
        raise QualcodeError(f"pseudonym key version {version}, newer than this qualcode reads ({VERSION}): "
                            "update qualcode", path=str(p))
    entries = _tables(data.get("entry", []), "entry", KeyEntry, p, _entry_fields_missing)
    for i, entry in enumerate(entries, 1):
        if entry.kind not in KINDS:
            raise QualcodeError(f"entry {i} ({entry.name}): kind {entry.kind!r} is not one of {', '.join(KINDS)}",
                                path=str(p))
        if entry.case not in CASES:
            raise QualcodeError(f"entry {i} ({entry.name}): case {entry.case!r} is not one of {', '.join(CASES)}",
                                path=str(p))
    return PseudoKey(p, entries, _tables(data.get("rejected", []), "rejected", Rejection, p, _rejected_fields_missing))


def _entry_fields_missing(item: dict) -> str | None:
    name, replacement = item.get("name"), item.get("replacement")
    if not isinstance(name, str) or not name.strip() or not isinstance(replacement, str):
        return "a name and a replacement (strings)"
    return None


def _rejected_fields_missing(item: dict) -> str | None:
    name = item.get("name")
    return "a name (a string)" if not isinstance(name, str) or not name.strip() else None


def _tables(raw: Any, what: str, cls: Any, p: Path, missing: Callable[[dict], str | None]) -> list:
    """The ``[[what]]`` tables of a key file as ``cls`` instances (KeyEntry, Rejection):
    each a table, with the fields ``missing`` asks for, and no field ``cls`` lacks."""
    if not isinstance(raw, list):
        raise QualcodeError(f"'{what}' must be a list of [[{what}]] tables", path=str(p))
    out = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise QualcodeError(f"{what} {i} is not a table", path=str(p))
        needs = missing(item)
        if needs:
            raise QualcodeError(f"{what} {i} needs {needs}", path=str(p))
        unknown = set(item) - set(cls.__dataclass_fields__)
        if unknown:
            raise QualcodeError(f"{what} {i} ({item['name']}): unknown field {sorted(unknown)[0]!r}", path=str(p))
        out.append(cls(**{k: str(v) for k, v in item.items()}))
    return out


def default_key_path(project: Project) -> Path:
    """Where a new key goes: the user's data folder, named after the project."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    slug = re.sub(r"[^\w.-]+", "-", project.name).strip("-") or "project"
    digest = hashlib.sha256(str(project.root).encode("utf-8")).hexdigest()[:8]
    return base / "qualcode" / "keys" / f"{slug}-{digest}.toml"


def configured_key_path(project: Project) -> Path | None:
    """``[pseudo] key`` of qualcode.toml (relative to the project), else None."""
    value = (project.config.get("pseudo") or {}).get("key")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise QualcodeError("[pseudo] key must be the path of the key file", path=str(project.config_path))
    path = Path(value).expanduser()
    return path if path.is_absolute() else project.root / path


def check_key_place(project: Project, path: Path) -> None:
    """Refuse a key inside the project folder (what gets copied and shared)."""
    root = project.root.resolve()
    resolved = path.expanduser().resolve()
    if resolved == root or root in resolved.parents:
        raise UsageError(f"{path}: the pseudonym key must live outside the project folder {root} "
                         "(it is shared with the data); choose a path elsewhere")


def project_key(project: Project) -> PseudoKey | None:
    """The project's key, or None when it has none (no path set, or no file yet)."""
    path = configured_key_path(project)
    if path is None or not path.exists():
        return None
    return load_key(path)


def active_pseudonymizer(project: Project, pseudo: bool | None) -> Pseudonymizer | None:
    """The pseudonymizer an export uses: ``pseudo`` True (a key is required), False (none),
    None (the key's, when the project has a key with entries)."""
    if pseudo is False:
        return None
    key = project_key(project)
    if key is None or not key.entries:
        if pseudo:
            raise QualcodeError("--pseudo: the project has no pseudonym key yet (add names with "
                                "'qualcode pseudo add NAME REPLACEMENT')")
        return None
    return key.pseudonymizer()


# ---------------------------------------------------------------------------- writing


def _record_key_path(project: Project, path: Path) -> None:
    """Add ``[pseudo] key = "…"`` to qualcode.toml (the project has no key path yet)."""
    text = project.config_path.read_text(encoding="utf-8")
    if re.search(r"(?m)^\s*\[pseudo\]\s*$", text):
        raise QualcodeError("[pseudo] has no key = \"…\": add the path of the key file there",
                            path=str(project.config_path))
    if text and not text.endswith("\n"):
        text += "\n"
    text += f"\n[pseudo]\nkey = {json.dumps(str(path), ensure_ascii=False)}  # the pseudonym key (never shared)\n"
    tmp = project.config_path.with_name(f".{project.config_path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, project.config_path)
    project.config = tomllib.loads(text)


def open_key(project: Project, path: str | Path | None = None) -> PseudoKey:
    """The key to edit: ``path`` (recorded in qualcode.toml when the project has none), the
    configured one, or a new one at :func:`default_key_path` (recorded)."""
    configured = configured_key_path(project)
    if path is not None:
        target = Path(path).expanduser().absolute()
        check_key_place(project, target)
        if configured is not None and configured.expanduser().absolute() != target:
            raise UsageError(f"the project's key is {configured}: change [pseudo] key in qualcode.toml "
                             "to use another one")
        if configured is None:
            _record_key_path(project, target)
        return load_key(target)
    if configured is not None:
        check_key_place(project, configured)
        return load_key(configured)
    target = default_key_path(project)
    check_key_place(project, target)
    _record_key_path(project, target)
    return load_key(target)


def _log(project: Project, command: str, summary: str, key: PseudoKey, details: dict[str, Any]) -> None:
    project.store.history.log(project.user, command, "pseudo", summary,
                              {"key": str(key.path), "entries": len(key.entries), "rejected_names": len(key.rejected),
                               **details})


def add_entry(project: Project, name: str, replacement: str, *, kind: str | None = None,
              case: str = "auto", note: str = "", key_path: str | Path | None = None) -> tuple[KeyEntry, bool]:
    """Add ``name -> replacement`` to the key (or change the replacement of a name already
    there); returns the entry and whether it is new. Logged in the history."""
    name = " ".join(name.split())
    replacement = " ".join(replacement.split())
    if not name:
        raise UsageError("the name is empty")
    if not replacement:
        raise UsageError("the replacement is empty")
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r} (choose from {', '.join(KINDS)})")
    if case not in CASES:
        raise UsageError(f"unknown case {case!r} (choose from {', '.join(CASES)})")
    store = project.store
    with store.transaction():
        key = open_key(project, key_path)
        entry = key.find(name)
        new = entry is None
        if entry is None:
            entry = KeyEntry(name, replacement, kind or guess_kind(name), project.user, now(), case, note)
            key.entries.append(entry)
        else:
            entry.replacement, entry.case = replacement, case
            entry.kind = kind or entry.kind
            entry.note = note or entry.note
            entry.added_by, entry.added_at = project.user, now()
        rejection = key.find_rejected(name)
        if rejection is not None:  # accepted after all: no longer a rejected candidate
            key.rejected.remove(rejection)
        _log(project, "pseudo add", f"pseudonym key: {'added' if new else 'changed'} 1 entry ({len(key.entries)} "
             "in the key)" + ("; no longer rejected" if rejection is not None else ""), key,
             {"action": "add" if new else "change", "fingerprint": fingerprint(name), "kind": entry.kind,
              "unrejected": rejection is not None})
        key.save()
    return entry, new


def remove_entry(project: Project, name: str) -> KeyEntry | Rejection:
    """Remove ``name`` from the key's entries or, when it is not one, from its rejected
    candidates (it is proposed again); logged in the history."""
    store = project.store
    with store.transaction():
        key = project_key(project)
        entry = key.find(name) if key is not None else None
        rejection = key.find_rejected(name) if key is not None and entry is None else None
        if key is None or (entry is None and rejection is None):
            raise QualcodeError(f"no entry {name!r} in the pseudonym key, nor a rejected name (see "
                                "'qualcode pseudo list')")
        removed: KeyEntry | Rejection
        if entry is not None:
            key.entries.remove(entry)
            _log(project, "pseudo remove", f"pseudonym key: removed 1 entry ({len(key.entries)} in the key)", key,
                 {"action": "remove", "fingerprint": fingerprint(entry.name)})
            removed = entry
        else:
            assert rejection is not None
            key.rejected.remove(rejection)
            _log(project, "pseudo remove", f"pseudonym key: 1 rejected name proposed again ({len(key.rejected)} "
                 "rejected)", key, {"action": "unreject", "fingerprint": fingerprint(rejection.name)})
            removed = rejection
        key.save()
    return removed


def reject_name(project: Project, name: str, *, kind: str = "other", note: str = "",
                key_path: str | Path | None = None) -> tuple[Rejection, bool]:
    """Record ``name`` as a candidate not to hide (``qualcode pseudo reject``): not proposed
    again, not reported by the audit as a name not in the key. Returns the rejection and
    whether it is new. A name of the key cannot be rejected (remove it first)."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("the name is empty")
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r} (choose from {', '.join(KINDS)})")
    store = project.store
    with store.transaction():
        key = open_key(project, key_path)
        if key.find(name) is not None:
            raise UsageError(f"{name!r} is in the pseudonym key: 'qualcode pseudo remove' it first")
        rejection = key.find_rejected(name)
        if rejection is not None:
            return rejection, False
        rejection = Rejection(name, kind, project.user, now(), note)
        key.rejected.append(rejection)
        _log(project, "pseudo reject", f"pseudonym key: rejected 1 name ({len(key.rejected)} rejected)", key,
             {"action": "reject", "fingerprint": fingerprint(name)})
        key.save()
    return rejection, True


def list_rejected(project: Project) -> list[Rejection]:
    """The key's rejected candidates (none: no key yet)."""
    key = project_key(project)
    return key.rejected if key is not None else []


def list_entries(project: Project) -> tuple[Path | None, list[KeyEntry]]:
    """The key's path and its entries (none: no key yet)."""
    path = configured_key_path(project)
    key = project_key(project)
    return path, (key.entries if key is not None else [])


def merge_entries(project: Project, changes: list[KeyEntry], removed: list[str], command: str,
                  rejected: Sequence[Rejection] = ()) -> dict[str, int]:
    """Apply a reviewed list at once (``pseudo import``, ``pseudo review``): add or change
    ``changes`` (no longer rejected), remove ``removed``, remember ``rejected`` (who and
    when: the reviewer, now; a name already rejected keeps its first record, a name of the
    key is not rejected); one history entry. Returns the counts: ``remembered`` (new
    rejections), ``unrejected`` (accepted after a rejection)."""
    store = project.store
    counts = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0, "remembered": 0, "unrejected": 0}
    with store.transaction():
        key = open_key(project)
        for item in changes:
            rejection = key.find_rejected(item.name)
            if rejection is not None:
                key.rejected.remove(rejection)
                counts["unrejected"] += 1
            entry = key.find(item.name)
            if entry is None:
                item.added_by, item.added_at = project.user, now()
                key.entries.append(item)
                counts["added"] += 1
            elif (entry.replacement, entry.kind, entry.case) != (item.replacement, item.kind, item.case):
                entry.replacement, entry.kind, entry.case = item.replacement, item.kind, item.case
                entry.note = item.note or entry.note
                entry.added_by, entry.added_at = project.user, now()
                counts["changed"] += 1
            else:
                counts["unchanged"] += 1
        for name in removed:
            entry = key.find(name)
            if entry is not None:
                key.entries.remove(entry)
                counts["removed"] += 1
        for rejection in rejected:
            if key.find(rejection.name) is not None or key.find_rejected(rejection.name) is not None:
                continue
            key.rejected.append(Rejection(" ".join(rejection.name.split()),
                                          rejection.kind if rejection.kind in KINDS else "other",
                                          project.user, now(), rejection.note))
            counts["remembered"] += 1
        _log(project, command, f"pseudonym key: {counts['added']} added, {counts['changed']} changed, "
             f"{counts['removed']} removed, {counts['remembered']} rejected ({len(key.entries)} in the key, "
             f"{len(key.rejected)} rejected)", key, {"action": "import", **counts})
        key.save()
    return counts
