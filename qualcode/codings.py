"""Querying codings (``qualcode codings``)."""

from __future__ import annotations

from qualcode.project import Project
from qualcode.store import TurnIndex


def list_codings(project: Project, *, code: str | None = None, document: str | None = None,
                 coder: str | None = None, status: str | None = None) -> list[dict]:
    """Codings in document order. ``code`` selects the code and its descendants.

    Each row: document, turn (1-based index of the turn containing the coding's start;
    None if outside every turn), start, end, code, coder, origin, status, text, plus id,
    unit, codebook_version and memo.
    """
    store = project.store
    sql = ('SELECT k.id, d.name AS document, k.document_id, k.start, k."end", c.path AS code, k.coder,'
           " k.origin, k.status, k.text, k.unit, k.codebook_version, k.memo"
           " FROM codings k JOIN documents d ON d.id = k.document_id JOIN codes c ON c.id = k.code_id"
           " WHERE 1 = 1")
    params: list = []
    if code:
        sql += " AND (c.path = ? OR c.path LIKE ? ESCAPE '\\')"
        params += [code, code.replace("_", "\\_").replace("%", "\\%") + "/%"]
    if document:
        sql += " AND d.name = ?"
        params.append(document)
    if coder:
        sql += " AND k.coder = ?"
        params.append(coder)
    if status:
        sql += " AND k.status = ?"
        params.append(status)
    rows = store.execute(sql + ' ORDER BY d.name, k.start, k."end", c.path, k.coder', params).fetchall()
    turns = TurnIndex(store)
    out = []
    for r in rows:
        turn = turns.number(r["document_id"], r["start"])
        out.append({
            "document": r["document"], "turn": turn, "start": r["start"], "end": r["end"],
            "code": r["code"], "coder": r["coder"], "origin": r["origin"], "status": r["status"],
            "text": r["text"], "id": r["id"], "unit": r["unit"],
            "codebook_version": r["codebook_version"], "memo": r["memo"],
        })
    return out
