"""Rules against hand coding (``qualcode evaluate``): precision, recall and F1 per code,
the false positives with the rule that fired, the false negatives with their text.

What is compared
================
* **Gold**: the codings of the gold coder (a person) with status ``proposed`` or
  ``accepted`` (hand codings are accepted; a coding the gold coder made in review with
  ``recode``/``add`` is theirs too). Accepting a rule proposal in review does *not* make
  it a gold coding: it stays a coding of coder ``rules``.
* **System**: the codings of ``system`` (default ``rules``) with status ``proposed``,
  ``accepted`` *or* ``rejected``: everything the rules proposed, whatever the review made
  of it, because the rules are evaluated, not the reviewed result (``statuses`` narrows
  this). For coder ``rules``, only the proposals of the last ``autocode`` run on each
  document count (its codebook version, from the history): a rejected proposal that an
  edited codebook no longer makes stays in the project, but it is not what the rules
  propose now (``include_stale`` counts it anyway).
* **Scope**: only the documents in which the gold coder has at least one coding (any
  code, any status; :func:`qualcode.analysis.units.coder_documents`): a gold coder who
  never opened a document must not turn every proposal there into a false positive.
  ``documents`` restricts further (a named document the gold coder has not coded is left
  out too, and listed); ``all_seen=True`` takes every selected document as read by the
  gold coder (one without gold codings then needs no code at all), as in ``agreement``.
* **Units** (:mod:`qualcode.analysis.units`): sentences (default) or speaker turns of
  those documents, interviewer turns left out unless ``include_interviewer`` (the rules
  skip them too). A coding marks every unit it overlaps by at least one character; each
  side is a set of (code, unit) pairs.
* **Codes as applied** (default, ``rollup=False``): a code is compared on its own
  codings. Rules only code their own code, so every false positive belongs to one code
  and one rule, and the micro average pools no unit twice. With ``rollup=True`` a code
  also counts its sub-codes' codings (a passage the rules coded ``identity/a`` and the
  gold coder ``identity/b`` is a true positive of ``identity``); the averages then pool
  every code *and* its ancestors (hierarchical precision/recall) and parents' errors
  repeat their sub-codes'.

Measures
========
Per code, over the units in scope: TP (both), FP (system only), FN (gold only),
support = gold positives = TP + FN; precision TP/(TP+FP), recall TP/(TP+FN),
F1 = 2·P·R/(P+R), as ``sklearn.metrics.precision_recall_fscore_support`` computes them on
the per-unit binary vectors (:func:`precision_recall_f1`, the same floats without
importing scikit-learn); undefined values (no proposals: precision; no gold unit:
recall) are ``None`` (``n/a``), never silently 0. Codes used by neither side in scope are
listed apart and left out of the averages.

* **micro**: the pooled TP/FP/FN of the codes shown.
* **macro**: the unweighted mean over the codes with support > 0 (codes the gold coder
  used); a code whose precision is undefined (the rules never proposed it) is left out of
  the macro precision only (its recall and F1 are 0 and count).

Per rule (the origin of a rule coding, e.g. ``identity/mining_memory terms[0] "fosse"``:
the rule id ``identity/mining_memory terms[0]`` and the matched words ``"fosse"``): the
units its codings mark for its own code, split into TP and FP, its precision, and the
matched words of its false positives. A unit marked by two rules counts for both.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualcode.analysis.table import TableResult
from qualcode.analysis.units import (
    ALL_STATUSES,
    NOT_REJECTED,
    CodeEntry,
    Unit,
    active_codes,
    check_kind,
    coded_units,
    coder_documents,
    known_coders,
    project_units,
    unit_text,
)
from qualcode.coders import RULES_CODER
from qualcode.errors import QualcodeError, UsageError
from qualcode.lookup import select_documents

if TYPE_CHECKING:
    from qualcode.project import Project

SYSTEM_STATUSES = ALL_STATUSES
GOLD_STATUSES = NOT_REJECTED
SHOW = ("fp", "fn", "rules")
MICRO, MACRO = "(micro)", "(macro)"
_RULE_ID = re.compile(r"^(\S+ (?:terms|pattern|regex|near|exclude)\[\d+\])\s*(.*)$", re.DOTALL)


def split_origin(origin: str) -> tuple[str, str]:
    """``'identity/x terms[0] "fosse"'`` -> ``('identity/x terms[0]', '"fosse"')``; an
    origin that is not a rule's (``manual``, ``review``) is its own rule id."""
    m = _RULE_ID.match(origin or "")
    if not m:
        return origin or "?", ""
    return m.group(1), m.group(2)


