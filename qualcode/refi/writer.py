"""Writing REFI-QDA: a project as a ``.qdpx`` package, its codebook as a ``.qdc`` file.

What is written, and why (see ``docs/reference/refi-qda.md`` for the user's view):

* the package is a zip holding ``project.qde`` and, flat under ``sources/``, one UTF-8
  text file per document and per note, named ``<guid>.txt``: no BOM, ``\\n`` line ends
  (qualcode's stored text as it is), so that offsets in code points of the file are
  qualcode's own offsets — what the standard says and what QualCoder reads;
* ``Project@origin`` is ``qualcode <version>`` (QualCoder needs one, and must not find
  "ATLAS" in it);
* codes keep their tree (nested ``Code`` elements), are all codable, carry their colour
  as ``#rrggbb`` and their MacQueen fields in ``Description`` (:func:`code_description`,
  read back by :func:`parse_description`); names are the labels, made unique by adding
  the path when two codes share one (other tools match codes by name);
* every coding of every coder: one ``PlainTextSelection`` per coder and span, the coder
  on ``creatingUser`` (QualCoder drops a second coder's coding inside the same selection),
  one ``Coding`` per code of that coder on that span, the coded text as the selection's
  ``name`` (so that a reader can verify its offsets), the codings' memos as its
  ``Description`` (QualCoder's coding memo);
* users: every coder and memo author; cases with their attributes as typed
  ``Variables`` and ``VariableValue`` elements and ``SourceRef`` to their documents;
  each document's speakers with their roles as a text variable ``speakers`` of its
  ``TextSource`` (the only place REFI-QDA 1.0 has for them);
* memos: project, document, code and coding memos as ``Notes`` (a text file each, with
  author and dates) linked by ``NoteRef`` from their target; document and case memos
  also in the target's ``Description`` (QualCoder ignores those links; a case cannot
  hold a ``NoteRef`` in REFI-QDA 1.0);
* identifiers are UUID 5 under :data:`NAMESPACE`, from the project's uid
  (``store.meta.uid()``) and each entity's stable key (row id, coder name…): the same
  project exported twice gives the same GUIDs, and the zip is byte-identical (fixed
  timestamps, sorted entries, fixed permissions).

Not carried (REFI-QDA 1.0 has no place for them): coding statuses, origins and units,
rules and ``exclude`` lists, code status (retired), turns and their timestamps (the
speaker labels remain in the text where the transcript had them), codebook metadata.
Everything written is validated against the schemas shipped in ``qualcode/refi/schemas/``
before the file is put in place.
"""

from __future__ import annotations

import functools
import io
import math
import re
import shlex
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.analysis.freq import check_statuses
from qualcode.errors import QualcodeError
from qualcode.exporters.base import atomic_write
from qualcode.lookup import select_documents, suggest
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.refi import CODEBOOK_NS, PROJECT_NS
from qualcode.store.codes import Code
from qualcode.store.codings import STATUSES, Coding
from qualcode.store.memos import Memo
from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from qualcode.project import Project

#: The namespace of the UUID 5 identifiers qualcode writes (a fixed, random UUID).
NAMESPACE = uuid.UUID("6f1d3c52-8a47-4f5e-9b0c-2e7a1d9c4b83")
#: The statuses exported unless asked otherwise (rejected codings are not codings).
DEFAULT_STATUSES = ("proposed", "accepted")
#: Zip entries' timestamp (the earliest a zip can hold): two exports are byte-identical.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: The kinds of :class:`Guids` under their names in ``refi_ids`` (where they differ).
_REFI_KINDS = {"memo": "note", "document-variable": "variable"}
#: The date of a note whose memo has no readable date (QualCoder needs one).
EPOCH = "1970-01-01T00:00:00Z"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
#: The name of the documents' speakers variable (the second if a case attribute has the first).
SPEAKERS_VARIABLES = ("speakers", "document speakers", "qualcode document speakers")

# The MacQueen fields in a Description: the definition first, unlabelled, then one
# labelled paragraph per field. Read back in English or French.
_LABELS = (("full_definition", "Full definition"), ("when_to_use", "When to use"),
           ("when_not_to_use", "When not to use"))
