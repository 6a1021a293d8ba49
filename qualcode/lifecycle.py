"""A document's life after its import: rename or remove it, rename or merge its speakers,
and list the codings a corrected text could not place (``qualcode docs rename|remove|
orphans``, ``qualcode speakers DOC --rename|--merge``).

Each operation runs in one transaction and writes a history row; removing a document
takes a backup of the project first (``qualcode backups restore`` brings it back).
Replacing a document by a corrected text is :func:`qualcode.ingest.import_paths` with
``replace=True``.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from typing import TYPE_CHECKING

from qualcode.backups import backup
from qualcode.errors import QualcodeError, UsageError
from qualcode.importers.speakers import label_form
from qualcode.lookup import select_documents
from qualcode.neardup import SMALL_CHARS, NearIndex, signature
from qualcode.reanchor import Placement, certainly_below, reanchor, similarity
from qualcode.store.codings import Coding
from qualcode.store.documents import Document, Speaker
from qualcode.store.orphans import OrphanedCoding

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    import numpy as np

    from qualcode.project import Project

SIMILAR_MIN = 95.0  # % (rapidfuzz ratio) from which an imported text is reported as a near-duplicate
#: An import's first texts are compared with every document; from the next one on, with the
#: candidates of a NearIndex (whose signatures cost about as much as 13 comparisons each).
INDEX_AFTER = 16


def _one(project: Project, name: str) -> Document:
    return select_documents(project, [name])[0]


def _clean_name(value: str, what: str) -> str:
    """``value`` without surrounding spaces; a usage error if it is empty or holds a
    control character (a line break or tab in a name would break every table and line
    that shows it)."""
    value = value.strip()
    if not value:
        raise UsageError(f"the new {what} is empty")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise UsageError(f"the new {what} {value!r} holds a control character (line break, tab…)")
    return value


def rename_document(project: Project, old: str, new: str) -> dict:
    """Give document ``old`` the name ``new`` (its codings, memos, cases follow: they hold
    its id). Refused if ``new`` is empty, holds a control character or is already a
    document's name."""
    store = project.store
    new = _clean_name(new, "document name")
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
    new = _clean_name(new, "speaker label")
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
    if not target.strip() or not sources:
        raise UsageError("--merge expects A,B=C: the speakers to merge and the label they take")
    target = _clean_name(target, "speaker label")
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


# --------------------------------------------------------------------------- corrected transcripts


def backup_before_replacing(project: Project, items: Iterable[tuple[str, bytes | None, Path]],
                            reads_differently: Callable[[Path, bytes, Document], bool] | None = None
                            ) -> str | None:
    """A backup of the project (its id) when one of ``items`` — (document name, its bytes
    or None for the whole file, the file) — would replace a coded document: by different
    bytes, or by the same bytes read differently (``reads_differently``: ``--replace``
    with other options, or a newer importer). None (no backup) otherwise."""
    store = project.store
    for name, data, f in items:
        doc = store.documents.by_name(name)
        if doc is None or not store.codings.count_for_document(doc.id):
            continue
        try:
            raw = f.read_bytes() if data is None else data
        except OSError:  # the import says why it cannot read it
            continue
        if hashlib.sha256(raw).hexdigest() != doc.content_hash or (
                reads_differently is not None and reads_differently(f, raw, doc)):
            return backup(project, "import --replace")
    return None


def replaced_summary(results: Iterable) -> str:
    """``; e01: 3 kept, 2 moved, 1 changed, 0 orphaned`` for each replaced coded document
    (:class:`~qualcode.ingest.FileResult`), for the history's summary line."""
    return "".join(f"; {r.name}: " + ", ".join(f"{n} {k}" for k, n in r.codings.items())
                   for r in results if r.codings)


def replaced_details(result, backup_id: str | None) -> dict:
    """The history details of a replaced document: its version, the counts and every
    coding's placement, and the backup taken first."""
    if result.codings is None:
        return {}
    return {"version": result.version, "codings": result.codings, "placements": result.placements,
            "backup": backup_id}


