"""``qualcode import FILE.qdpx``: a REFI-QDA project into a new or existing qualcode project.

What comes in: text sources (their plain text; NVivo's ``.docx`` rich text through its
plain-text twin), the code hierarchy (into the codes table and a codebook YAML file),
every coding of every user (one coder per REFI-QDA user; status ``accepted``, origin
``manual``), cases and their variables (cases and typed attributes, linked to their
documents), notes and descriptions (memos). Speaker turns are detected in the texts as for
``.txt`` files. The GUID of everything imported goes into ``refi_ids`` so that an export
can keep it.

Offsets are converted per source (:mod:`qualcode.refi.offsets`) and every coding is
counted: placed exactly, adjusted (read under another convention than code points), or
impossible (listed with its reason); where the file records the selected text, each
selection is checked against it.

Merging into a project that already has codes: a code whose path already exists is reused
as the project has it when its definition is the same or either is empty; a different
definition refuses the whole import (one line naming the code). Documents of the same name, and case attributes
with another value, are refused the same way. The codebook YAML file is
``codebooks/<package>.yaml`` when the project has no codebook yet (it becomes the
project's codebook), else ``codebooks/imported/<package>.yaml`` (not picked up
automatically; the report says so). Everything is written in one transaction, the
codebook file under the journal (:mod:`qualcode.journal`): on any failure, even a kill,
nothing is left in the project.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import journal
from qualcode.codebook.load import parse_codebook_text
from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.sync import code_specs
from qualcode.errors import InputError
from qualcode.importers import ImportOptions, ParsedDocument
from qualcode.importers.interjections import find_interjections
from qualcode.importers.speakers import ROLES
from qualcode.importers.text import parse_text
from qualcode.ingest import insert_turns
from qualcode.refi.codebook import ImportedCodebook, codebook_yaml
from qualcode.refi.offsets import Placement, place_source, raw_source
from qualcode.refi.reader import RefiCode, RefiNote, RefiProject, RefiSource, member_path, read_package
from qualcode.refi.writer import SPEAKERS_VARIABLES
from qualcode.store.codes import CodeSpec
from qualcode.store.refi import RefiId
from qualcode.testhooks import kill_point
from qualcode.textnorm import decode_bytes, fold, normalize_text

if TYPE_CHECKING:
    from qualcode.project import Project

ORIGIN = "manual"  # codings made by people in another tool


@dataclass
class SourceReport:
    name: str
    guid: str
    convention: str
    turns: int
    codings: int
    notes: list[str] = field(default_factory=list)
    verified: int = 0  # selections whose text the file records, and matches


@dataclass
class RefiImportReport:
    path: str
    origin: str
    documents: list[SourceReport] = field(default_factory=list)
    codes: int = 0
    codebook_file: str | None = None
    codebook_is_project_codebook: bool = False
    coders: dict[str, int] = field(default_factory=dict)  # coder -> codings
    exact: int = 0
    adjusted: list[dict[str, Any]] = field(default_factory=list)
    impossible: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    cases: int = 0
    attributes: int = 0
    memos: int = 0
    renamed: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    codebook_notes: list[str] = field(default_factory=list)  # what the codebook file cannot hold
    dry_run: bool = False

    @property
    def placed(self) -> int:
        return self.exact + len(self.adjusted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "origin": self.origin,
            "documents": [vars(d) for d in self.documents], "codes": self.codes,
            "codebook_file": self.codebook_file, "codebook_is_project_codebook": self.codebook_is_project_codebook,
            "coders": self.coders, "codings": {"exact": self.exact, "adjusted": len(self.adjusted),
                                               "impossible": len(self.impossible), "duplicates": self.duplicates},
            "adjusted": self.adjusted, "impossible": self.impossible, "cases": self.cases,
            "attributes": self.attributes, "memos": self.memos, "renamed": self.renamed,
            "not_carried": self.not_carried, "codebook_notes": self.codebook_notes, "dry_run": self.dry_run,
        }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_") or "code"


def _unique(base: str, taken: set[str], sep: str) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{sep}{n}"
    taken.add(name)
    return name


def _code_paths(refi: list[RefiCode], codes: list[Code], out: dict[str, str]) -> None:
    """GUID -> code path, walking the package's tree and the codebook made from it together."""
    for r, c in zip(refi, codes, strict=True):
        if r.guid and r.guid not in out:
            out[r.guid] = c.path
        _code_paths(r.children, c.children, out)