_HEADERS = {
    "definition": "definition", "définition": "definition",
    "full definition": "full_definition", "définition complète": "full_definition",
    "when to use": "when_to_use", "quand l'utiliser": "when_to_use", "quand l’utiliser": "when_to_use",
    "when not to use": "when_not_to_use", "quand ne pas l'utiliser": "when_not_to_use",
    "quand ne pas l’utiliser": "when_not_to_use",
    "examples": "examples", "example": "examples", "exemples": "examples", "exemple": "examples",
}
_HEADER_RE = re.compile(r"^\s*(" + "|".join(re.escape(h) for h in sorted(_HEADERS, key=len, reverse=True))
                        + r")\s*:\s?(.*)$", re.IGNORECASE)
_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")
_HEX3 = re.compile(r"#[0-9a-fA-F]{3}")


def _origin() -> str:
    """``Project@origin``: ``qualcode <version>`` (read when writing: ``qualcode`` imports
    the project facade, which binds this module's exports)."""
    return f"qualcode {__import__('qualcode').__version__}"


# --------------------------------------------------------------------------- descriptions


def code_description(code: Any) -> str | None:
    """A code's MacQueen fields as one ``Description`` text (None when it has none):
    the definition, then ``Full definition: …``, ``When to use: …``, ``When not to use: …``
    and ``Examples:`` with one ``- `` line per example, paragraphs apart."""
    parts: list[str] = []
    if getattr(code, "definition", None):
        parts.append(code.definition.strip())
    for attr, label in _LABELS:
        value = getattr(code, attr, None)
        if value:
            parts.append(f"{label}: {value.strip()}")
    examples = [e for e in (getattr(code, "examples", None) or []) if e and e.strip()]
    if examples:
        parts.append("Examples:\n" + "\n".join("- " + e.strip().replace("\n", "\n  ") for e in examples))
    return "\n\n".join(parts) or None


def parse_description(text: str | None) -> dict[str, Any]:
    """The MacQueen fields found in a ``Description`` (the inverse of
    :func:`code_description`): ``definition``, ``full_definition``, ``when_to_use``,
    ``when_not_to_use`` (str) and ``examples`` (list) for those present. A paragraph that
    starts with one of the labels (English or French, any case) opens that field; text
    before any label is the definition, so a description written by another tool becomes
    the definition as it is."""
    if not text or not text.strip():
        return {}
    fields: dict[str, list[str]] = {}
    current = "definition"
    previous_blank = True
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _HEADER_RE.match(line) if previous_blank else None
        if m:
            current = _HEADERS[m.group(1).lower()]
            fields.setdefault(current, []).append(m.group(2))
        else:
            fields.setdefault(current, []).append(line)
        previous_blank = not line.strip()
    out: dict[str, Any] = {}
    for name, lines in fields.items():
        if name == "examples":
            items: list[str] = []
            for line in lines:
                if line.startswith("- "):
                    items.append(line[2:])
                elif line.startswith("  ") and items:
                    items[-1] += "\n" + line[2:]
                elif line.strip():
                    items.append(line.strip())
            examples = [i.strip() for i in items if i.strip()]
            if examples:
                out["examples"] = examples
        else:
            value = "\n".join(lines).strip()
            if value:
                out[name] = value
    return out


def hex_color(color: str | None) -> str | None:
    """A codebook colour (#rgb, #rrggbb or a CSS name) as ``#rrggbb``; None if unknown."""
    if not color:
        return None
    c = color.strip()
    if _HEX6.fullmatch(c):
        return c.lower()
    if _HEX3.fullmatch(c):
        return "#" + "".join(ch * 2 for ch in c[1:]).lower()
    try:  # CSS names (darkorange…): matplotlib knows them all, and is imported only here
        from matplotlib.colors import CSS4_COLORS
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    value = CSS4_COLORS.get(c.lower())
    return value.lower() if isinstance(value, str) and _HEX6.fullmatch(value) else None


# --------------------------------------------------------------------------- identifiers


class Guids:
    """The GUIDs of one project: UUID 5 of ``<project uid>/<kind>/<key>`` under
    :data:`NAMESPACE`, lower case (QualCoder compares them as strings).

    ``imported``: GUIDs a thing already had in a file it was imported from, by (kind,
    local key) — a code's path, a document's, case's, coder's or attribute's name, a
    note's or coding's id as text (the kinds and keys of ``refi_ids``) — written again
    instead of a new one, so that a project that came from another tool goes back to it
    with its own identifiers. One GUID is never given to two things: a second claim on an
    imported GUID gets a UUID 5."""

    def __init__(self, project_uid: str, imported: Mapping[tuple[str, str], str] | None = None):
        self.uid = project_uid
        self.imported = dict(imported or {})
        self._owner: dict[str, tuple[str, str]] = {}

    def __call__(self, kind: str, key: object, local_key: str | None = None) -> str:
        if local_key is not None:
            found = self.imported.get((_REFI_KINDS.get(kind, kind), local_key))
            if found is not None:
                found = found.strip("{}").lower()
                if self._owner.setdefault(found, (kind, local_key)) == (kind, local_key):
                    return found
        return str(uuid.uuid5(NAMESPACE, f"{self.uid}/{kind}/{key}"))