def reanchor_codings(project: Project, old: Document, new_text: str) -> list[dict]:
    """Re-anchor the codings of ``old`` (whose text in the store is already ``new_text``)
    and return one report row per coding (see :func:`_row`). Codings kept or moved keep
    everything; changed ones go back to proposed if they were accepted; those that cannot
    be placed (or would land on the span of another coding of the same code and coder)
    move to ``orphaned_codings`` with the memos that were on them.."""
    store = project.store
    codings = store.codings.select(document_ids=[old.id], order="id")
    if not codings:
        return []
    placed = reanchor(old.text, new_text, [(k.id, k.start, k.end) for k in codings])
    by_id = {k.id: k for k in codings}
    # Two codings of one code and coder may land on the same span (an edit merged them):
    # the one already there (kept) or the first keeps it, the other is put aside.
    taken: dict[tuple, int] = {}
    duplicate: dict[int, int] = {}
    order = sorted(placed, key=lambda p: (p.status != "kept", p.status != "moved", p.key))
    for p in order:
        if p.start is None:
            continue
        k = by_id[p.key]  # type: ignore[index]
        key = (k.code_id, k.coder, p.start, p.end)
        if key in taken:
            duplicate[k.id] = taken[key]
        else:
            taken[key] = k.id
    rows: list[dict] = []
    orphans: list[dict] = []
    moves: dict[int, tuple[int, int]] = {}
    review: list[int] = []
    for p in placed:
        k = by_id[p.key]  # type: ignore[index]
        status = p.status
        reason = None
        if k.id in duplicate:
            status, reason = "orphaned", f"lands on the span of coding {duplicate[k.id]} (same code and coder)"
        elif status == "orphaned":
            reason = "its text is no longer in the document"
        row = _row(k, p, status)
        if status == "orphaned":
            row["reason"] = reason
            orphans.append({
                "document_id": old.id, "document_version": old.version, "coding_id": k.id, "code": k.code,
                "start": k.start, "end": k.end, "text": k.text,
                "context_before": old.text[max(0, k.start - 80):k.start], "context_after": old.text[k.end:k.end + 80],
                "unit": k.unit, "coder": k.coder, "origin": k.origin, "status": k.status,
                "codebook_version": k.codebook_version, "memo": k.memo, "reason": reason,
                "created_at": k.created_at})
        else:
            assert p.start is not None and p.end is not None
            if (p.start, p.end) != (k.start, k.end) or new_text[p.start:p.end] != k.text:
                moves[k.id] = (p.start, p.end)  # relocate takes the text again (a changed one may not move)
            if status == "changed" and k.status == "accepted":
                review.append(k.id)
                row["new_status"] = "proposed"
        rows.append(row)
    if orphans:
        ids = [o["coding_id"] for o in orphans]
        memos: dict[int, list[dict]] = {}
        for m in store.memos.select(target_type="coding", target_ids=ids):
            memos.setdefault(m.target_id or 0, []).append(
                {"text": m.text, "author": m.author, "created_at": m.created_at})
        for o in orphans:
            o["memos"] = memos.get(o["coding_id"], [])
        store.memos.delete_on("coding", ids)
        store.orphans.add(orphans)
        store.codings.delete(ids)
    store.codings.relocate(moves)
    if review:
        store.codings.set_status(review, "proposed")
    return rows


def _row(k: Coding, p: Placement, placement: str) -> dict:
    """The report of one coding re-anchored: its id, code, coder and status, where it was
    and where it is now, its old and new text, and how it was placed."""
    return {"id": k.id, "code": k.code, "coder": k.coder, "status": k.status, "placement": placement,
            "old_start": k.start, "old_end": k.end, "start": p.start if placement != "orphaned" else None,
            "end": p.end if placement != "orphaned" else None, "old_text": k.text,
            "new_text": p.new_text if placement != "orphaned" else None, "method": p.method,
            "similarity": round(p.similarity, 1)}