# --------------------------------------------------------------------------- results


@dataclass
class CodeScore:
    path: str
    label: str
    depth: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def proposed(self) -> int:
        return self.tp + self.fp

    def to_dict(self) -> dict:
        return {"code": self.path, "label": self.label, "support": self.support, "system": self.proposed,
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


@dataclass
class Average:
    name: str  # micro | macro
    precision: float | None
    recall: float | None
    f1: float | None
    codes: int  # codes averaged
    tp: int | None = None  # micro only: pooled counts
    fp: int | None = None
    fn: int | None = None

    def to_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class Mismatch:
    """A false positive or a false negative: one unit and one code."""

    kind: str  # fp | fn
    code: str
    document: str
    turn: int
    start: int  # the unit's offsets
    end: int
    text: str  # the unit's text, whitespace collapsed
    origins: list[str] = field(default_factory=list)  # fp: origins of the system codings marking it

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "code": self.code, "document": self.document, "turn": self.turn,
             "start": self.start, "end": self.end, "text": self.text}
        if self.kind == "fp":
            d["rules"] = list(self.origins)
        return d


@dataclass
class RuleScore:
    rule: str  # rule id, e.g. 'identity/mining_memory terms[0]'
    code: str
    tp: int
    fp: int
    fp_matches: Counter  # matched words of its false positives -> units

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def matches_text(self) -> str:
        return ", ".join(f"{m} {n}" for m, n in sorted(self.fp_matches.items(), key=lambda x: (-x[1], x[0])))

    def to_dict(self) -> dict:
        return {"rule": self.rule, "code": self.code, "units": self.tp + self.fp, "tp": self.tp, "fp": self.fp,
                "precision": self.precision, "fp_matches": dict(self.fp_matches)}


