"""Units of analysis and which of them a coder coded: the shared ground of ``qualcode
agreement``, ``disagreements``, ``reconcile`` and ``evaluate``.

A **unit** is a sentence (as segmented by the NLP pipeline: the annotation cache that
``autocode`` uses, computed and cached if missing) or a speaker turn (the turns table):
:class:`Unit` ``(document_id, start, end, turn_index)`` with ``turn_index`` the 1-based
turn number as in ``qualcode show``. Interviewer turns (role ``interviewer``) and their
sentences are left out unless ``include_interviewer``; turns with role ``participant``
or ``other`` are units. Units of one document never overlap; :func:`project_units`
returns them in document name order, then position.

Semantics shared by every comparison (the same as ``qualcode report cooccurrence``):

* **Overlap rule: any overlap.** A coding marks every unit it shares at least one
  character with. A quote of three words marks its sentence; a coding spanning two
  sentences marks both. (A ≥ 50 % rule would make a short quote mark no sentence at all
  when it sits in a long one, and would depend on sentence lengths.) Codings that overlap
  no unit (on a speaker label, in an interviewer turn that is left out) mark nothing.
* **Roll-up.** With ``rollup=True`` (the default, as in every report) a code path is
  evaluated on its own codings *and* those of its sub-codes: a unit coded
  ``identity/mining_memory`` counts as coded ``identity``. ``rollup=False`` counts a
  code's own codings only (codes "as applied": what ``disagreements`` and ``reconcile``
  work with, since they produce codings of precise codes).
* **Counted codings**: by default status ``proposed`` and ``accepted`` (not rejected),
  as in the reports; codings of retired codes are left out everywhere (also from their
  parents' roll-up).
* **Documents a coder saw**: :func:`coder_documents`: the documents in which the coder
  has at least one coding, of any code and any status (a rejected proposal still shows
  that the document was processed). A coder who coded nothing at all in a document
  probably did not code that document; comparisons treat that coder's decisions there as
  *missing*, not as "absent everywhere".

Character level (NVivo's "coding comparison"): every character of the selected
documents' (participant) turns is a unit; :func:`char_universe` gives those spans and
:func:`coded_spans` each code's coded characters as merged intervals.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypedDict

from qualcode.analysis.freq import codebook_order, select_codings
from qualcode.annotations import load_sentences
from qualcode.errors import QualcodeError, UsageError
from qualcode.lookup import select_documents, suggest
from qualcode.nlp import load_pipeline

if TYPE_CHECKING:
    from qualcode.project import Project

UNIT_KINDS = ("sentence", "turn")
LEVELS = ("sentence", "turn", "char")  # unit kinds, plus the character level
NOT_REJECTED = ("proposed", "accepted")
ALL_STATUSES = ("proposed", "accepted", "rejected")


class Unit(NamedTuple):
    document_id: int
    start: int
    end: int
    turn_index: int  # 1-based turn number (turns.idx), as in 'qualcode show'


# --------------------------------------------------------------------------- documents


def check_kind(kind: str, allowed: Sequence[str] = UNIT_KINDS) -> str:
    if kind not in allowed:
        raise UsageError(f"unknown unit {kind!r} (choose from {', '.join(allowed)})")
    return kind


# --------------------------------------------------------------------------- units


def project_units(project: Project, kind: str, documents: Iterable[str | int] | None = None,
                  include_interviewer: bool = False) -> list[Unit]:
    """The sentences or turns of the documents (names or ids; None: all), interviewer
    turns left out unless ``include_interviewer``. Sentences come from the annotation
    cache, computed (and cached, inside a transaction) for documents that miss it.
    ``kind='char'`` is not a list of units: see :func:`char_universe`."""
    if kind == "char":
        raise UsageError("the character level has no unit list: use char_universe() and coded_spans()")
    check_kind(kind)
    store = project.store
    docs = select_documents(project, documents)
    out: list[Unit] = []
    if kind == "turn":
        for d in docs:
            for t in store.documents.turns(d.id):
                if include_interviewer or t.role != "interviewer":
                    out.append(Unit(d.id, t.start, t.end, t.idx))
        return out
    if not docs:
        return out

    # the spaCy pipeline is only loaded (seconds) if some document is not in the cache
    pipeline = load_pipeline(project.language)
    with store.transaction():  # the only possible write: caching missing annotations and sentences
        sentences = load_sentences(project, docs, pipeline)
    for d in docs:
        turns = store.documents.turns(d.id)
        for t0, a, b in sentences[d.id]:
            t = turns[t0]
            if include_interviewer or t.role != "interviewer":
                out.append(Unit(d.id, a, b, t.idx))
    return out


def char_universe(project: Project, documents: Iterable[str | int] | None = None,
                  include_interviewer: bool = False) -> dict[int, list[tuple[int, int]]]:
    """Document id -> the (start, end) spans of its turns (interviewer turns left out
    unless ``include_interviewer``): the characters compared at the character level."""
    store = project.store
    out: dict[int, list[tuple[int, int]]] = {}
    for d in select_documents(project, documents):
        out[d.id] = [(t.start, t.end) for t in store.documents.turns(d.id)
                     if include_interviewer or t.role != "interviewer"]
    return out


# --------------------------------------------------------------------------- codes


class CodeEntry(TypedDict):
    """An active code as :func:`active_codes` lists it."""

    path: str
    label: str
    depth: int


def active_codes(project: Project, code: str | None = None) -> list[CodeEntry]:
    """Active codes ``{"path", "label", "depth"}`` in codebook (tree) order; with ``code``,
    that code and its sub-codes. Unknown code: error with a suggestion; retired: error."""
    store = project.store
    sel = select_codings(project, statuses=None, order=codebook_order(project))
    nodes: list[CodeEntry] = [{"path": c.path, "label": c.label, "depth": c.depth} for c in sel.codes]
    if code is None:
        return nodes
    code = code.strip().strip("/")
    row = store.codes.by_path(code)
    if row is None:
        known = store.codes.paths()
        raise QualcodeError(f"unknown code {code!r}{suggest(code, known)}"
                            + ("" if known else " (the project has no codes yet)"))
    if row.status == "retired":
        raise QualcodeError(f"code {code!r} is retired: its codings are left out of every comparison")
    picked = [n for n in nodes if n["path"] == code or n["path"].startswith(code + "/")]
    base = picked[0]["depth"] if picked else 0
    return [{**n, "depth": n["depth"] - base} for n in picked]


def _in_code(path: str, code: str, rollup: bool) -> bool:
    return path == code or (rollup and path.startswith(code + "/"))


def _codings(project: Project, coder: str, doc_ids: Iterable[int] | None,
             statuses: Sequence[str]) -> list[tuple[int, int, int, str]]:
    """(document_id, start, end, code path) of the coder's counted codings (active codes)."""
    statuses = tuple(statuses)
    for s in statuses:
        if s not in ALL_STATUSES:
            raise UsageError(f"unknown status {s!r} (choose from {', '.join(ALL_STATUSES)})")
    ids = None if doc_ids is None else sorted(set(doc_ids))
    if ids is not None and not ids:
        return []
    return [(k.document_id, k.start, k.end, k.code) for k in project.store.codings.spans(
        coders=[coder], active_codes=True, statuses=statuses, document_ids=ids, order="document")]