def project_guids(project: Project) -> Guids:
    """The project's :class:`Guids`: those it was imported with first (``refi_ids``)."""
    store = project.store
    return Guids(store.meta.uid(), {(r.kind, r.local_key): r.guid for r in store.refi.all()})


@functools.lru_cache(maxsize=4096)  # codings made together share their timestamps
def _datetime(stamp: str | None) -> str | None:
    """A stored timestamp as xsd:dateTime in UTC (``2024-03-12T10:05:00Z``)."""
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _root(namespace: str, tag: str, attrs: dict[str, str | None]) -> Any:
    """The root element ``tag`` in ``namespace`` (the default namespace of the file)."""
    from lxml import etree  # fast C serialisation, and the schema validator below

    return etree.Element(f"{{{namespace}}}{tag}", _attrs(attrs), nsmap={None: namespace})


def _attrs(attrs: dict[str, str | None] | None) -> dict[str, str]:
    return {k: xml_safe(v) for k, v in (attrs or {}).items() if v is not None}


def _el(parent: Any, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None) -> Any:
    """A child ``tag`` of ``parent``, in its namespace, with the attributes that are set."""
    el = parent.makeelement(parent.tag[:parent.tag.index("}") + 1] + tag, _attrs(attrs))
    parent.append(el)
    if text is not None:
        el.text = xml_safe(text)
    return el


def _xml_bytes(root: Any) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True))


# --------------------------------------------------------------------------- the codebook


def _unique_names(codes: Sequence[Code]) -> dict[int, str]:
    """Code id -> the name written: its label, or ``label (path)`` when another code has
    the same label (compared without case, as several tools do)."""
    counts: dict[str, int] = {}
    for c in codes:
        key = c.label.strip().casefold()
        counts[key] = counts.get(key, 0) + 1
    names: dict[int, str] = {}
    taken: set[str] = set()
    for c in codes:
        label = c.label.strip() or c.path
        name = label if counts[label.casefold()] == 1 else f"{label} ({c.path})"
        while name.casefold() in taken:
            name = f"{name} #{c.id}"
        taken.add(name.casefold())
        names[c.id] = name
    return names


def _code_tree(parent: Any, codes: Sequence[Code], guids: Guids,
               note_refs: dict[int, list[str]] | None = None, hide: Any = None) -> None:
    """``Code`` elements, nested as the codes are, under ``parent`` (a ``Codes`` element);
    ``hide``: a function applied to the names and descriptions (the pseudonym key)."""
    names = _unique_names(codes)
    if hide is not None:
        names = {i: hide(n) for i, n in names.items()}
    kept = {c.id for c in codes}
    children: dict[int | None, list[Code]] = {}
    for c in codes:
        children.setdefault(c.parent_id if c.parent_id in kept else None, []).append(c)

    def add(container: Any, code: Code) -> None:
        el = _el(container, "Code", {"guid": guids("code", code.id, code.path), "name": names[code.id],
                                     "isCodable": "true", "color": hex_color(code.color)})
        description = code_description(code)
        if description and hide is not None:
            description = hide(description)
        if description:
            _el(el, "Description", text=description)
        for ref in (note_refs or {}).get(code.id, []):
            _el(el, "NoteRef", {"targetGUID": ref})
        for child in children.get(code.id, []):
            add(el, child)

    for top in children.get(None, []):
        add(parent, top)


def _codes_with_ancestors(all_codes: Sequence[Code], wanted: Iterable[int]) -> list[Code]:
    by_id = {c.id: c for c in all_codes}
    keep: set[int] = set()
    for code_id in wanted:
        cur = by_id.get(code_id)
        while cur is not None and cur.id not in keep:
            keep.add(cur.id)
            cur = by_id.get(cur.parent_id) if cur.parent_id is not None else None
    return [c for c in all_codes if c.id in keep]