@dataclass
class Evaluation:
    gold: str
    system: str
    unit: str
    rollup: bool
    statuses: tuple[str, ...]  # system statuses
    include_interviewer: bool
    include_stale: bool
    all_seen: bool
    documents: list[str]  # in scope
    left_out: list[str]  # documents the gold coder has not coded (among those asked for)
    units: int
    codes: list[CodeScore]  # codes used by either side, tree order
    unused: list[str]  # codes used by neither side in scope
    micro: Average
    macro: Average
    false_positives: list[Mismatch]
    false_negatives: list[Mismatch]
    rules: list[RuleScore]  # by FP count (desc), then rule id
    gold_codings: int
    system_codings: int
    stale: int  # system codings left out as stale
    no_system_docs: list[str] = field(default_factory=list)  # documents in scope without system codings
    outside: dict[str, int] = field(default_factory=dict)  # coder -> counted codings that mark no unit

    # -- tables ----------------------------------------------------------------------
    def notes(self) -> list[str]:
        unit = {"sentence": "sentences", "turn": "speaker turns"}[self.unit]
        who = "interviewer turns included" if self.include_interviewer else "interviewer turns left out"
        statuses = ", ".join(self.statuses)
        lines = [
            f"Gold: {_n(self.gold_codings, 'coding')} by {self.gold} (status proposed or accepted). "
            f"System: {_n(self.system_codings, 'coding')} by {self.system} (status {statuses}"
            + (": everything proposed, whatever the review decided" if set(self.statuses) == set(ALL_STATUSES)
               else "") + ")"
            + (f"; {_n(self.stale, 'stale rule coding')} left out (not proposed by the last autocode run "
               "on its document)" if self.stale else "") + ".",
            f"Scope: {_n(len(self.documents), 'document')}"
            + (" (--all-seen: all taken as read by the gold coder)" if self.all_seen else f" coded by {self.gold}")
            + (f"; left out, not coded by {self.gold}: {', '.join(self.left_out)}" if self.left_out else "")
            + ".",
            f"Units: {self.units} {unit} ({who}); a coding marks every unit it overlaps. "
            + ("Codes roll up their sub-codes." if self.rollup else "Codes as applied (sub-codes not rolled up)."),
            f"micro: pooled counts of the {_n(self.micro.codes, 'code')} shown"
            + (" (each code and its ancestors)" if self.rollup else "")
            + f"; macro: unweighted mean over the {_n(self.macro.codes, 'code')} with gold support > 0 "
            "(precision over those the system proposed). Empty = n/a (undefined: no proposals for precision, "
            "no gold unit for recall).",
        ]
        outside = {c: k for c, k in self.outside.items() if k}
        if outside:
            where = "speaker labels" if self.include_interviewer else "interviewer turns or speaker labels"
            lines.append("Codings marking no unit (on " + where + "), left out: "
                         + ", ".join(f"{_n(k, 'coding')} by {c}" for c, k in outside.items()) + ".")
        never = [c.path for c in self.codes if c.support == 0]
        if never:
            lines.append(f"{_n(len(never), 'code')} with proposals but no unit coded by {self.gold} in scope: "
                         f"every proposal counts as a false positive, which is right only if {self.gold} "
                         "applied every code (else restrict with --code).")
        if self.unused:
            lines.append(f"Used by neither side: {', '.join(self.unused)}.")
        if self.no_system_docs:
            lines.append(f"No codings by {self.system} in: {', '.join(self.no_system_docs)}"
                         + (" (was autocode run on them?)" if self.system == RULES_CODER else "") + ".")
        return lines

    def scores_table(self) -> TableResult:
        cols = ["code", "label", "gold", "system", "TP", "FP", "FN", "precision", "recall", "F1"]
        records = [{"code": c.path, "label": c.label, "gold": c.support, "system": c.proposed, "TP": c.tp,
                    "FP": c.fp, "FN": c.fn, "precision": c.precision, "recall": c.recall, "F1": c.f1}
                   for c in self.codes]
        m, a = self.micro, self.macro
        assert m.tp is not None and m.fp is not None and m.fn is not None  # the micro average pools counts
        records.append({"code": MICRO, "label": "Micro average", "gold": m.tp + m.fn, "system": m.tp + m.fp,
                        "TP": m.tp, "FP": m.fp, "FN": m.fn, "precision": m.precision, "recall": m.recall,
                        "F1": m.f1})
        records.append({"code": MACRO, "label": f"Macro average ({_n(a.codes, 'code')})", "gold": None,
                        "system": None, "TP": None, "FP": None, "FN": None, "precision": a.precision,
                        "recall": a.recall, "F1": a.f1})
        dtypes = dict.fromkeys(("gold", "system", "TP", "FP", "FN"), "Int64")
        dtypes.update(dict.fromkeys(("precision", "recall", "F1"), "float64"))
        return TableResult(
            title=f"Evaluation: {self.system} against {self.gold} ({self.unit} units)", notes=self.notes(),
            columns=cols, rows=records, dtypes=dtypes,
            meta={"kind": "evaluate", "sheet": "scores", "tree_column": "label",
                  "depth": [c.depth for c in self.codes] + [0, 0], "total_rows": [MICRO, MACRO],
                  "decimals": {"precision": 3, "recall": 3, "F1": 3},
                  "gold": self.gold, "system": self.system, "unit": self.unit, "rollup": self.rollup,
                  "documents": list(self.documents), "left_out_documents": list(self.left_out),
                  "units": self.units, "unused_codes": list(self.unused),
                  "micro": self.micro.to_dict(), "macro": self.macro.to_dict()},
        )

    def rules_table(self) -> TableResult:
        cols = ["rule", "units", "TP", "FP", "precision", "FP matches"]
        records = [{"rule": r.rule, "units": r.tp + r.fp, "TP": r.tp, "FP": r.fp, "precision": r.precision,
                    "FP matches": r.matches_text()} for r in self.rules]
        return TableResult(
            title=f"False positives per rule ({self.unit} units)", columns=cols, rows=records,
            dtypes={"units": "Int64", "TP": "Int64", "FP": "Int64", "precision": "float64"},
            notes=[f"Units each rule's codings mark for its own code: TP if {self.gold} coded that code there, "
                   "else FP; a unit marked by several rules counts for each. FP matches: the words that "
                   "matched in the false positives, with their number of units."],
            meta={"kind": "evaluate_rules", "sheet": "rules", "decimals": {"precision": 3}},
        )

    def errors_table(self, kind: str) -> TableResult:
        fp = kind == "fp"
        items = self.false_positives if fp else self.false_negatives
        cols = ["document", "turn", "start", "end", "code", *(["rule"] if fp else []), "text"]
        records = []
        for e in items:
            rec = {"document": e.document, "turn": e.turn, "start": e.start, "end": e.end, "code": e.code,
                   "text": e.text}
            if fp:
                rec["rule"] = "; ".join(e.origins)
            records.append(rec)
        if fp:
            title = f"False positives: proposed by {self.system}, not coded by {self.gold}"
            note = "rule: the origin of the system coding(s) marking the unit (rule id and matched words)."
        else:
            title = f"False negatives: coded by {self.gold}, missed by {self.system}"
            note = "text: the whole unit the gold coding marks."
        note += " start, end: the unit's character offsets in the document."
        return TableResult(title=f"{title} ({len(items)})", notes=[note], columns=cols, rows=records,
                           dtypes={"turn": "Int64", "start": "Int64", "end": "Int64"},
                           meta={"kind": f"evaluate_{kind}", "sheet": "false positives" if fp else "false negatives"})

    def tables(self, show: Iterable[str] = ()) -> list[TableResult]:
        """The scores table, then per ``show``: ``rules`` (false positives per rule),
        ``fp`` (the per-rule table and every false positive), ``fn`` (every false negative)."""
        show = check_show(show)
        out = [self.scores_table()]
        if "rules" in show or "fp" in show:
            out.append(self.rules_table())
        if "fp" in show:
            out.append(self.errors_table("fp"))
        if "fn" in show:
            out.append(self.errors_table("fn"))
        return out

    def to_dict(self) -> dict:
        return {
            "gold": self.gold, "system": self.system, "unit": self.unit, "rollup": self.rollup,
            "statuses": list(self.statuses), "include_interviewer": self.include_interviewer,
            "include_stale": self.include_stale, "all_seen": self.all_seen, "documents": self.documents,
            "left_out_documents": self.left_out,
            "units": self.units, "codes": [c.to_dict() for c in self.codes], "unused_codes": self.unused,
            "micro": self.micro.to_dict(), "macro": self.macro.to_dict(),
            "rules": [r.to_dict() for r in self.rules],
            "false_positives": [e.to_dict() for e in self.false_positives],
            "false_negatives": [e.to_dict() for e in self.false_negatives],
            "gold_codings": self.gold_codings, "system_codings": self.system_codings, "stale": self.stale,
            "outside": dict(self.outside), "no_system_documents": list(self.no_system_docs),
        }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