def _sync_codes(store: Any, codebook: Codebook) -> dict[str, int]:
    """The codebook's codes in the codes table, path -> id: new ones inserted, those
    already in the project (same path) left as the project has them."""
    existing = {c.path: c for c in store.codes.all()}
    path_of = {c.id: c.path for c in existing.values()}
    specs = []
    for spec in code_specs(codebook):
        c = existing.get(spec.path)
        if c is not None:
            spec = CodeSpec(c.path, c.label, path_of.get(c.parent_id) if c.parent_id is not None else None,
                            c.definition, c.full_definition, c.when_to_use, c.when_not_to_use, list(c.examples),
                            c.color)
        specs.append(spec)
    return dict(store.codes.sync(specs).ids)


def _code_notes(codes: list[RefiCode], code_path: dict[str, str], out: dict[str, list[str]]) -> None:
    """Code path -> the GUIDs of the notes its ``Code`` element refers to."""
    for c in codes:
        if c.notes and c.guid in code_path:
            out.setdefault(code_path[c.guid], []).extend(c.notes)
        _code_notes(c.children, code_path, out)


def _note_body(pkg: RefiProject, note: RefiNote, p: Path) -> str:
    """A note's text: inline, or the package file its ``plainTextPath`` names."""
    text = note.text
    if text is None and note.plain_path:
        member = member_path(note.plain_path)
        raw = pkg.member(member) if member else None
        text = _decode(raw, f"{p}:{member}") if raw is not None else None
    return normalize_text(text or "").strip()


_MEMO_HEAD = re.compile(r"\[([^\]\n]+), (\d{4}-\d{2}-\d{2})\] ")


def _memo_paragraphs(text: str) -> list[tuple[str, str]]:
    """qualcode's memos in a Description (``[author, date] text`` paragraphs) as (author,
    text); empty when the text is not in that form."""
    parts = re.split(r"\n\n(?=\[[^\]\n]+, \d{4}-\d{2}-\d{2}\] )", text)
    out = []
    for part in parts:
        m = _MEMO_HEAD.match(part)
        if m is None:
            return []
        out.append((m.group(1), part[m.end():].strip()))
    return out


def _speaker_roles(pkg: RefiProject, src: RefiSource) -> tuple[dict[str, str], int]:
    """The roles of a source's speakers as qualcode's export writes them (a text variable
    ``speakers``: ``label (role); …``), and how many other variable values the source has."""
    names = {v.guid: v.name for v in pkg.variables}
    roles: dict[str, str] = {}
    other = 0
    for var, _kind, text in src.values:
        if names.get(var or "") in SPEAKERS_VARIABLES and not roles:
            for item in text.split("; "):
                m = re.fullmatch(r"(.+) \((\w+)\)", item.strip())
                if m and m.group(2) in ROLES:
                    roles[normalize_text(m.group(1))] = m.group(2)
        else:
            other += 1
    return roles, other


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, path).text


def _value(kind: str, text: str) -> str | int | float | bool:
    t = normalize_text(text).strip()
    try:
        if kind == "IntegerValue":
            return int(t)
        if kind == "FloatValue":
            return float(t)
    except ValueError:
        return t
    if kind == "BooleanValue":
        return t.lower() in ("true", "1", "yes")
    return t


class _DryRun(Exception):
    """Raised to roll a dry run back."""


def import_qdpx(project: Project, path: str | Path, *, dry_run: bool = False) -> RefiImportReport:
    """Import one ``.qdpx`` package (see the module docstring). ``dry_run``: do it all,
    report it, roll it back and write no codebook file."""
    if not dry_run:
        return _import(project, Path(path), dry_run=False)
    done: list[RefiImportReport] = []
    try:
        with project.store.transaction():  # the import's own becomes a savepoint of this one
            done.append(_import(project, Path(path), dry_run=True))
            raise _DryRun
    except _DryRun:
        pass
    done[0].dry_run = True
    return done[0]