def build_codebook(project: Project, pseudo: Pseudonymizer | None = None) -> tuple[bytes, int]:
    """The ``.qdc`` XML of the project's active codes, and how many codes it holds;
    ``pseudo``: a pseudonym key applied to the names and descriptions (their examples)."""
    store = project.store
    codes = [c for c in store.codes.all() if c.active]
    if not codes:
        raise QualcodeError("the project has no codes yet (run 'qualcode autocode' or 'qualcode code' "
                            "with a codebook first)")
    guids = project_guids(project)
    root = _root(CODEBOOK_NS, "CodeBook", {"origin": _origin()})
    _code_tree(_el(root, "Codes"), codes, guids, hide=None if pseudo is None else
               (lambda value: pseudo.text(value) or value))
    return _xml_bytes(root), len(codes)


# --------------------------------------------------------------------------- the project


@dataclass
class ExportSummary:
    """What an export wrote."""

    output: str
    documents: int = 0
    codes: int = 0
    codings: int = 0
    selections: int = 0
    users: int = 0
    cases: int = 0
    variables: int = 0
    notes: int = 0
    statuses: list[str] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)  # status -> codings not exported

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.output, "documents": self.documents, "codes": self.codes,
                "codings": self.codings, "selections": self.selections, "users": self.users,
                "cases": self.cases, "variables": self.variables, "notes": self.notes,
                "statuses": list(self.statuses), "coders": list(self.coders), "left_out": dict(self.left_out)}


def _memo_text(memos: Sequence[Memo]) -> str:
    """Memos as one Description: each with its author and date, paragraphs apart."""
    return "\n\n".join(f"[{m.author}, {(_datetime(m.created_at) or m.created_at)[:10]}] {m.text}" for m in memos)


def _variable_types(cases: Sequence[Any]) -> dict[str, str]:
    """Attribute name -> REFI-QDA type: Boolean, Integer or Float when every value of it
    is one (integers and floats together: Float), Text otherwise."""
    kinds: dict[str, set[str]] = {}
    for case in cases:
        for name, value in case.attributes.items():
            if isinstance(value, bool):
                kind = "Boolean"
            elif isinstance(value, int):
                kind = "Integer"
            elif isinstance(value, float) and math.isfinite(value):
                kind = "Float"
            else:
                kind = "Text"
            kinds.setdefault(name, set()).add(kind)
    out = {}
    for name, ks in kinds.items():
        if len(ks) == 1:
            out[name] = next(iter(ks))
        elif ks == {"Integer", "Float"}:
            out[name] = "Float"
        else:
            out[name] = "Text"
    return out


def _value(kind: str, value: Any) -> tuple[str, str]:
    if kind == "Boolean":
        return "BooleanValue", "true" if value else "false"
    if kind == "Integer":
        return "IntegerValue", str(int(value))
    if kind == "Float":  # xsd:decimal: no exponent
        return "FloatValue", format(Decimal(repr(float(value))), "f")
    if isinstance(value, bool):
        return "TextValue", "true" if value else "false"
    return "TextValue", str(value)


def _provenance(project: Project, coders: Sequence[str] | None, statuses: Sequence[str],
                documents: Sequence[str] | None) -> str:
    """What produced the file, for ``Project/Description`` (QualCoder's project memo): the
    command without its output file, and the codebook last applied — no date, so that the
    same project gives the same file."""
    args = ["qualcode", "export", "qdpx"]
    for c in coders or []:
        args += ["--coder", c]
    for st in statuses:
        args += ["--status", st]
    for d in documents or []:
        args += ["--document", d]
    last = project.store.versions.last()
    codebook = f"codebook '{last.title}', version {last.version}" if last else "no codebook applied yet"
    return (f"Exported from the qualcode project '{project.name}' by {_origin()} "
            f"({shlex.join(args)}); {codebook}. Coding statuses, rules and speaker turns are not carried "
            "by REFI-QDA.")


@dataclass
class _Package:
    qde: bytes
    files: dict[str, bytes]
    summary: ExportSummary