# --------------------------------------------------------------------------- coders


def known_coders(project: Project) -> list[str]:
    return project.store.codings.coders()


def check_coders(project: Project, coders: Sequence[str], *, minimum: int = 2) -> list[str]:
    """The coder names, stripped, distinct, each with at least one coding in the project."""
    names: list[str] = []
    for c in coders:
        c = c.strip()
        if c and c not in names:
            names.append(c)
    if len(names) < minimum:
        raise UsageError(f"give at least {minimum} different coders (--coders A,B)")
    known = known_coders(project)
    for c in names:
        if c not in known:
            raise QualcodeError(f"no codings by coder {c!r} (coders: {', '.join(known) or 'none yet'})")
    return names


def coder_documents(project: Project, coder: str, documents: Iterable[str | int] | None = None) -> set[int]:
    """Ids of the documents (among ``documents``; None: all) in which ``coder`` has at
    least one coding, whatever its code or status: the documents the coder saw."""
    ids = None if documents is None else {d.id for d in select_documents(project, documents)}
    return {i for i in project.store.codings.document_ids(coders=[coder]) if ids is None or i in ids}


# --------------------------------------------------------------------------- coded units


def coded_units(project: Project, units: Sequence[Unit], coder: str, codes: Sequence[str],
                statuses: Sequence[str] = NOT_REJECTED, *, rollup: bool = True) -> dict[str, set[int]]:
    """For each code path, the indices (into ``units``) of the units that ``coder`` coded
    with it: a counted coding of the code (or, with ``rollup``, of a sub-code) shares at
    least one character with the unit. Units of one document must not overlap."""
    by_doc: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for i, u in enumerate(units):
        by_doc[u.document_id].append((u.start, u.end, i))
    index: dict[int, tuple[list[int], list[int], list[int]]] = {}
    for doc_id, items in by_doc.items():
        items.sort()
        starts, ends, idx = [a for a, _, _ in items], [b for _, b, _ in items], [i for _, _, i in items]
        if any(ends[j] > starts[j + 1] for j in range(len(items) - 1)):
            raise ValueError(f"units of document {doc_id} overlap")
        index[doc_id] = (starts, ends, idx)
    out: dict[str, set[int]] = {c: set() for c in codes}
    if not units or not codes:
        return out
    targets: dict[str, list[str]] = {}  # coding's code path -> the codes it counts for
    for doc_id, start, end, path in _codings(project, coder, list(index), statuses):
        wanted = targets.get(path)
        if wanted is None:
            wanted = targets[path] = [code for code in codes if _in_code(path, code, rollup)]
        if not wanted:
            continue
        starts, ends, idx = index[doc_id]
        hit: list[int] = []
        j = bisect_right(ends, start)  # first unit ending after the coding starts
        while j < len(starts) and starts[j] < end:
            hit.append(idx[j])
            j += 1
        for code in wanted:
            out[code].update(hit)
    return out


