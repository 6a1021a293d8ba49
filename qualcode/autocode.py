"""Auto-coding: apply a codebook's rules to the project's documents (``qualcode autocode``).

Flow: load and lint the codebook → load the pipeline → annotations from the project's
cache (the pipeline only runs on documents whose text, turns or pipeline changed) →
:func:`qualcode.rules.apply` → compare with the stored rule codings → write the
difference in one transaction.

Rule codings have coder ``rules``, status ``proposed``, the rule that matched as origin
and the codebook version (short content hash). Re-running with the same codebook changes
nothing. With an edited codebook the proposals that the rules no longer make are removed
and new ones added; codings made by people are never touched, and rule codings that a
person already accepted or rejected are kept as they are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from qualcode.annotations import keep_pattern_matches, load_annotations, load_pattern_matches, load_term_cache
from qualcode.codebook import load_codebook, renames
from qualcode.codebook.load import built_from, code_order_key, codebook_unchanged
from qualcode.codebook.sync import code_specs
from qualcode.coders import RULES_CODER
from qualcode.errors import QualcodeError
from qualcode.lookup import select_documents
from qualcode.nlp import load_pipeline
from qualcode.rules import PatternCache, apply, compile_codebook, term_cache_key, without_interjections
from qualcode.store import now
from qualcode.store.codings import CodedSpan, NewCoding
from qualcode.testhooks import pause_point

if TYPE_CHECKING:
    from qualcode.project import Project


@dataclass
class CodeDiff:
    added: int = 0
    removed: int = 0
    total: int = 0  # rule codings of this code after the run


@dataclass
class AutocodeReport:
    codebook: str
    version: str | None  # the codebook's version (None: a codebook without a content hash)
    pipeline: str
    pipeline_description: str
    documents: int
    annotated: int  # documents whose annotation was (re)computed
    cached: int  # documents whose annotation came from the cache
    per_code: dict[str, CodeDiff] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def added(self) -> int:
        return sum(d.added for d in self.per_code.values())

    @property
    def removed(self) -> int:
        return sum(d.removed for d in self.per_code.values())

    def to_dict(self) -> dict:
        return {
            "codebook": self.codebook, "version": self.version, "pipeline": self.pipeline,
            "pipeline_description": self.pipeline_description,
            "documents": self.documents, "annotated": self.annotated, "cached": self.cached,
            "dry_run": self.dry_run, "added": self.added, "removed": self.removed,
            "codes": {p: vars(d) for p, d in self.per_code.items()},
        }


def _record_version(project: Project, codebook, path: Path) -> None:
    content = path.read_text(encoding="utf-8")
    project.store.versions.record(version=codebook.version, content_hash=codebook.content_hash,
                                  title=codebook.title, source=str(path), content=content)
    _keep_code_order(project, codebook, content)


def _keep_code_order(project: Project, codebook, content: str, *, if_missing: bool = False) -> bool:
    """Keep the codes of ``codebook``, in order, for the reports, under the text it was
    read from (when this process built it from exactly that text); ``if_missing``: only if
    the project lacks them (coded before this qualcode's codebook reader changed). True if
    written."""
    key = code_order_key(content)
    if not built_from(content, codebook) or (if_missing and project.store.meta.get(key) is not None):
        return False
    project.store.meta.set(key, json.dumps([c.path for c in codebook.walk()]))
    return True


def autocode(
    project: Project,
    codebook_path: str | Path | None = None,
    *,
    documents: list[str] | None = None,
    dry_run: bool = False,
    include_interviewer: bool = False,
    progress: Callable[[int], None] | None = None,
    check_renames: bool = True,
) -> AutocodeReport:
    """``check_renames``: refuse (:class:`qualcode.codebook.renames.RenameSuspected`) when a
    code that people coded disappeared from the codebook while a new code looks the same
    (a rename made by hand, which would leave its codings on a code no longer in the
    codebook); ``qualcode codebook rename OLD NEW`` then makes the project follow."""
    # The codebook is read before the write lock is taken (compiling its rules takes a
    # while): a command that revised it meanwhile (``codebook rename``…) would be undone by
    # writing the old codes back. So it is checked again under the lock, and read again
    # if it changed.
    for _attempt in range(_ATTEMPTS):
        path = project.codebook_path(codebook_path)
        codebook = load_codebook(path)
        if codebook.language != project.language:
            raise QualcodeError(f"the codebook is for language {codebook.language!r} but the project's "
                                f"transcripts are {project.language!r}", path=str(path))
        if check_renames:
            renames.check_renames(project, codebook)
        pipeline = load_pipeline(project.language)
        term_key = term_cache_key(pipeline)
        term_cache = load_term_cache(project, term_key)
        known = set(term_cache)
        compiled = compile_codebook(codebook, pipeline, term_cache=term_cache)
        new_terms = {t: a for t, a in term_cache.items() if t not in known}
        docs = select_documents(project, documents or None, order="given", suggest_names=False)
        report = AutocodeReport(codebook=str(path), version=codebook.version, pipeline=pipeline.name,
                                pipeline_description=pipeline.description,
                                documents=len(docs), annotated=0, cached=0, dry_run=dry_run)
        pause_point("autocode-codebook-read")
        try:
            with suppress(_DryRun):
                _write_codings(project, codebook, path, docs, report, dry_run, include_interviewer, progress,
                               pipeline, compiled, (term_key, new_terms))
        except _CodebookChanged:
            continue
        return report
    raise QualcodeError("the codebook kept changing while autocode ran (another command is revising it): "
                        "nothing was changed; try again", path=str(path))


_ATTEMPTS = 3


class _CodebookChanged(Exception):
    """Raised inside the transaction when the codebook file no longer says what was read."""


class _DryRun(Exception):
    """Raised inside the transaction to roll it back when nothing must be written."""


def _write_codings(project, codebook, path, docs, report, dry_run, include_interviewer, progress,
                   pipeline, compiled, new_terms) -> None:
    store = project.store
    with store.transaction():
        pause_point("autocode-locked")
        if not codebook_unchanged(path, codebook):
            raise _CodebookChanged
        # kept only if this run writes anything (a re-run that changes nothing writes nothing)
        term_key, analyses = new_terms
        store.annotations.put_terms(term_key, analyses)  # drops analyses by another pipeline
        # Rules are applied to each document as soon as its annotation is ready, while the
        # worker processes annotate the next ones.
        roles = {d.id: [t.role for t in store.documents.turns(d.id)] for d in docs}
        # Interviewer interjections inside participants' turns ("[E: Hum hum.]"): not the
        # participant's words, left out like interviewer turns unless include_interviewer.
        quiet = {} if include_interviewer else {
            doc_id: [(x.start, x.end) for x in xs if x.role == "interviewer"]
            for doc_id, xs in store.interjections.of_documents([d.id for d in docs]).items()}
        # Each document's proposals are kept until all are known, as compact tuples (code
        # path, start, end, origin, unit kind; the rule matches, which nothing below reads,
        # are dropped and equal origins shared): a third of the memory of the Proposals.
        found: dict[int, list[tuple[str, int, int, str, str]]] = {}
        origins: dict[str, str] = {}
        # The pattern rules' matches of the last run, per document: still valid after an
        # edit that leaves the patterns alone, they spare importing spaCy for its Matcher.
        stored_matches = load_pattern_matches(project, [d.id for d in docs]) if compiled.patterns else {}
        new_matches: dict[int, tuple[str, list[tuple[int, int, int]]]] = {}

        def code_document(doc_id: int, annotation) -> None:
            cache = PatternCache(stored_matches.get(doc_id)) if compiled.patterns else None
            found[doc_id] = [
                (p.code_path, p.start, p.end, origins.setdefault(p.origin, p.origin), p.unit_kind)
                for p in without_interjections(
                    apply(compiled, annotation, roles[doc_id], include_interviewer=include_interviewer,
                          pattern_cache=cache),
                    quiet.get(doc_id, []))]
            if cache is not None and cache.found is not None:
                new_matches[doc_id] = cache.found

        _, report.annotated, report.cached = load_annotations(
            project, docs, pipeline, write=not dry_run, progress=progress, on_ready=code_document)
        synced = store.codes.sync(code_specs(codebook))
        code_ids, codes_changed = synced.ids, synced.changed
        # Existing rule codings of the selected documents: (doc, code path, start, end) -> coding
        existing: dict[tuple, CodedSpan] = {
            (k.document_id, k.code, k.start, k.end): k
            for k in store.codings.spans(coders=[RULES_CODER], document_ids=[d.id for d in docs], order=None)}

        proposals: dict[tuple, _Found] = {}
        for d in docs:  # in document order, whatever the order they were coded in
            for code_path, start, end, origin, unit_kind in found.pop(d.id, None) or ():
                proposals[(d.id, code_path, start, end)] = _Found(origin, unit_kind)

        added = [k for k in proposals if k not in existing]
        # Only pending proposals go away; a person's accept/reject decision is kept.
        removed = [k for k, row in existing.items() if k not in proposals and row.status == "proposed"]
        for path_, diff in _per_code(added, removed, proposals, existing, codebook).items():
            report.per_code[path_] = diff
        if dry_run:
            raise _DryRun  # undo everything this transaction did (codes table sync included)
        for doc_id, matches in new_matches.items():
            keep_pattern_matches(project, doc_id, matches)
        if not (added or removed or report.annotated or codes_changed or _stale(existing, proposals, codebook)):
            if (_keep_code_order(project, codebook, path.read_text(encoding="utf-8"), if_missing=True)
                    or new_matches or analyses):
                return  # nothing changes but the caches (kept for the next run)
            raise _DryRun  # nothing to write: a re-run with the same codebook changes nothing

        ts = now()
        store.codings.delete([existing[k].id for k in removed])
        store.codings.add_many(
            [NewCoding(k[0], code_ids[k[1]], k[2], k[3], RULES_CODER, proposals[k].origin, "proposed",
                       proposals[k].unit_kind, codebook.version) for k in added], at=ts)
        # Proposals made again by the new codebook record its version and current origin:
        # one set-based UPDATE for those whose origin is unchanged (the usual case after a
        # codebook edit), one statement per row for the others.
        same_origin: list[int] = []
        new_origin: dict[int, str] = {}
        for k, row in existing.items():
            p = proposals.get(k)
            if p is None:
                continue
            if row.origin != p.origin:
                new_origin[row.id] = p.origin
            elif row.codebook_version != codebook.version:
                same_origin.append(row.id)
        store.codings.set_version(same_origin, codebook.version, at=ts)
        store.codings.set_origins(new_origin, codebook.version, at=ts)
        _record_version(project, codebook, path)
        changed = {p: vars(d) for p, d in report.per_code.items() if d.added or d.removed}
        store.history.log(project.user, "autocode", "autocode",
                  f"codebook {codebook.version}: +{report.added} -{report.removed} rule codings "
                  f"in {len(docs)} documents",
                  {"codebook": str(path), "version": codebook.version, "pipeline": pipeline.name,
                   "documents": [d.name for d in docs], "include_interviewer": include_interviewer,
                   "codes": changed})


class _Found(NamedTuple):
    """What is written of a proposal besides its key (document, code path, start, end)."""

    origin: str
    unit_kind: str


def _stale(existing: dict, proposals: dict, codebook) -> bool:
    """Some kept proposal was made by another codebook version or rule."""
    return any(k in proposals and (row.origin, row.codebook_version) != (proposals[k].origin, codebook.version)
               for k, row in existing.items())


def _per_code(added, removed, proposals, existing, codebook) -> dict[str, CodeDiff]:
    add = Counter(k[1] for k in added)
    rem = Counter(k[1] for k in removed)
    total = Counter(k[1] for k in proposals)
    total.update(k[1] for k, row in existing.items() if k not in proposals and row.status != "proposed")
    out: dict[str, CodeDiff] = {}
    order = [c.path for c in codebook.walk()]
    for path in order + sorted(set(add) | set(rem) - set(order)):
        if path in out:
            continue
        out[path] = CodeDiff(add[path], rem[path], total[path])
    return out
