"""Memos (``qualcode memo``): notes on the project, a document, a case, a code or a coding.

A memo has exactly one target (``target_type`` project | document | case | code | coding and
the target's id; none for the project), a text, an author (the project's user) and
timestamps. Adding, editing and deleting a memo each run in one transaction and write a
history row (operation ``memo``); edits and deletions keep the old text in the history
details, so nothing written is ever lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError, UsageError
from qualcode.lookup import suggest
from qualcode.manual import get_document, resolve_code
from qualcode.store.memos import Memo

if TYPE_CHECKING:
    from qualcode.project import Project

TARGET_TYPES = ("project", "document", "case", "code", "coding")


def _text(text: str | None) -> str:
    if text is None or not text.strip():
        raise UsageError("the memo text is empty")
    return text.strip("\n")


def _resolve_target(project: Project, *, code=None, document=None, coding=None, case=None,
                    project_memo=False) -> tuple[str, int | None]:
    given = [(kind, value) for kind, value in (("code", code), ("document", document), ("coding", coding),
                                                ("case", case)) if value is not None]
    if project_memo:
        given.append(("project", True))
    if len(given) != 1:
        raise UsageError("give exactly one target: --code PATH, --doc NAME, --coding ID, --case NAME "
                         "or --project-memo" + (f" (got {', '.join(k for k, _ in given)})" if given else ""))
    kind, value = given[0]
    store = project.store
    if kind == "project":
        return kind, None
    if kind == "code":
        return kind, resolve_code(project, str(value), allow_retired=True)
    if kind == "document":
        return kind, get_document(project, str(value)).id
    if kind == "case":
        cid = store.cases.id(str(value))
        if cid is None:
            known = list(store.cases.names().values())
            raise QualcodeError(f"no case named {value!r}{suggest(str(value), known)} (see 'qualcode cases')")
        return kind, cid
    try:
        cid = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"--coding expects a coding id (a number), got {value!r}") from None
    if not store.codings.exists(ids=[cid]):
        raise QualcodeError(f"no coding with id {cid} (the ids are in 'qualcode show DOC --json')")
    return kind, cid


def _describe(store, target_type: str, target_id: int | None) -> dict:
    """Readable target fields: ``target`` (a name), plus document/code for codings."""
    out: dict = {"target": None, "document": None, "code": None}
    if target_type == "project":
        out["target"] = "project"
    elif target_type == "document":
        out["target"] = out["document"] = store.documents.names().get(target_id)
    elif target_type == "case":
        out["target"] = store.cases.names().get(target_id)
    elif target_type == "code":
        code = store.codes.get(target_id) if target_id is not None else None
        out["target"] = out["code"] = code.path if code else None
    else:
        k = store.codings.get(target_id) if target_id is not None else None
        if k:
            out["document"], out["code"] = k.document, k.code
            out["target"] = f"coding {target_id} ({k.code}, {k.document} {k.start}:{k.end})"
    if out["target"] is None:
        out["target"] = f"{target_type} {target_id} (deleted)"
    return out


def _row(store, r: Memo) -> dict:
    return {"id": r.id, "target_type": r.target_type, "target_id": r.target_id,
            **_describe(store, r.target_type, r.target_id),
            "text": r.text, "author": r.author, "created_at": r.created_at,
            "updated_at": r.updated_at}


def get_memo(project: Project, memo_id: int) -> dict:
    r = project.store.memos.get(int(memo_id))
    if r is None:
        raise QualcodeError(f"no memo with id {memo_id} (see 'qualcode memo list')")
    return _row(project.store, r)


def add_memo(project: Project, text: str, *, code: str | None = None, document: str | None = None,
             coding: int | None = None, case: str | None = None, project_memo: bool = False) -> dict:
    """Attach a memo to exactly one target (which must exist); returns the memo as listed."""
    text = _text(text)
    store = project.store
    with store.transaction():
        kind, target_id = _resolve_target(project, code=code, document=document, coding=coding, case=case,
                                          project_memo=project_memo)
        memo_id = store.memos.add(target_type=kind, target_id=target_id, text=text, author=project.user)
        memo = get_memo(project, memo_id)
        store.history.log(project.user, "memo add", "memo", f"memo {memo['id']} added on {memo['target']}",
                  {"memo": memo["id"], "action": "add", "target_type": kind, "target_id": target_id,
                   "target": memo["target"], "text": text})
    return memo


def edit_memo(project: Project, memo_id: int, text: str) -> dict:
    """Replace a memo's text; the old text is kept in the history."""
    text = _text(text)
    store = project.store
    with store.transaction():
        old = get_memo(project, memo_id)
        if old["text"] == text:
            return old
        store.memos.edit(old["id"], text)
        memo = get_memo(project, memo_id)
        store.history.log(project.user, "memo edit", "memo", f"memo {memo['id']} on {memo['target']} edited",
                  {"memo": memo["id"], "action": "edit", "target_type": memo["target_type"],
                   "target_id": memo["target_id"], "target": memo["target"], "old_text": old["text"],
                   "text": text, "author": old["author"]})
    return memo


def delete_memo(project: Project, memo_id: int) -> dict:
    """Delete a memo; its text is kept in the history. Returns the deleted memo."""
    store = project.store
    with store.transaction():
        old = get_memo(project, memo_id)
        store.memos.delete(old["id"])
        store.history.log(project.user, "memo delete", "memo", f"memo {old['id']} on {old['target']} deleted",
                  {"memo": old["id"], "action": "delete", "target_type": old["target_type"],
                   "target_id": old["target_id"], "target": old["target"], "old_text": old["text"],
                   "author": old["author"], "created_at": old["created_at"]})
    return old


def list_memos(project: Project, *, code: str | None = None, document: str | None = None,
               coding: int | None = None, case: str | None = None, project_memo: bool = False) -> list[dict]:
    """Memos in creation order. Filters combine (all must hold):

    - ``code``: memos on the code or its sub-codes, and on their codings;
    - ``document``: memos on the document and on its codings;
    - ``coding``: memos on that coding;  ``case``: memos on the case;
    - ``project_memo``: project memos only.
    """
    store = project.store
    if document is not None:
        get_document(project, document)
    if case is not None and store.cases.id(case) is None:
        raise QualcodeError(f"no case named {case!r} (see 'qualcode cases')")
    code = code.strip().strip("/") if code else code
    if code and store.codes.by_path(code) is None:
        known = store.codes.paths()
        raise QualcodeError(f"unknown code {code!r}{suggest(code, known)}")
    out = []
    for r in store.memos.select():
        m = _row(store, r)
        if project_memo and m["target_type"] != "project":
            continue
        if coding is not None and not (m["target_type"] == "coding" and m["target_id"] == int(coding)):
            continue
        if case is not None and not (m["target_type"] == "case" and m["target"] == case):
            continue
        if document is not None and m["document"] != document:
            continue
        if code and not (m["code"] == code or (m["code"] or "").startswith(code + "/")):
            continue
        out.append(m)
    return out