def coded_spans(project: Project, coder: str, codes: Sequence[str], statuses: Sequence[str] = NOT_REJECTED,
                documents: Iterable[str | int] | None = None, *,
                rollup: bool = True) -> dict[str, dict[int, list[tuple[int, int]]]]:
    """For each code path, document id -> the characters ``coder`` coded with it (its
    own codings, and with ``rollup`` its sub-codes'), as sorted, merged (start, end)
    intervals. Documents without such codings are absent."""
    ids = None if documents is None else [d.id for d in select_documents(project, documents)]
    raw: dict[str, dict[int, list[tuple[int, int]]]] = {c: defaultdict(list) for c in codes}
    for doc_id, start, end, path in _codings(project, coder, ids, statuses):
        for code in codes:
            if _in_code(path, code, rollup):
                raw[code][doc_id].append((start, end))
    return {c: {d: merge_intervals(v) for d, v in per_doc.items()} for c, per_doc in raw.items()}


def merge_intervals(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of (start, end) intervals; touching intervals are merged."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


# --------------------------------------------------------------------------- display


def unit_text(text: str, unit: Unit, width: int | None = None) -> str:
    """The unit's text with whitespace collapsed (cut to ``width`` characters with …)."""
    s = " ".join(text[unit.start:unit.end].split())
    if width is not None and len(s) > width:
        s = s[:width - 1] + "…"
    return s