def _import(project: Project, p: Path, *, dry_run: bool) -> RefiImportReport:
    pkg = read_package(p)
    report = RefiImportReport(path=str(p), origin=pkg.origin)
    ours = re.match(r"qualcode \d", pkg.origin.strip()) is not None  # written by qualcode's export
    note_body = {n.guid: _note_body(pkg, n, p) for n in pkg.notes if n.guid}
    store = project.store
    origin = pkg.origin.lower()
    preferred = (("UTF-16 code units",) if "nvivo" in origin else
                 ("CRLF counted as one",) if "atlas" in origin else ())

    # Users -> coders (names made unique)
    taken_users: set[str] = set()
    coder_of = {g: _unique(normalize_text(n).strip() or g[:8], taken_users, " ") for g, n in pkg.users.items()}
    only = next(iter(coder_of.values())) if len(coder_of) == 1 else project.user
    default_coder = coder_of.get(pkg.creating_user or "", only)

    code_path: dict[str, str] = {}
    codebook: Codebook | None = None
    imported_cb: ImportedCodebook | None = None
    if pkg.codes:
        imported_cb = codebook_yaml(pkg.codes, pkg.origin or None, p.name, title=pkg.name or p.stem,
                                    command="qualcode import")
        codebook = parse_codebook_text(imported_cb.yaml, f"{p}:{pkg.qde}")
        _code_paths(pkg.codes, codebook.codes, code_path)
        report.codes = imported_cb.codes
        for code in codebook.walk():
            have = store.codes.by_path(code.path)
            if have is not None and have.definition and code.definition and have.definition != code.definition:
                raise InputError(f"code {code.path!r} is already in the project with another definition "
                                 "(import into a new project, or rename the code there first)", path=str(p))

    stem = _slug(p.stem)
    has_codebook = (project.config.get("project", {}).get("codebook") is not None
                    or any((project.root / "codebooks").glob("*.y*ml")))
    cb_dir = project.root / "codebooks" / ("imported" if has_codebook else "")
    cb_file = cb_dir / f"{stem}.yaml"
    n = 1
    while cb_file.exists():
        n += 1
        cb_file = cb_dir / f"{stem}_{n}.yaml"

    written: list[Path] = []
    journaled = False
    try:
        with store.transaction():
            ids = _sync_codes(store, codebook) if codebook is not None else {}
            code_notes: dict[str, list[str]] = {}
            _code_notes(pkg.codes, code_path, code_notes)
            refi_ids: list[RefiId] = [RefiId("code", path, g) for g, path in code_path.items()]
            refi_ids += [RefiId("user", coder_of[g], g) for g in pkg.users]
            note_target: dict[str, tuple[str, int | None]] = {}
            for path_, code_id in ids.items():
                for g in code_notes.get(path_, []):
                    note_target.setdefault(g, ("code", code_id))
            doc_of: dict[str, int] = {}
            taken_docs = set(store.documents.names().values())
            seen_names: set[str] = set()
            for src in pkg.sources:
                label = normalize_text(src.name).strip() or src.guid or "source"
                if src.kind != "TextSource":
                    coded = f", {src.other_selections} coded selections" if src.other_selections else ""
                    report.not_carried.append(f"{src.kind} {label!r} (only text sources are imported{coded})")
                    continue
                if label in taken_docs and label not in seen_names:
                    raise InputError(f"a document named {label!r} is already in the project", path=str(p))
                name = _unique(label, taken_docs | seen_names, " ")
                if name != label:
                    report.renamed.append(f"source {label!r} appears twice: the second is {name!r}")
                seen_names.add(name)
                taken_docs.add(name)
                member = member_path(src.plain_path)
                data = pkg.member(member) if member else None
                if data is None and src.inline_text is not None:
                    data = src.inline_text.encode("utf-8")
                if data is None:
                    why = (f"its text {src.plain_path!r} is not in the package" if src.plain_path
                           else "it has no plain text")
                    report.not_carried.append(f"source {label!r}: {why}")
                    report.impossible.extend({"document": label, "selection": s.guid, "start": s.start,
                                              "end": s.end, "reason": "source not imported"} for s in src.selections)
                    continue
                rs = raw_source(_decode(data, f"{p}:{member}"), qualcoder="qualcoder" in origin)
                if not rs.text.strip():
                    report.not_carried.append(f"source {label!r}: empty text")
                    continue
                turns, meta = parse_text(rs.text, ImportOptions())
                convention, placements = place_source(
                    rs, [(s.start, s.end, s.name) for s in src.selections], preferred)
                meta = {**meta, "refi": {"package": p.name, "source": src.guid, "offsets": convention,
                                         "had_bom": rs.had_bom}}
                doc_id = store.documents.insert(
                    name=name, source_path=f"{p.resolve()}!{member or '(inline)'}", fmt="txt", encoding="utf-8",
                    content_hash=hashlib.sha256(data).hexdigest(), text=rs.text, meta=meta)
                parsed = ParsedDocument(text=rs.text, turns=turns, format="txt")
                parsed.validate(f"{p}:{member}")
                parsed.interjections = find_interjections(parsed.text, parsed.turns, parsed.speakers())
                roles, other_values = _speaker_roles(pkg, src) if ours else ({}, len(src.values))
                insert_turns(project, doc_id, parsed, ImportOptions(), kept_roles=roles)
                if other_values:
                    report.not_carried.append(f"source {label!r}: {other_values} variable value(s) "
                                              "(qualcode keeps attributes on cases, not documents)")
                doc_of[src.guid] = doc_id
                refi_ids.append(RefiId("document", name, src.guid))
                sr = SourceReport(name, src.guid, convention, len(turns), 0,
                                  verified=sum(pl.verified for pl in placements))
                if rs.had_bom:
                    sr.notes.append("leading BOM not counted")
                if rs.qualcoder_newlines:
                    sr.notes.append("QualCoder's '\\n ' line ends read as CRLF")
                if src.other_selections:
                    report.not_carried.append(f"source {label!r}: {src.other_selections} non-text selections")
                for g in src.notes:
                    note_target.setdefault(g, ("document", doc_id))
                # qualcode writes a document's memos twice (Description and Notes): once is enough
                if src.description and src.description.strip() and not (ours and src.notes):
                    store.memos.add(target_type="document", target_id=doc_id,
                                    text=normalize_text(src.description).strip(), author=default_coder)
                    report.memos += 1
                seen_spans: set[tuple] = set()
                for sel, pl in zip(src.selections, placements, strict=True):
                    _add_codings(store, report, sr, name, doc_id, sel, pl, code_path, ids, coder_of,
                                 default_coder, seen_spans, refi_ids, note_target, note_body if ours else {})
                report.documents.append(sr)
            _import_cases(store, pkg, report, doc_of, refi_ids, str(p), default_coder, coder_of, ours)
            for note in pkg.notes:
                body = note_body.get(note.guid, "") if note.guid else _note_body(pkg, note, p)
                title = normalize_text(note.name).strip()
                if not body and not title:
                    continue
                # qualcode names its notes after their target ("memo 3 on code X"): the text is the memo
                text = body if ours and body else f"{title}\n\n{body}".strip()
                target_type, target_id = note_target.get(note.guid, ("project", None))
                memo_id = store.memos.add(target_type=target_type, target_id=target_id, text=text,
                                          author=coder_of.get(note.user or "", default_coder))
                report.memos += 1
                if note.guid:
                    refi_ids.append(RefiId("note", str(memo_id), note.guid))
            if pkg.description and pkg.description.strip() and not ours:  # ours: what produced the file
                store.memos.add(target_type="project", target_id=None,
                                text=normalize_text(pkg.description).strip(), author=default_coder)
                report.memos += 1
            store.refi.set_many(refi_ids)
            report.not_carried.extend(pkg.ignored)
            jid = journal.new_id()
            details = {k: v for k, v in report.to_dict().items() if k != "adjusted"}
            if imported_cb is not None and codebook is not None:
                report.codebook_file = str(cb_file.relative_to(project.root))
                report.codebook_is_project_codebook = not has_codebook
                report.codebook_notes = list(imported_cb.notes)
                details |= {"codebook_file": report.codebook_file, "journal": jid}
                if codebook.version and codebook.content_hash:
                    store.versions.record(version=codebook.version, content_hash=codebook.content_hash,
                                          title=codebook.title, source=str(cb_file), content=imported_cb.yaml)
            store.history.log(project.user, "import", "import-refi",
                              f"{p.name}: {len(report.documents)} documents, {report.codes} codes, "
                              f"{report.placed} codings ({len(report.impossible)} impossible)", details)
            if imported_cb is not None and not dry_run:
                # The codebook file and the database in step across a kill: the journal says
                # to remove the file unless the database holds this import's history row.
                cb_dir.mkdir(parents=True, exist_ok=True)
                data = imported_cb.yaml.encode("utf-8")
                journal.begin(project.root, journal.Journal(
                    id=jid, pid=os.getpid(), command="import", operation="import-refi", codebook=cb_file,
                    before=None, after=data))
                journaled = True
                kill_point("refi-import-journaled")
                tmp = journal.temp_name(cb_file, "import")
                written.append(tmp)
                tmp.write_bytes(data)
                tmp.replace(cb_file)
                written.append(cb_file)
                journal.fsync_dir(cb_dir)
                kill_point("refi-import-yaml-written")
        kill_point("refi-import-committed")
    except BaseException:
        for w in written:
            w.unlink(missing_ok=True)
        if journaled:
            journal.end(project.root)
        raise
    if journaled:
        journal.end(project.root)
    return report