# --------------------------------------------------------------------------- checks


def check_show(show: Iterable[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for s in show or ():
        s = s.strip().lower()
        if not s:
            continue
        if s not in SHOW:
            raise UsageError(f"unknown --show {s!r} (choose from {', '.join(SHOW)})")
        if s not in out:
            out.append(s)
    return tuple(out)


def check_system_statuses(statuses: Iterable[str] | None) -> tuple[str, ...]:
    if not statuses:
        return SYSTEM_STATUSES
    picked = []
    for s in statuses:
        s = s.strip()
        if s not in ALL_STATUSES:
            raise UsageError(f"unknown status {s!r} (choose from {', '.join(ALL_STATUSES)})")
        picked.append(s)
    return tuple(s for s in ALL_STATUSES if s in picked)


def _check_coders(project: Project, gold: str, system: str) -> tuple[str, str]:
    gold, system = (gold or "").strip(), (system or "").strip()
    if not gold:
        raise UsageError("give the gold coder: --gold NAME")
    if not system:
        raise UsageError("the system coder is empty (--system rules)")
    if gold == system:
        raise UsageError(f"--gold and --system are the same coder {gold!r}: compare two different coders")
    known = known_coders(project)
    for who, name in (("gold", gold), ("system", system)):
        if name not in known:
            hint = " (run 'qualcode autocode' first)" if name == RULES_CODER else ""
            raise QualcodeError(f"no codings by {who} coder {name!r}{hint} (coders: "
                                f"{', '.join(known) or 'none yet'})")
    return gold, system


def _pick_codes(project: Project, codes: Sequence[str] | None) -> list[CodeEntry]:
    """Active codes in tree order: all, or the given codes with their sub-codes."""
    if not codes:
        return active_codes(project)
    every = active_codes(project)
    rank = {n["path"]: i for i, n in enumerate(every)}
    picked: dict[str, CodeEntry] = {}
    for code in codes:
        sub = active_codes(project, code)  # unknown or retired code: an error
        for n in sub:
            if n["path"] not in picked or n["depth"] < picked[n["path"]]["depth"]:
                picked[n["path"]] = n
    return sorted(picked.values(), key=lambda n: rank.get(n["path"], len(rank)))


# --------------------------------------------------------------------------- system codings


def _current_versions(project: Project) -> dict[str, str]:
    """Document name -> codebook version of the last autocode run on it (from the history)."""
    out: dict[str, str] = {}
    for row in project.store.history.entries("autocode"):
        details = row.details
        version = details.get("version")
        for name in details.get("documents") or []:
            if version:
                out[name] = version
    return out


def _system_codings(project: Project, system: str, doc_ids: Sequence[int], names: dict[int, str],
                    statuses: Sequence[str], include_stale: bool) -> tuple[list[dict], int]:
    """The system coder's counted codings (active codes) in the documents: dicts with
    document_id, start, end, path, origin, id. Returns (codings, number of stale codings
    left out)."""
    if not doc_ids or not statuses:
        return [], 0
    rows = project.store.codings.spans(coders=[system], active_codes=True, document_ids=doc_ids,
                                        statuses=statuses, order="document")
    versions = _current_versions(project) if system == RULES_CODER and not include_stale else {}
    out, stale = [], 0
    for r in rows:
        current = versions.get(names[r.document_id])
        if current is not None and r.codebook_version is not None and r.codebook_version != current:
            stale += 1
            continue
        out.append({"id": r.id, "document_id": r.document_id, "start": r.start, "end": r.end,
                    "path": r.code, "origin": r.origin})
    return out, stale


class _UnitIndex:
    """The units of each document, for finding the units a coding overlaps (the rule of
    :func:`qualcode.analysis.units.coded_units`: at least one shared character)."""

    def __init__(self, units: Sequence[Unit]):
        by_doc: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for i, u in enumerate(units):
            by_doc[u.document_id].append((u.start, u.end, i))
        self.index = {}
        for d, items in by_doc.items():
            items.sort()
            self.index[d] = ([a for a, _, _ in items], [b for _, b, _ in items], [i for _, _, i in items])

    def overlapping(self, doc_id: int, start: int, end: int) -> list[int]:
        from bisect import bisect_right

        if doc_id not in self.index:
            return []
        starts, ends, idx = self.index[doc_id]
        out = []
        j = bisect_right(ends, start)
        while j < len(starts) and starts[j] < end:
            out.append(idx[j])
            j += 1
        return out


# --------------------------------------------------------------------------- evaluate


def evaluate(project: Project, gold: str, *, system: str = RULES_CODER, unit: str = "sentence",
             documents: Iterable[str] | None = None, codes: Sequence[str] | None = None,
             statuses: Iterable[str] | None = None, rollup: bool = False, include_interviewer: bool = False,
             include_stale: bool = False, all_seen: bool = False) -> Evaluation:
    """Compare ``system``'s codings (default: the rules) with ``gold``'s (a person's), unit
    by unit, in the documents the gold coder coded. See the module docstring."""
    check_kind(unit)
    statuses = check_system_statuses(statuses)
    store = project.store
    with store.transaction():  # one consistent snapshot; the only write: caching annotations
        gold, system = _check_coders(project, gold, system)
        asked = select_documents(project, list(documents) if documents is not None else None)
        seen = {d.id for d in asked} if all_seen else coder_documents(project, gold)
        in_scope = [d for d in asked if d.id in seen]
        left_out = [d.name for d in asked if d.id not in seen]
        if not in_scope:
            raise QualcodeError(f"{gold} has coded none of the selected documents ({', '.join(left_out)}); "
                                "pass --all-seen if they were read and found to need no code")
        nodes = _pick_codes(project, codes)
        if not nodes:
            raise QualcodeError("no active codes to evaluate")
        paths = [n["path"] for n in nodes]
        doc_ids = [d.id for d in in_scope]
        names = {d.id: d.name for d in in_scope}
        texts = {d.id: d.text for d in in_scope}
        units = project_units(project, unit, doc_ids, include_interviewer=include_interviewer)
        gold_sets = coded_units(project, units, gold, paths, GOLD_STATUSES, rollup=rollup)
        wanted = set(paths)
        gold_spans = [(k.document_id, k.start, k.end) for k in store.codings.spans(
            coders=[gold], active_codes=True, statuses=("proposed", "accepted"), document_ids=doc_ids,
            order="document") if k.code in wanted]
        sys_codings, stale = _system_codings(project, system, doc_ids, names, statuses, include_stale)
        sys_codings = [k for k in sys_codings if k["path"] in wanted]

    # System side: (code, unit) -> origins of the codings marking it.
    index = _UnitIndex(units)
    gold_outside = sum(1 for d, a, b in gold_spans if not index.overlapping(d, a, b))
    sys_sets: dict[str, set[int]] = {p: set() for p in paths}
    origins: dict[tuple[str, int], set[str]] = defaultdict(set)
    own: list[tuple[dict, list[int]]] = []  # coding, its units (for the per-rule table)
    for k in sys_codings:
        hit = index.overlapping(k["document_id"], k["start"], k["end"])
        own.append((k, hit))
        for p in paths:
            if k["path"] == p or (rollup and k["path"].startswith(p + "/")):
                sys_sets[p].update(hit)
                for i in hit:
                    origins[(p, i)].add(k["origin"])

    # Code by code, over the units (scikit-learn's binary precision/recall/F1 of the
    # per-unit vectors, from their counts)
    n = len(units)
    scores, unused = [], []
    for node in nodes:
        p = node["path"]
        tp = len(gold_sets[p] & sys_sets[p])
        fp = len(sys_sets[p] - gold_sets[p])
        fn = len(gold_sets[p] - sys_sets[p])
        if tp + fp + fn == 0:
            unused.append(p)
            continue
        prec, rec, f1 = precision_recall_f1(tp, fp, fn)
        scores.append(CodeScore(p, node["label"], node["depth"], tp, fp, fn, prec, rec, f1))
    if scores:  # micro: every (code, unit) pair of the codes shown pooled into one binary vector
        mp, mr, mf = precision_recall_f1(sum(c.tp for c in scores), sum(c.fp for c in scores),
                                         sum(c.fn for c in scores))
    else:
        mp = mr = mf = None
    micro = Average("micro", mp, mr, mf, len(scores), sum(c.tp for c in scores), sum(c.fp for c in scores),
                    sum(c.fn for c in scores))
    supported = [c for c in scores if c.support > 0]
    macro = Average("macro", _mean([c.precision for c in supported]), _mean([c.recall for c in supported]),
                    _mean([c.f1 for c in supported]), len(supported))

    # False positives and negatives, code by code (tree order), then by position.
    order = sorted(range(n), key=lambda i: (names[units[i].document_id], units[i].start))
    rank = {i: r for r, i in enumerate(order)}
    fps, fns = [], []
    for c in scores:
        for i in sorted(sys_sets[c.path] - gold_sets[c.path], key=rank.__getitem__):
            fps.append(_error("fp", c.path, units[i], names, texts, sorted(origins[(c.path, i)])))
        for i in sorted(gold_sets[c.path] - sys_sets[c.path], key=rank.__getitem__):
            fns.append(_error("fn", c.path, units[i], names, texts, []))

    # Per rule: the units its codings mark for their own code.
    tp_units: dict[tuple[str, str], set[int]] = defaultdict(set)
    fp_units: dict[tuple[str, str], set[int]] = defaultdict(set)
    fp_words: dict[tuple[str, str], dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for k, hit in own:
        if k["path"] not in gold_sets:
            continue
        rule, words = split_origin(k["origin"])
        key = (rule, k["path"])
        for i in hit:
            if i in gold_sets[k["path"]]:
                tp_units[key].add(i)
            else:
                fp_units[key].add(i)
                if words:
                    fp_words[key][i].add(words.lower())
    rules = []
    for key in set(tp_units) | set(fp_units):
        fp_counts = Counter(w for ws in fp_words[key].values() for w in ws)
        rules.append(RuleScore(key[0], key[1], len(tp_units[key]), len(fp_units[key]), fp_counts))
    rules.sort(key=lambda r: (-r.fp, r.precision if r.precision is not None else 2.0, r.rule))

    with_system = {k["document_id"] for k in sys_codings}
    sys_outside = sum(1 for k, hit in own if not hit)
    return Evaluation(
        gold=gold, system=system, unit=unit, rollup=rollup, statuses=statuses,
        include_interviewer=include_interviewer, include_stale=include_stale, all_seen=all_seen,
        documents=[d.name for d in in_scope], left_out=left_out, units=n, codes=scores, unused=unused,
        micro=micro, macro=macro, false_positives=fps, false_negatives=fns, rules=rules,
        gold_codings=len(gold_spans), system_codings=len(sys_codings), stale=stale,
        outside={gold: gold_outside, system: sys_outside},
        no_system_docs=[d.name for d in in_scope if d.id not in with_system],
    )


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 of the positive class from the counts of a binary
    confusion matrix; None where undefined. The floats of scikit-learn's
    ``precision_recall_fscore_support(y_true, y_pred, average="binary",
    zero_division=nan)`` on vectors with these counts — the same divisions of the same
    integers, ``tp / (tp + fp)``, ``tp / (tp + fn)``, ``2·tp / ((tp + fn) + (tp + fp))``, so
    the same to the last bit (tests/test_evaluate.py compares them) — without importing
    scikit-learn and SciPy (about 1.1 CPU s)."""
    pred, true = tp + fp, tp + fn
    precision = tp / pred if pred else None
    recall = tp / true if true else None
    f1 = 2.0 * tp / (float(true) + float(pred)) if true + pred else None
    return precision, recall, f1


def _mean(values: list[float | None]) -> float | None:
    """The mean of the defined values (sklearn's macro average with zero_division=nan)."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _error(kind: str, code: str, u: Unit, names: dict, texts: dict, origins: list[str]) -> Mismatch:
    return Mismatch(kind, code, names[u.document_id], u.turn_index, u.start, u.end,
                 unit_text(texts[u.document_id], u), origins)
