"""Reading a REFI-QDA project package (``.qdpx``) safely into plain records.

A ``.qdpx`` comes from elsewhere, so it is opened defensively: the limits of
:data:`qualcode.ziplimits.QDPX` on members, sizes and compression ratios (zip bombs), no
member name that is absolute or climbs out of the package (zip slip; nothing is ever
extracted to disk anyway), XML parsed by defusedxml (no DTD, no entities). Every failure
is one :class:`~qualcode.errors.InputError` naming the package and the member.

Lenient on what real files do: ``Sources/`` or ``sources/``; a root ``project.qde`` or a
single other ``*.qde`` (ATLAS.ti names it after the project); GUIDs upper case or in
braces (normalized to lower case without braces); elements read by local name, with or
without the REFI-QDA namespace; missing optional attributes and dates.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import InputError
from qualcode.refi.codebook import QdcCode
from qualcode.ziplimits import QDPX, check_zip


def guid(value: str | None) -> str | None:
    """A GUID as compared and stored: stripped, without braces, lower case."""
    if value is None:
        return None
    g = value.strip().strip("{}").strip().lower()
    return g or None


#: A code of the package's codebook (the same record as a ``.qdc``'s).
RefiCode = QdcCode


@dataclass
class RefiCodingRef:
    guid: str | None
    code: str | None  # code GUID
    user: str | None  # user GUID (Coding@creatingUser)
    notes: list[str] = field(default_factory=list)  # NoteRef GUIDs


@dataclass
class RefiSelection:
    guid: str | None
    start: int | None
    end: int | None
    name: str  # QualCoder: the selected text; NVivo: ""; others: a label
    user: str | None
    description: str | None
    codings: list[RefiCodingRef]
    line: int | None = None


@dataclass
class RefiSource:
    guid: str
    name: str
    kind: str  # TextSource, PDFSource, …
    plain_path: str | None
    rich_path: str | None
    inline_text: str | None
    description: str | None
    selections: list[RefiSelection]
    other_selections: int = 0  # selections of kinds qualcode does not read (pictures, audio…)
    notes: list[str] = field(default_factory=list)  # NoteRef GUIDs
    values: list[tuple[str | None, str, str]] = field(default_factory=list)  # (variable GUID, kind, text)


@dataclass
class RefiVariable:
    guid: str
    name: str
    type: str  # Text, Boolean, Integer, Float, Date, DateTime
    description: str | None


@dataclass
class RefiCase:
    guid: str
    name: str
    description: str | None
    values: list[tuple[str | None, str, str]]  # (variable GUID, value kind, value text)
    sources: list[str]  # source GUIDs


@dataclass
class RefiNote:
    guid: str
    name: str
    text: str | None  # inline PlainTextContent
    plain_path: str | None
    user: str | None
    created: str | None


@dataclass
class RefiProject:
    """What a ``project.qde`` holds, plus the package's members."""

    name: str
    origin: str
    creating_user: str | None
    users: dict[str, str]  # GUID -> name
    codes: list[RefiCode]
    variables: list[RefiVariable]
    cases: list[RefiCase]
    sources: list[RefiSource]
    notes: list[RefiNote]
    description: str | None
    qde: str  # the member name of the project file
    members: dict[str, bytes]  # lower-cased member name -> bytes
    ignored: list[str] = field(default_factory=list)  # elements qualcode does not carry
    notes_refs: list[str] = field(default_factory=list)  # the project's NoteRef GUIDs

    def member(self, path: str) -> bytes | None:
        """A member by its path inside the package (folder and name case-insensitive)."""
        return self.members.get(path.lower().lstrip("/"))


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c.tag) == name]


def _under(el: Any | None, container: str, name: str) -> list[Any]:
    """The ``name`` children of ``el``'s ``container`` child (none when either is missing)."""
    box = _kid(el, container) if el is not None else None
    return _kids(box, name) if box is not None else []


def _kid(el: Any, name: str) -> Any | None:
    found = _kids(el, name)
    return found[0] if found else None


def _text(el: Any | None) -> str | None:
    if el is None:
        return None
    return "".join(el.itertext()) or None


def _refs(el: Any, name: str) -> list[str]:
    """The target GUIDs of ``el``'s ``name`` children (``NoteRef``, ``SourceRef``…)."""
    return [g for r in _kids(el, name) if (g := guid(r.get("targetGUID")))]


_VALUE_KINDS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")


def _values(el: Any) -> list[tuple[str | None, str, str]]:
    """``el``'s ``VariableValue`` children as (variable GUID, value kind, value text)."""
    out = []
    for vv in _kids(el, "VariableValue"):
        ref = _kid(vv, "VariableRef")
        for kind in _VALUE_KINDS:
            v = _kid(vv, kind)
            if v is not None:
                out.append((guid(ref.get("targetGUID")) if ref is not None else None, kind, _text(v) or ""))
    return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read_members(path: Path) -> dict[str, bytes]:
    """The members of a package, under :data:`qualcode.ziplimits.QDPX` (zip bombs) and
    refusing any member name that would land outside the package (zip slip)."""
    p = str(path)
    infos = check_zip(path, QDPX, path=p)
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            raise InputError(f"member {info.filename!r} would be written outside the package "
                             "(zip slip): refused", path=p)
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                if info.is_dir():
                    continue
                key = posixpath.normpath(info.filename.replace("\\", "/")).lower()
                out[key] = zf.read(info)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"a member cannot be read ({exc})", path=p) from None
    return out