def _add_codings(store: Any, report: RefiImportReport, sr: SourceReport, doc: str, doc_id: int, sel: Any,
                 pl: Placement, code_path: dict[str, str], ids: dict[str, int], coder_of: dict[str, str],
                 default_coder: str, seen: set[tuple], refi_ids: list[RefiId],
                 note_target: dict[str, tuple[str, int | None]], note_body: dict[str, str]) -> None:
    where = {"document": doc, "selection": sel.guid, "start": sel.start, "end": sel.end}
    codings = sel.codings or []
    if not codings:
        report.not_carried.append(f"selection {sel.guid} in {doc!r}: no coding")
        return
    for cd in codings:
        path = code_path.get(cd.code or "")
        coder = coder_of.get(cd.user or "") or coder_of.get(sel.user or "") or default_coder
        if pl.reason is not None or pl.start is None or pl.end is None:
            report.impossible.append({**where, "code": path, "coder": coder, "reason": pl.reason})
            continue
        if path is None:
            report.impossible.append({**where, "code": None, "coder": coder,
                                      "reason": f"refers to no code of the codebook ({cd.code})"})
            continue
        key = (ids[path], coder, pl.start, pl.end)
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        memo = normalize_text(sel.description).strip() if sel.description else None
        if memo and len(codings) == 1:  # qualcode's export: the coding's memo, then its notes' texts
            for g in cd.notes:
                tail = note_body.get(g)
                if tail and memo.endswith(tail):
                    memo = memo[: -len(tail)].rstrip()
        cid = store.codings.add(document_id=doc_id, code_id=ids[path], start=pl.start, end=pl.end, coder=coder,
                                origin=ORIGIN, status="accepted", memo=memo or None)
        if cd.guid:
            refi_ids.append(RefiId("coding", str(cid), cd.guid))
        for g in cd.notes:
            note_target.setdefault(g, ("coding", cid))
        if sel.guid:
            refi_ids.append(RefiId("selection", str(cid), sel.guid))
        report.coders[coder] = report.coders.get(coder, 0) + 1
        sr.codings += 1
        if pl.adjusted:
            report.adjusted.append({**where, "code": path, "coder": coder, "to": [pl.start, pl.end],
                                    "reason": f"offsets read as {pl.convention}"})
        else:
            report.exact += 1


