"""Pseudonymized transcripts for archiving or sharing (``qualcode export pseudonymized DIR``).

Each document is written whole, with the key's names replaced, as ``.txt`` (UTF-8) or
``.docx`` (one paragraph per line, Word's built-in styles), under its pseudonymized
name; ``turns.csv`` maps every turn of the stored text to the written one: document,
turn, speaker, time, and the turn's start and end in both texts, so that codings can be
carried over. The mapping holds offsets, never the names. The key must not be inside
``DIR``; each file is audited like every export (see :mod:`qualcode.pseudo.guard`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError, UsageError
from qualcode.exporters.base import atomic_write
from qualcode.exporters.docx_util import body_writer
from qualcode.lookup import select_documents
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("txt", "docx")


@dataclass
class PseudonymizedSet:
    folder: str
    format: str
    documents: list[dict] = field(default_factory=list)  # name, file, replacements, turns
    mapping: str = ""

    def to_dict(self) -> dict:
        return {"folder": self.folder, "format": self.format, "documents": self.documents, "mapping": self.mapping}


def _file_name(name: str, used: set[str], fmt: str) -> str:
    base = re.sub(r"[^\w.\[\] -]+", "_", name).strip(" .") or "document"
    out, n = f"{base}.{fmt}", 2
    while out.casefold() in used:
        out, n = f"{base} ({n}).{fmt}", n + 1
    used.add(out.casefold())
    return out


def export_pseudonymized(project: Project, folder: str | Path, pseudo: Pseudonymizer, *, fmt: str = "txt",
                         documents: list[str] | None = None, force: bool = False,
                         key_path: str | Path | None = None) -> PseudonymizedSet:
    """Write the pseudonymized transcripts and ``turns.csv`` to ``folder`` (created; an
    existing file is overwritten only with ``force``)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    out = Path(folder)
    if key_path is not None:
        key = Path(key_path).expanduser().resolve()
        target = out.expanduser().resolve()
        if key == target or target in key.parents:
            raise UsageError(f"{folder}: the pseudonym key {key_path} is inside this folder; write the "
                             "transcripts elsewhere (the key is never exported)")
    if out.exists() and not out.is_dir():
        raise QualcodeError(f"{out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    store = project.store
    def gather() -> tuple:  # one snapshot, without the write lock
        docs = select_documents(project, documents)
        return docs, {d.id: store.documents.turns(d.id) for d in docs}

    docs, turns = store.read(gather)
    result = PseudonymizedSet(folder=str(out), format=fmt)
    used: set[str] = {"turns.csv"}
    rows: list[list[object]] = []
    for d in docs:
        hidden = pseudo.document(d.text)
        name = pseudo.name(d.name)
        file = _file_name(name, used, fmt)
        with atomic_write(out / file, force=force) as tmp:
            if fmt == "txt":
                tmp.write_text(hidden.text, encoding="utf-8")
            else:
                _write_docx(tmp, hidden.text, name)
        for t in turns[d.id]:
            rows.append([name, file, t.idx, pseudo.text(t.speaker) or "", t.role,
                         "" if t.time_start is None else t.time_start, t.start, t.end,
                         hidden.position(t.start), hidden.position(t.end, end=True)])
        result.documents.append({"name": name, "file": file, "replacements": len(hidden.matches),
                                 "turns": len(turns[d.id])})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["document", "file", "turn", "speaker", "role", "time", "start", "end", "written_start",
                     "written_end"])
    writer.writerows(rows)
    with atomic_write(out / "turns.csv", force=force) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    result.mapping = str(out / "turns.csv")
    return result


def _write_docx(path: Path, text: str, title: str) -> None:
    from docx import Document

    doc = Document()
    doc.core_properties.title = xml_safe(title)
    doc.core_properties.author = "qualcode"
    w = body_writer(doc)  # constant time per paragraph: a transcript has thousands of lines
    for line in text.split("\n"):
        w.paragraph(xml_safe(line))
    doc.save(str(path))
