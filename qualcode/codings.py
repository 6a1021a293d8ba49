"""Querying codings (``qualcode codings``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.store import TurnIndex

if TYPE_CHECKING:
    from qualcode.project import Project


def list_codings(project: Project, *, code: str | None = None, document: str | None = None,
                 coder: str | None = None, status: str | None = None) -> list[dict]:
    """Codings in document order. ``code`` selects the code and its descendants.

    Each row: document, turn (1-based index of the turn containing the coding's start;
    None if outside every turn), start, end, code, coder, origin, status, text, plus id,
    unit, codebook_version and memo.
    """
    store = project.store
    rows = store.codings.select(under=code or None, documents=[document] if document else None,
                                coders=[coder] if coder else None, statuses=[status] if status else None)
    turns = TurnIndex(store)
    out = []
    for r in rows:
        turn = turns.number(r.document_id, r.start)
        out.append({
            "document": r.document, "turn": turn, "start": r.start, "end": r.end,
            "code": r.code, "coder": r.coder, "origin": r.origin, "status": r.status,
            "text": r.text, "id": r.id, "unit": r.unit,
            "codebook_version": r.codebook_version, "memo": r.memo,
        })
    return out
