"""A document's life after its import: rename or remove it, rename or merge its speakers,
and list the codings a corrected text could not place (``qualcode docs rename|remove|
orphans``, ``qualcode speakers DOC --rename|--merge``).

Each operation runs in one transaction and writes a history row; removing a document
takes a backup of the project first (``qualcode backups restore`` brings it back).
Replacing a document by a corrected text is :func:`qualcode.ingest.import_paths` with
``replace=True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.backups import backup
from qualcode.errors import QualcodeError, UsageError
from qualcode.importers.speakers import label_form
from qualcode.lookup import select_documents
from qualcode.store.documents import Document, Speaker
from qualcode.store.orphans import OrphanedCoding

if TYPE_CHECKING:
    from qualcode.project import Project


def _one(project: Project, name: str) -> Document:
    return select_documents(project, [name])[0]


def rename_document(project: Project, old: str, new: str) -> dict:
    """Give document ``old`` the name ``new`` (its codings, memos, cases follow: they hold
    its id). Refused if ``new`` is empty or already a document's name."""
    store = project.store
    new = new.strip()
    if not new:
        raise UsageError("the new document name is empty")
    with store.transaction():
        doc = _one(project, old)
        if new == doc.name:
            return {"document": doc.name, "from": doc.name, "to": new, "changed": False}
        if store.documents.by_name(new) is not None:
            raise QualcodeError(f"a document named {new!r} is already in the project")
        store.documents.rename(doc.id, new)
        store.history.log(project.user, "docs rename", "documents", f"renamed document {doc.name} to {new}",
                          {"document_id": doc.id, "from": doc.name, "to": new})
    return {"document": new, "from": doc.name, "to": new, "changed": True}


def removal_counts(project: Project, name: str) -> dict:
    """What removing document ``name`` would delete: codings, memos, decisions, orphans."""
    store = project.store
    doc = _one(project, name)
    ids = [k.id for k in store.codings.spans(document_ids=[doc.id], order=None)]
    memos = store.memos.select(target_type="coding", target_ids=ids) if ids else []
    doc_memos = store.memos.select(target_type="document", target_ids=[doc.id])
    decisions = [d for d in store.review.decisions() if d.coding_id in set(ids) or d.created_coding_id in set(ids)]
    return {"document": doc.name, "id": doc.id, "codings": len(ids), "memos": len(memos) + len(doc_memos),
            "decisions": len(decisions), "orphaned_codings": store.orphans.count(doc.id),
            "turns": len(store.documents.turns(doc.id))}


def remove_document(project: Project, name: str) -> dict:
    """Remove document ``name`` with everything that hangs on it: codings, memos (on it
    and on its codings), review decisions about its codings, turns, speakers, case links,
    annotation cache, orphaned codings. A backup of the project is taken first; returns
    what was removed and the backup's id."""
    store = project.store
    counts = removal_counts(project, name)  # refuses an unknown name before any backup
    saved = backup(project, f"before removing document {counts['document']}", slug="remove-document")
    with store.transaction():
        doc = _one(project, name)
        ids = [k.id for k in store.codings.spans(document_ids=[doc.id], order=None)]
        if ids:
            store.memos.delete_on("coding", ids)
            store.review.delete_for_codings(ids)
            store.codings.delete(ids)
        store.memos.delete_on("document", [doc.id])
        store.documents.delete(doc.id)
        counts["backup"] = saved
        store.history.log(project.user, "docs remove", "documents",
                          f"removed document {doc.name} ({counts['codings']} codings, {counts['memos']} memos;"
                          f" backup {saved})", counts)
    return counts


def _speaker(speakers: list[Speaker], label: str, document: str) -> Speaker:
    """The speaker of this label (exactly, else by its folded form: case, accents)."""
    for s in speakers:
        if s.label == label:
            return s
    folded = [s for s in speakers if label_form(s.label) == label_form(label)]
    if len(folded) == 1:
        return folded[0]
    known = ", ".join(s.label for s in speakers) or "none"
    raise QualcodeError(f"document {document!r} has no speaker {label!r} (speakers: {known})")


def rename_speaker(project: Project, document: str, old: str, new: str) -> dict:
    """Give speaker ``old`` of ``document`` the label ``new`` (its turns, role and case
    follow). Refused if the document already has a speaker ``new``: merge them instead."""
    store = project.store
    new = new.strip()
    if not new:
        raise UsageError("the new speaker label is empty")
    with store.transaction():
        doc = _one(project, document)
        speakers = store.documents.speakers(doc.id)
        sp = _speaker(speakers, old, doc.name)
        if any(s.label == new and s.id != sp.id for s in speakers):
            raise QualcodeError(f"document {doc.name!r} already has a speaker {new!r}: "
                                f"merge them with --merge '{sp.label},{new}={new}'")
        change = {"action": "rename", "from": sp.label, "to": new, "role": sp.role, "turns": sp.turns}
        if sp.label != new:
            store.documents.rename_speaker(sp.id, new)
            store.history.log(project.user, "speakers", "speakers", f"{doc.name}: speaker {sp.label} renamed {new}",
                              {"document": doc.name, "changes": [change]})
    return change


def merge_speakers(project: Project, document: str, sources: list[str], target: str) -> dict:
    """Merge speakers ``sources`` of ``document`` into one labelled ``target`` (one of
    them, another speaker of the document, or a new label): their turns go to it. Its role
    is the one the target speaker has, else the sources' if they agree; sources of
    different roles into a new label are refused (set the roles first with ``--set``)."""
    store = project.store
    target = target.strip()
    if not target or not sources:
        raise UsageError("--merge expects A,B=C: the speakers to merge and the label they take")
    with store.transaction():
        doc = _one(project, document)
        speakers = store.documents.speakers(doc.id)
        merged = list({s.id: s for s in (_speaker(speakers, label, doc.name) for label in sources)}.values())
        existing = next((s for s in speakers if s.label == target), None)
        if existing is None:
            roles = {s.role for s in merged}
            if len(roles) > 1:
                raise QualcodeError(
                    f"speakers {', '.join(s.label for s in merged)} have different roles "
                    f"({', '.join(sorted(roles))}): give them one first with --set, or merge into one of them")
            into = merged[0]
            store.documents.rename_speaker(into.id, target)
        else:
            into = existing
        others = [s for s in merged if s.id != into.id]
        role_changes = [s.label for s in others if s.role != into.role]
        if into.case is None:
            with_case = next((s for s in others if s.case is not None), None)
            if with_case is not None:
                case_id = store.documents.speaker_cases(doc.id).get(with_case.label)
                store.documents.set_speaker_case(into.id, case_id)
        moved = store.documents.merge_speakers([s.id for s in others], into.id)
        change = {"action": "merge", "from": [s.label for s in merged], "to": target, "role": into.role,
                  "turns_moved": moved, "roles_changed": role_changes}
        store.history.log(project.user, "speakers", "speakers",
                          f"{doc.name}: speakers {', '.join(s.label for s in merged)} merged into {target}",
                          {"document": doc.name, "changes": [change]})
    return change


def list_orphans(project: Project, document: str | None = None) -> list[OrphanedCoding]:
    """The codings put aside by corrected transcripts (of one document, or all)."""
    store = project.store
    ids = None if document is None else [_one(project, document).id]
    return store.orphans.select(document_ids=ids)