def parse_xml(data: bytes, path: str, member: str) -> Any:
    """The root element of a member's XML (defusedxml), or a one-line InputError."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        return DET.fromstring(data)
    except DefusedXmlException as exc:
        raise InputError(f"{member}: XML with a DTD or entities, refused ({type(exc).__name__})",
                         path=path) from None
    except DET.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        where = f"{member} line {line}" if line else member
        raise InputError(f"{where}: not well-formed XML ({str(exc).split(':')[0]})", path=path) from None


def read_package(path: str | Path) -> RefiProject:
    """Open a ``.qdpx`` and parse its project file; nothing is written anywhere."""
    p = Path(path)
    members = read_members(p)
    roots = sorted(k for k in members if "/" not in k and k.endswith(".qde"))
    if "project.qde" in roots:
        qde = "project.qde"
    elif len(roots) == 1:
        qde = roots[0]
    else:
        raise InputError("no project.qde in the package" if not roots else
                         f"{len(roots)} .qde files in the package ({', '.join(roots)}): which one?", path=str(p))
    root = parse_xml(members[qde], str(p), qde)
    if _local(root.tag) != "Project":
        raise InputError(f"{qde}: not a REFI-QDA project (root element {_local(root.tag)!r})", path=str(p))
    return _project(root, qde, members)


def _project(root: Any, qde: str, members: dict[str, bytes]) -> RefiProject:
    ignored: list[str] = []
    users: dict[str, str] = {}
    for u in _under(root, "Users", "User"):
        g = guid(u.get("guid"))
        if g:
            users[g] = (u.get("name") or "").strip() or g[:8]

    def code(el: Any) -> RefiCode:
        return RefiCode(guid=guid(el.get("guid")) or "", name=(el.get("name") or "").strip(),
                        color=el.get("color"), description=_text(_kid(el, "Description")),
                        codable=(el.get("isCodable") or "true").strip().lower() not in ("false", "0"),
                        children=[code(c) for c in _kids(el, "Code")], notes=_refs(el, "NoteRef"))

    codebook = _kid(root, "CodeBook")
    codes = [code(c) for c in _under(codebook, "Codes", "Code")]
    variables = [RefiVariable(guid(v.get("guid")) or "", (v.get("name") or "").strip(),
                              v.get("typeOfVariable") or "Text", _text(_kid(v, "Description")))
                 for v in _under(root, "Variables", "Variable")]
    cases = []
    for c in _under(root, "Cases", "Case"):
        cases.append(RefiCase(guid(c.get("guid")) or "", (c.get("name") or "").strip(),
                              _text(_kid(c, "Description")), _values(c),
                              _refs(c, "SourceRef")))
    sources = []
    for s in (list(box) if (box := _kid(root, "Sources")) is not None else []):
        kind = _local(s.tag)
        sels = []
        other = 0
        for sel in s:
            tag = _local(sel.tag)
            if tag == "PlainTextSelection":
                sels.append(RefiSelection(
                    guid=guid(sel.get("guid")), start=_int(sel.get("startPosition")),
                    end=_int(sel.get("endPosition")), name=sel.get("name") or "",
                    user=guid(sel.get("creatingUser")), description=_text(_kid(sel, "Description")),
                    codings=[RefiCodingRef(guid(cd.get("guid")),
                                           guid(r.get("targetGUID")) if (r := _kid(cd, "CodeRef")) is not None
                                           else None, guid(cd.get("creatingUser")), _refs(cd, "NoteRef"))
                             for cd in _kids(sel, "Coding")]))
            elif tag.endswith("Selection"):
                other += 1
        sources.append(RefiSource(
            guid=guid(s.get("guid")) or "", name=(s.get("name") or "").strip(), kind=kind,
            plain_path=s.get("plainTextPath"), rich_path=s.get("richTextPath"),
            inline_text=_text(_kid(s, "PlainTextContent")), description=_text(_kid(s, "Description")),
            selections=sels, other_selections=other, notes=_refs(s, "NoteRef"), values=_values(s)))
    notes = [RefiNote(guid(n.get("guid")) or "", (n.get("name") or "").strip(), _text(_kid(n, "PlainTextContent")),
                      n.get("plainTextPath"), guid(n.get("creatingUser")), n.get("creationDateTime"))
             for n in _under(root, "Notes", "Note")]
    for what in ("Sets", "Graphs", "Links"):
        el = _kid(root, what)
        if el is not None and len(el):
            ignored.append(f"{len(el)} {what.lower()}")
    return RefiProject(name=root.get("name") or "", origin=root.get("origin") or "",
                       creating_user=guid(root.get("creatingUserGUID")), users=users, codes=codes,
                       variables=variables, cases=cases, sources=sources, notes=notes,
                       description=_text(_kid(root, "Description")), qde=qde, members=members,
                       ignored=ignored, notes_refs=_refs(root, "NoteRef"))


def member_path(ref: str | None) -> str | None:
    """The package member a ``plainTextPath``/``richTextPath`` names (``internal://x.txt`` ->
    ``sources/x.txt``); None for a file outside the package (``absolute://``, ``file://``)."""
    if not ref:
        return None
    ref = ref.strip()
    if ref.startswith("internal://"):
        return "sources/" + ref[len("internal://"):].lstrip("/")
    if "://" in ref:
        scheme = ref.split("://", 1)[0]
        if scheme in ("absolute", "file", "http", "https"):
            return None
        ref = ref.split("://", 1)[1]
    return "sources/" + posixpath.basename(ref.replace("\\", "/"))  # qc: a bare file name