def build_package(project: Project, *, coders: Sequence[str] | None = None,
                  statuses: Sequence[str] | None = None, documents: Sequence[str] | None = None,
                  pseudo: Pseudonymizer | None = None) -> _Package:
    """``project.qde`` and the files of ``sources/`` for the project (or the chosen coders,
    statuses and documents). ``pseudo``: a pseudonym key applied to the texts (the
    selections' offsets are mapped to the pseudonymized texts), document and project
    names, attribute values, speakers and memos."""
    store = project.store

    def hide(value: str) -> str:
        return value if pseudo is None else (pseudo.text(value) or value)

    statuses = list(check_statuses(statuses))  # default: proposed and accepted
    if coders:
        known = store.codings.coders()
        for c in coders:
            if c not in known:
                raise QualcodeError(f"no coding by coder {c!r}{suggest(c, known)} "
                                    f"(coders: {', '.join(known) or 'none'})")
    docs = select_documents(project, documents)
    doc_ids = [d.id for d in docs]
    codings = store.codings.select(document_ids=doc_ids, coders=list(coders) if coders else None,
                                   statuses=statuses, order="position")
    guids = project_guids(project)
    summary = ExportSummary(output="", statuses=statuses)
    files: dict[str, bytes] = {}

    all_codes = store.codes.all()
    code_ids = {c.id for c in all_codes if c.active} | {k.code_id for k in codings}
    codes = _codes_with_ancestors(all_codes, code_ids)
    code_by_id = {c.id: c for c in codes}
    coding_ids = {k.id for k in codings}
    cases = store.cases.all()
    if documents is not None:
        names = {d.name for d in docs}
        cases = [c for c in cases if names.intersection(c.documents)]

    memos = store.memos.select()
    by_target: dict[tuple[str, int | None], list[Memo]] = {}
    for m in memos:
        by_target.setdefault((m.target_type, m.target_id), []).append(m)
    kept_targets: dict[str, set[int | None]] = {
        "project": {None}, "document": set(doc_ids), "code": set(code_by_id), "coding": set(coding_ids),
        "case": {c.id for c in cases}}
    kept_memos = [m for m in memos if m.target_id in kept_targets.get(m.target_type, set())]
    noted = [m for m in kept_memos if m.target_type != "case"]  # a Case cannot refer to a Note

    users = sorted({k.coder for k in codings} | {m.author for m in kept_memos})
    user_guid = {u: guids("user", u, u) for u in users}

    root = _root(PROJECT_NS, "Project", {"name": hide(project.name), "origin": _origin()})
    if users:
        users_el = _el(root, "Users")
        for u in users:
            _el(users_el, "User", {"guid": user_guid[u], "name": u})

    note_guid = {m.id: guids("memo", m.id, str(m.id)) for m in noted}
    code_notes: dict[int, list[str]] = {}
    for m in noted:
        if m.target_type == "code" and m.target_id is not None:
            code_notes.setdefault(m.target_id, []).append(note_guid[m.id])
    if codes:
        _code_tree(_el(_el(root, "CodeBook"), "Codes"), codes, guids, code_notes, hide if pseudo else None)

    types = _variable_types(cases)
    # a document's speakers and their roles, as a text variable of the source (REFI-QDA has
    # no speakers; QualCoder shows it as a file attribute)
    speakers = {d.id: hide("; ".join(f"{s.label} ({s.role})" for s in store.documents.speakers(d.id)))
                for d in docs}
    speakers = {i: v for i, v in speakers.items() if v}
    speakers_name = next((n for n in SPEAKERS_VARIABLES if n not in types), f"speakers ({len(types)})")
    speakers_guid = guids("document-variable", speakers_name, speakers_name)
    if types or speakers:
        variables_el = _el(root, "Variables")
        for name in sorted(types):
            _el(variables_el, "Variable", {"guid": guids("variable", name, name), "name": name,
                                           "typeOfVariable": types[name]})
        if speakers:
            v = _el(variables_el, "Variable", {"guid": speakers_guid, "name": speakers_name, "typeOfVariable": "Text"})
            _el(v, "Description", text="The speakers of the document and their roles (qualcode), label (role); …")
    doc_guid = {d.id: guids("document", d.id, d.name) for d in docs}
    doc_by_name = {d.name: d for d in docs}
    if cases:
        cases_el = _el(root, "Cases")
        for case in cases:
            case_el = _el(cases_el, "Case", {"guid": guids("case", case.id, case.name), "name": case.name})
            case_memos = by_target.get(("case", case.id), [])
            if case_memos:
                _el(case_el, "Description", text=hide(_memo_text(case_memos)))
            for name, value in case.attributes.items():
                vv = _el(case_el, "VariableValue")
                _el(vv, "VariableRef", {"targetGUID": guids("variable", name, name)})
                tag, text = _value(types[name], value)
                _el(vv, tag, text=hide(text) if tag == "TextValue" else text)
            for doc_name in case.documents:
                if doc_name in doc_by_name:
                    _el(case_el, "SourceRef", {"targetGUID": doc_guid[doc_by_name[doc_name].id]})

    # selections: one per (document, coder, start, end), in reading order
    groups: dict[int, dict[tuple[str, int, int], list[Coding]]] = {}
    for k in codings:
        groups.setdefault(k.document_id, {}).setdefault((k.coder, k.start, k.end), []).append(k)
    coding_notes: dict[int, list[Memo]] = {}
    for m in noted:
        if m.target_type == "coding" and m.target_id is not None:
            coding_notes.setdefault(m.target_id, []).append(m)
    code_names = _unique_names(codes)

    if docs:
        sources_el = _el(root, "Sources")
        for d in docs:
            g = doc_guid[d.id]
            hidden = pseudo.document(d.text) if pseudo is not None else None
            text = hidden.text if hidden is not None else d.text
            files[f"sources/{g}.txt"] = text.encode("utf-8")
            name = d.name if pseudo is None else pseudo.name(d.name)
            src = _el(sources_el, "TextSource", {"guid": g, "name": name, "plainTextPath": f"internal://{g}.txt",
                                                 "creationDateTime": _datetime(d.imported_at)})
            doc_memos = by_target.get(("document", d.id), [])
            if doc_memos:
                _el(src, "Description", text=hide(_memo_text(doc_memos)))
            for (coder, start, end), group in groups.get(d.id, {}).items():
                shown_start, shown_end, shown = start, end, group[0].text
                if hidden is not None:  # the offsets of the pseudonymized text
                    shown_start, shown_end = hidden.position(start), hidden.position(end, end=True)
                    shown = hidden.text[shown_start:shown_end]
                sel = _el(src, "PlainTextSelection", {
                    "guid": guids("selection", f"{d.id}/{coder}/{start}/{end}", str(min(k.id for k in group))),
                    "name": shown, "startPosition": str(shown_start), "endPosition": str(shown_end),
                    "creatingUser": user_guid[coder],
                    "creationDateTime": _datetime(min(k.created_at for k in group)),
                    "modifyingUser": user_guid[coder],
                    "modifiedDateTime": _datetime(max(k.updated_at for k in group))})
                described = [(k, [t for t in [k.memo, *(m.text for m in coding_notes.get(k.id, []))] if t])
                             for k in group]
                described = [(k, texts) for k, texts in described if texts]
                if described:
                    if len(group) == 1:
                        description = "\n\n".join(described[0][1])
                    else:
                        description = "\n\n".join(f"{code_names[k.code_id]}: " + "\n\n".join(texts)
                                                  for k, texts in described)
                    _el(sel, "Description", text=hide(description))
                for k in group:
                    coding_el = _el(sel, "Coding", {"guid": guids("coding", k.id, str(k.id)),
                                                    "creatingUser": user_guid[coder],
                                                    "creationDateTime": _datetime(k.created_at)})
                    _el(coding_el, "CodeRef", {"targetGUID": guids("code", k.code_id, code_by_id[k.code_id].path)})
                    for m in coding_notes.get(k.id, []):
                        _el(coding_el, "NoteRef", {"targetGUID": note_guid[m.id]})
                summary.selections += 1
            for m in doc_memos:
                _el(src, "NoteRef", {"targetGUID": note_guid[m.id]})
            if d.id in speakers:
                vv = _el(src, "VariableValue")
                _el(vv, "VariableRef", {"targetGUID": speakers_guid})
                _el(vv, "TextValue", text=speakers[d.id])

    if noted:
        notes_el = _el(root, "Notes")
        doc_names = {d.id: d.name for d in docs}
        coding_by_id = {k.id: k for k in codings}

        def target_name(m: Memo) -> str:
            if m.target_type == "document" and m.target_id is not None:
                return f"document {doc_names[m.target_id]}"
            if m.target_type == "code" and m.target_id is not None:
                return f"code {code_names[m.target_id]}"
            if m.target_type == "coding" and m.target_id in coding_by_id:
                k = coding_by_id[m.target_id]
                return f"{k.coder}'s coding of {code_names[k.code_id]} in {k.document} ({k.start}-{k.end})"
            return "the project"
        for m in noted:
            g = note_guid[m.id]
            files[f"sources/{g}.txt"] = hide(m.text).encode("utf-8")
            _el(notes_el, "Note", {
                "guid": g, "name": hide(f"memo {m.id} on {target_name(m)}"),
                "plainTextPath": f"internal://{g}.txt", "creatingUser": user_guid[m.author],
                # a Note without a date crashes QualCoder: never leave it out
                "creationDateTime": _datetime(m.created_at) or _datetime(m.updated_at) or EPOCH,
                "modifyingUser": user_guid[m.author],
                "modifiedDateTime": _datetime(m.updated_at)})
    _el(root, "Description", text=hide(_provenance(project, coders, statuses, documents)))
    for m in noted:
        if m.target_type == "project":
            _el(root, "NoteRef", {"targetGUID": note_guid[m.id]})

    summary.documents = len(docs)
    summary.codes = len(codes)
    summary.codings = len(codings)
    summary.users = len(users)
    summary.cases = len(cases)
    summary.variables = len(types) + bool(speakers)
    summary.notes = len(noted)
    summary.coders = sorted({k.coder for k in codings})
    for status in STATUSES:
        if status not in statuses:
            n = store.codings.count(document_ids=doc_ids, coders=list(coders) if coders else None, statuses=[status])
            if n:
                summary.left_out[status] = n
    return _Package(_xml_bytes(root), files, summary)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A zip of ``entries`` (name -> content), sorted by name, every entry with the same
    timestamp and permissions: the same entries always give the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the platform
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name], compresslevel=6)
    return buf.getvalue()