def _import_cases(store: Any, pkg: RefiProject, report: RefiImportReport, doc_of: dict[str, int],
                  refi_ids: list[RefiId], path: str, author: str, coder_of: dict[str, str], ours: bool) -> None:
    variables = {v.guid: normalize_text(v.name).strip() for v in pkg.variables}
    used = {var for case in pkg.cases for var, _, _ in case.values}
    if ours:  # qualcode's speakers variable, on the sources
        used |= {var for src in pkg.sources for var, _, _ in src.values}
    refi_ids.extend(RefiId("variable", name, g) for g, name in variables.items() if g and name and g in used)
    existing = {c.name: c for c in store.cases.all()}
    taken: set[str] = set()
    for case in pkg.cases:
        label = normalize_text(case.name).strip() or case.guid[:8]
        name = _unique(label, taken, " ")
        if name != label:
            report.renamed.append(f"case {label!r} appears twice: the second is {name!r}")
        case_id = store.cases.ensure(name)
        report.cases += 1
        if case.guid:
            refi_ids.append(RefiId("case", name, case.guid))
        before = existing.get(name)
        for var, kind, text in case.values:
            attr = variables.get(var or "")
            if not attr:
                report.not_carried.append(f"case {name!r}: a value of an unknown variable ({var})")
                continue
            value = _value(kind, text)
            if before is not None and attr in before.attributes and before.attributes[attr] != value:
                raise InputError(f"case {name!r} already has {attr} = {before.attributes[attr]!r}, "
                                 f"the package says {value!r}", path=path)
            store.cases.set_attribute(case_id, attr, value)
            report.attributes += 1
        for g in case.sources:
            if g in doc_of:
                store.cases.link_document(case_id, doc_of[g])
        if case.description and case.description.strip():
            memos = _memo_paragraphs(normalize_text(case.description).strip()) if ours else []
            known = set(coder_of.values())
            if not memos or any(a not in known for a, _ in memos):
                memos = [(author, normalize_text(case.description).strip())]
            for who, text in memos:
                store.memos.add(target_type="case", target_id=case_id, text=text, author=who)
                report.memos += 1