class SimilarTexts:
    """The texts of the project's documents (loaded on first use), to warn when an
    imported text is the same as, or nearly the same as, one already there.

    The texts compared with a new one: for the first ``INDEX_AFTER`` texts of an import,
    every document (importing a few files into a large project makes no signatures); then
    those with the same raw-file hash or the same text (found in dicts), and the
    candidates of a :class:`qualcode.neardup.NearIndex`
    (every short text of a compatible length; long texts sharing a band of their word
    3-grams' MinHash signature), so that an import's cost grows with the texts' size, not
    with the number of pairs. Each candidate then goes through the cheap filters: the
    lengths (two texts ``SIMILAR_MIN`` % alike by rapidfuzz's ratio cannot differ in
    length beyond what that allows), the bound of their line diff
    (:func:`qualcode.reanchor.certainly_below`, which rules out most of them), then shared
    words (a third at least); only the texts left are compared with
    :func:`qualcode.reanchor.similarity`. Warnings come in the order the documents were
    added. Each text's signature, lines and words are made once."""

    def __init__(self, store):
        self.store = store
        self.docs: dict[int, _Known] | None = None  # by sequence number, in the order added
        self._seq = 0
        self._index: NearIndex | None = None  # made at the INDEX_AFTER + 1-th comparison
        self._queries = 0
        self._by_digest: dict[str, list[int]] = {}
        self._by_text: dict[str, list[int]] = {}
        self._by_id: dict[int, int] = {}
        self._last: _Known | None = None  # the text of the last similar(), often add()ed next

    def _load(self) -> dict[int, _Known]:
        if self.docs is None:
            self.docs = {}
            for d in self.store.documents.select():
                self._put(_Known(d.id, d.name, d.text, d.content_hash))
        return self.docs

    def _put(self, known: _Known) -> None:
        assert self.docs is not None
        seq = self._seq
        self._seq += 1
        if known.id is not None:
            old = self._by_id.pop(known.id, None)
            if old is not None:
                del self.docs[old]  # its index entries are skipped from now on
            self._by_id[known.id] = seq
        self.docs[seq] = known
        self._by_digest.setdefault(known.digest, []).append(seq)
        self._by_text.setdefault(known.text, []).append(seq)
        if self._index is not None:
            self._index.add(seq, known.text, known.signature)

    def add(self, doc_id: int, name: str, text: str, digest: str) -> None:
        self._load()
        known = _Known(doc_id, name, text, digest)
        last, self._last = self._last, None
        if last is not None and last.text is text:  # the text just compared: what was made for it
            known.__dict__.update({k: v for k, v in last.__dict__.items() if k in ("signature", "shingles", "lines")})
        self._put(known)

    def similar(self, text: str, digest: str, exclude: int | None) -> list[str]:
        docs = self._load()
        new = self._last = _Known(None, "", text, digest)
        self._queries += 1
        if self._queries <= INDEX_AFTER:  # a few texts: compared with every one, no signatures
            seqs = set(docs)
        else:
            if self._index is None:
                self._index = NearIndex(SIMILAR_MIN)
                for seq, each in docs.items():
                    self._index.add(seq, each.text, each.signature)
            seqs = self._index.candidates(text, new.signature)
            seqs.update(self._by_digest.get(digest, ()))
            seqs.update(self._by_text.get(text, ()))
        out = []
        for seq in sorted(seqs):
            known = docs.get(seq)
            if known is None or known.id == exclude:
                continue
            other, name = known.text, known.name
            if known.digest == digest or other == text:
                out.append(f"the text is identical to document {name!r}, already in the project")
                continue
            short, long_ = sorted((len(text), len(other)))
            if not long_ or 200 * short / (short + long_) < SIMILAR_MIN:  # ratio <= 2·short/(short+long)
                continue
            if certainly_below(text, other, SIMILAR_MIN, lines=(new.lines, known.lines)):
                continue
            shared = len(new.shingles & known.shingles)
            union = len(new.shingles) + len(known.shingles) - shared
            if union and shared / union < 0.3:
                continue
            score = similarity(text, other, cutoff=SIMILAR_MIN, lines=(new.lines, known.lines))
            if score >= SIMILAR_MIN:
                out.append(f"the text is {int(score)} % identical to document {name!r}, already in the project")
        return out


class _Known:
    """A text :class:`SimilarTexts` compares with: its signature, words and lines made
    once, when first needed."""

    def __init__(self, doc_id: int | None, name: str, text: str, digest: str):
        self.id, self.name, self.text, self.digest = doc_id, name, text, digest

    @functools.cached_property
    def signature(self) -> np.ndarray | None:
        return signature(self.text) if len(self.text) >= SMALL_CHARS else None

    @functools.cached_property
    def shingles(self) -> set[int]:
        return _shingles(self.text)

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)


def _shingles(text: str) -> set[int]:
    """Hashes of the text's distinct words (texts 95 % alike share most of them: a
    conservative filter, where word n-grams would drop texts with scattered typos)."""
    return {hash(w) for w in text.split()}
