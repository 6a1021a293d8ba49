"""``qualcode codebook import FILE.qdc``: a REFI-QDA codebook as a qualcode YAML codebook.

What a ``.qdc`` carries comes back: code names (as labels, with slugs made from them),
the hierarchy, the MacQueen fields from ``Description`` (:func:`qualcode.refi.writer.parse_description`:
qualcode's own layout is recognised, any other description becomes the definition) and
colours. What REFI-QDA cannot carry is said, one line per kind (:data:`NOT_CARRIED`):
coding rules, exclusions, the coding unit, codebook metadata — unless a qualcode codebook
is given as ``like`` (the one the ``.qdc`` came from): codes found in it by name keep
their slug, rules, exclusions and unit. The file written passes ``qualcode codebook check``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.codebook.load import load_codebook
from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.parser import suggest_slug
from qualcode.errors import InputError
from qualcode.exporters.base import atomic_write
from qualcode.refi import CODEBOOK_NS, PROJECT_NS
from qualcode.refi.writer import hex_color, parse_description

#: What a REFI-QDA codebook has no place for, one line each (printed by ``codebook import``).
NOT_CARRIED = (
    "rules: none in REFI-QDA; add 'rules:' to the codes to auto-code (or import with --like CODEBOOK)",
    "exclude: none in REFI-QDA",
    "unit: none in REFI-QDA; the codebook's default (sentence) applies",
    "metadata: none in REFI-QDA (title, language, version, authors); the title is made from the file name",
)


@dataclass
class QdcCode:
    """A code read from a ``.qdc`` (or the ``CodeBook`` of a ``project.qde``)."""

    name: str
    guid: str
    codable: bool
    color: str | None
    description: str | None
    children: list[QdcCode] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # GUIDs of the notes it refers to (NoteRef)


@dataclass
class ImportedCodebook:
    """The YAML text and what it holds."""

    yaml: str
    codes: int
    categories: int  # codes that were not codable (isCodable="false") in the file
    origin: str | None
    notes: list[str]
    matched: int = 0  # codes found by name in the ``like`` codebook


def read_qdc(path: str | Path) -> tuple[list[QdcCode], str | None]:
    """The code tree of a ``.qdc`` file (or a ``project.qde``) and its ``origin``.
    Refuses entities (defusedxml) and what is not a REFI-QDA codebook, in one line."""
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise InputError(f"refused: {exc}", path=str(p)) from None
    except SafeET.ParseError as exc:
        raise InputError(f"not well-formed XML: {exc}", path=str(p)) from None
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if ns not in (CODEBOOK_NS, PROJECT_NS) or local not in ("CodeBook", "Project"):
        raise InputError(f"not a REFI-QDA codebook (expected a CodeBook element in {CODEBOOK_NS})",
                         path=str(p))
    path_ = "Codes" if local == "CodeBook" else "CodeBook/Codes"
    codes_el = root.find("/".join(f"{{{ns}}}{part}" for part in path_.split("/")))
    if codes_el is None:
        raise InputError("the file holds no Codes element", path=str(p))

    def read(el) -> QdcCode:
        desc = el.find(f"{{{ns}}}Description")
        return QdcCode(name=(el.get("name") or "").strip(), guid=el.get("guid") or "",
                       codable=(el.get("isCodable") or "true").strip().lower() not in ("false", "0"),
                       color=el.get("color"), description=desc.text if desc is not None else None,
                       children=[read(c) for c in el.findall(f"{{{ns}}}Code")])

    return [read(c) for c in codes_el.findall(f"{{{ns}}}Code")], root.get("origin")


def _slug(name: str, taken: set[str], index: int) -> str:
    base = suggest_slug(name) or f"code_{index}"
    if base[0].isdigit():
        base = f"code_{base}"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def _match(name: str, candidates: Iterable[Code], by_path: dict[str, Code]) -> Code | None:
    """The code of the reference codebook that ``name`` is: one of ``candidates`` (the
    reference parent's children) with that label, or any code written ``label (path)``
    (the form ``export qdc`` gives codes that share a label)."""
    for c in candidates:
        if name == c.label:
            return c
    if name.endswith(")") and " (" in name:
        label, _, rest = name.rpartition(" (")
        code = by_path.get(rest[:-1])
        if code is not None and code.label == label:
            return code
    return None


def codebook_from_qdc(path: str | Path, *, title: str | None = None, like: Codebook | None = None) -> ImportedCodebook:
    """The qualcode YAML codebook made from the ``.qdc`` at ``path``.

    ``like``: a qualcode codebook (the one the ``.qdc`` was exported from, typically):
    a code whose name is the label of one of its codes under the same parent keeps that
    code's slug, rules, exclusions and unit, and the codebook its title, language, unit,
    version, authors and description, so that ``codebook diff`` compares them code by code and only the
    changes made elsewhere show."""

    codes, origin = read_qdc(path)
    if not codes:
        raise InputError("the codebook holds no codes", path=str(path))
    return codebook_yaml(codes, origin, Path(path).name, title=title, like=like)


def codebook_yaml(codes: list[QdcCode], origin: str | None, source_name: str, *, title: str | None = None,
                  like: Codebook | None = None, command: str = "qualcode codebook import") -> ImportedCodebook:
    """The qualcode YAML codebook of a REFI-QDA code tree (read from ``source_name``, a
    ``.qdc`` or a ``.qdpx``), see :func:`codebook_from_qdc`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import LiteralScalarString

    count = {"codes": 0, "categories": 0, "matched": 0, "with_rules": 0}
    by_path = like.by_path() if like is not None else {}

    def text(value: str) -> str:
        return LiteralScalarString(value) if "\n" in value else value

    def convert(items: Iterable[QdcCode], reference: Iterable[Code]) -> list[CommentedMap]:
        taken: set[str] = set()
        out = []
        reference = list(reference)
        for i, c in enumerate(items, start=1):
            count["codes"] += 1
            count["categories"] += not c.codable
            ref = _match(c.name, reference, by_path) if like is not None else None
            m = CommentedMap()
            if ref is not None and ref.code not in taken:
                count["matched"] += 1
                taken.add(ref.code)
                m["code"], m["label"] = ref.code, ref.label
            else:
                ref = None
                m["code"] = _slug(c.name, taken, i)
                m["label"] = c.name or m["code"]
            fields = parse_description(c.description)
            for key in ("definition", "full_definition", "when_to_use", "when_not_to_use"):
                if key in fields:
                    m[key] = text(fields[key])
            if fields.get("examples"):
                m["examples"] = [text(e) for e in fields["examples"]]
            color = hex_color(c.color)
            if color:
                m["color"] = color
            if ref is not None:
                if ref.unit:
                    m["unit"] = ref.unit
                if ref.rules:
                    count["with_rules"] += 1
                    m["rules"] = [{r.kind: r.value} for r in ref.rules]
                if ref.exclude:
                    m["exclude"] = [{r.kind: r.value} for r in ref.exclude]
            if c.children:
                m["children"] = convert(c.children, ref.children if ref is not None else [])
            out.append(m)
        return out

    converted = convert(codes, like.codes if like is not None else [])
    doc = CommentedMap()
    doc["title"] = title or (like.title if like is not None else f"Imported from {source_name}")
    if like is not None:
        doc["language"] = like.language
        doc["unit"] = like.unit
        if like.declared_version:
            doc["version"] = like.declared_version
        if like.authors:
            doc["authors"] = list(like.authors)
    description = like.description if like is not None else None
    if description or origin:
        doc["description"] = description or f"REFI-QDA codebook written by {origin}"
    doc["codes"] = converted
    notes = list(NOT_CARRIED)
    if like is not None:
        source = Path(like.source).name if like.source else "the reference codebook"
        unmatched = count["codes"] - count["matched"]
        notes = [f"rules, exclude, unit: none in REFI-QDA; kept from {source} for the {count['matched']} code(s) "
                 f"found there by name ({count['with_rules']} with rules); the {unmatched} other(s) have none",
                 f"metadata: none in REFI-QDA; title, language, unit, version, authors and description from {source}"]
    if count["categories"]:
        notes.append(f"categories: {count['categories']} non-codable code(s) (isCodable=\"false\") became "
                     "ordinary codes")
    header = [f"Codebook imported from {source_name} (REFI-QDA) by '{command}'.",
              "What REFI-QDA cannot carry:", *(f"- {line}" for line in notes)]
    doc.yaml_set_start_comment("\n".join(header))
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return ImportedCodebook(yaml=buf.getvalue(), codes=count["codes"], categories=count["categories"],
                            origin=origin, notes=notes, matched=count["matched"])


def import_codebook(path: str | Path, output: str | Path | None = None, *, force: bool = False,
                    title: str | None = None, like: str | Path | None = None) -> ImportedCodebook:
    """Read a ``.qdc`` and, with ``output``, write the YAML codebook there (atomically,
    never over a file without ``force``); ``like``: a qualcode codebook file whose slugs,
    rules and settings codes found there by name keep (see :func:`codebook_from_qdc`)."""
    result = codebook_from_qdc(path, title=title, like=load_codebook(like) if like is not None else None)
    if output is not None:
        with atomic_write(output, force=force) as tmp:
            tmp.write_text(result.yaml, encoding="utf-8")
    return result