# --------------------------------------------------------------------------- validation


def validate(xml: bytes, kind: str) -> None:
    """Check ``xml`` against the REFI-QDA schema of ``kind`` (``project`` or ``codebook``);
    a :class:`QualcodeError` names the first problem. A failure here is a bug of qualcode:
    nothing is written."""
    from lxml import etree  # the schema validator (lxml is also python-docx's parser)

    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / ("Project.xsd" if kind == "project" else "Codebook.xsd"))))
    doc = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if not schema.validate(doc):
        err = schema.error_log.last_error
        raise QualcodeError(f"internal error: the {kind} XML does not follow the REFI-QDA schema "
                            f"(line {err.line}: {err.message}); nothing was written")


# --------------------------------------------------------------------------- the commands' work


def export_qdpx(project: Project, output: str | Path, *, coders: Sequence[str] | None = None,
                statuses: Sequence[str] | None = None, documents: Sequence[str] | None = None,
                force: bool = False, pseudo: Pseudonymizer | None = None) -> ExportSummary:
    """Write the project (or the chosen coders, statuses, documents) as a REFI-QDA
    ``.qdpx`` package at ``output`` (never overwritten without ``force``); ``pseudo``: a
    pseudonym key applied to what it holds (see :func:`build_package`)."""
    # one snapshot, read without the write lock; the write lock only the first time, when
    # the project's uid must be stored (the package is then built again under it)
    package = project.store.read(lambda: build_package(project, coders=coders, statuses=statuses,
                                                       documents=documents, pseudo=pseudo))
    validate(package.qde, "project")
    data = zip_bytes({"project.qde": package.qde, **package.files})
    with atomic_write(output, force=force) as tmp:
        tmp.write_bytes(data)
    package.summary.output = str(output)
    return package.summary


def qdc_xml(project: Project, pseudo: Pseudonymizer | None = None) -> tuple[bytes, int]:
    """The project's codebook as REFI-QDA ``.qdc`` XML, checked against Codebook.xsd, and
    how many codes it holds (``qualcode export qdc -`` prints it); ``pseudo``: see
    :func:`build_codebook`."""
    with project.store.transaction():
        xml, n = build_codebook(project, pseudo)
        validate(xml, "codebook")
    return xml, n


def export_qdc(project: Project, output: str | Path, *, force: bool = False,
               pseudo: Pseudonymizer | None = None) -> ExportSummary:
    """Write the project's codebook (its active codes) as a REFI-QDA ``.qdc`` file
    (``pseudo``: see :func:`build_codebook`)."""
    with project.store.transaction():
        xml, n = qdc_xml(project, pseudo)
        with atomic_write(output, force=force) as tmp:
            tmp.write_bytes(xml)
    return ExportSummary(output=str(output), codes=n)
