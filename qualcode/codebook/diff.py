"""What a codebook revision changed (``qualcode codebook diff``).

Two parts:

* :func:`diff_codebooks` — the structural diff of two :class:`Codebook` objects, pure
  (no project): codes added, removed, renamed, moved; fields changed (label, MacQueen
  fields, examples, colour, unit) with before/after; rules and exclude rules added,
  removed or changed; codebook-level fields (title, default unit…).
* :func:`coding_effect` — the effect on coding in a project: both codebooks are applied
  with the rule engine to the project's documents (annotations from the cache, or
  computed in memory) and, per code, the units gained, lost and kept are compared.
  Nothing is written to the project.

How old codes are paired with new ones (first rule that applies wins; every step is
repeated until nothing changes, so whole subtrees follow a renamed or moved parent):

1. same path;
2. a child of a paired parent keeps its slug (``identity/x`` → ``identite/x`` when
   ``identity`` was renamed ``identite``: the child is neither renamed nor moved);
3. same content — rules, exclude rules, definition, full definition, when to use, when
   not to use and examples exactly equal (and not all empty), unique among the unpaired
   codes on both sides: *renamed* if the slug differs, *moved* if the parent changed;
4. same slug under another parent, when the slug is unique among the unpaired codes on
   both sides: *moved*;
5. similar content: a score of at least :data:`SIMILARITY` (0.8), best pairs first. The
   score is the larger of (a) the Jaccard index of the two codes' rule "atoms" (each term
   of a ``terms`` rule, folded as the engine folds it: :func:`_term_key`; each other
   rule as a whole; exclude rules apart) and (b) the ``difflib`` ratio of the definition +
   full definition texts when both have at least 20 characters.

Steps 3-5 try the top-most unpaired codes first (top-level, or whose parent is paired), so
that a renamed parent is paired before its children, which then follow it by step 2.
A pair is *renamed* when the slug differs and *moved* when the new parent is not the
counterpart of the old parent. Unpaired old codes are *removed*, unpaired new ones *added*.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.annotations import load_annotations, load_pattern_matches, load_term_cache
from qualcode.codebook.load import load_codebook, parse_codebook_text
from qualcode.codebook.model import Code, Codebook, Rule
from qualcode.errors import QualcodeError
from qualcode.inputs import read_regular_file
from qualcode.lookup import select_documents
from qualcode.nlp import load_pipeline
from qualcode.rules import PatternCache, apply, compile_codebook, term_cache_key
from qualcode.store.versions import CodebookVersion
from qualcode.textnorm import fold

if TYPE_CHECKING:
    from qualcode.project import Project

SIMILARITY = 0.8
MIN_DEFINITION_CHARS = 20
FIELDS = ("label", "definition", "full_definition", "when_to_use", "when_not_to_use", "examples",
          "color", "unit")
CODEBOOK_FIELDS = ("title", "language", "unit", "description", "authors", "declared_version")
_HEX = re.compile(r"[0-9a-f]{4,64}")


# --------------------------------------------------------------------------- loading


@dataclass
class NamedCodebook:
    """A codebook with where it came from: a file or a recorded version."""

    codebook: Codebook
    name: str  # file path as given, or "version 3f9c0b2a71de"
    kind: str  # "file" | "version"
    recorded_at: str | None = None  # versions only
    source: str | None = None  # versions only: the file it was applied from

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "title": self.codebook.title,
                "version": self.codebook.version, "declared_version": self.codebook.declared_version,
                "source": self.source, "recorded_at": self.recorded_at}


def looks_like_version(spec: str) -> bool:
    return spec == "last" or bool(_HEX.fullmatch(spec.lower()))


def recorded_versions(project: Project) -> list[CodebookVersion]:
    """The codebook versions applied to the project, oldest first."""
    return project.store.versions.all()


def resolve_codebook(spec: str | Path, project: Project | None = None) -> NamedCodebook:
    """``spec`` is a codebook file, or a version recorded in the project's
    ``codebook_versions`` (its 12-hex id, any unique prefix of at least 4 hex digits, or
    ``last`` for the last one applied). An existing file wins over a version id."""
    spec = str(spec)
    path = Path(spec)
    if path.is_file():
        return NamedCodebook(load_codebook(path), spec, "file")
    if path.is_dir():
        raise QualcodeError(f"{spec} is a folder, not a codebook file")
    if path.exists():  # a FIFO or a device: refused without being opened
        read_regular_file(path, refused="not read as a codebook")
    if not looks_like_version(spec):
        raise QualcodeError(f"no such codebook file: {spec}")
    if project is None:
        raise QualcodeError(f"{spec!r} is not a file, and a recorded codebook version needs a project "
                            "(run inside one or pass --project)")
    versions = recorded_versions(project)
    if spec == "last":
        if not versions:
            raise QualcodeError("no codebook version recorded in this project yet (run 'qualcode autocode')")
        found = [versions[-1]]
    else:
        found = [v for v in versions if v.content_hash.startswith(spec.lower())]
    if not found:
        known = ", ".join(f"{v.version} ({v.recorded_at[:10]})" for v in versions[-5:]) or "none"
        raise QualcodeError(f"no such codebook file or recorded version: {spec} (recorded versions: {known})")
    if len(found) > 1:
        raise QualcodeError(f"ambiguous version {spec!r}: " + ", ".join(v.version for v in found))
    v = found[0]
    cb = parse_codebook_text(v.content, f"codebook version {v.version}")
    return NamedCodebook(cb, f"version {v.version}", "version", recorded_at=v.recorded_at,
                         source=v.source)


# --------------------------------------------------------------------------- rule text


def _plain_ok(s: str) -> bool:
    return (bool(re.fullmatch(r"\w[\w' .\-/]*\*?", s)) and not s.endswith(" ")
            and s.lower() not in ("yes", "no", "true", "false", "on", "off", "null", "y", "n", "~")
            and not re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", s.lower()))


def flow_yaml(value: Any) -> str:
    """A compact, one-line YAML (flow style) rendering of a rule value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if _plain_ok(value) else "'" + value.replace("'", "''") + "'"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow_yaml(str(k))}: {flow_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow_yaml(v) for v in value) + "]"
    return flow_yaml(str(value))


def rule_text(rule: Rule) -> str:
    """``terms: [fosse, mineur, gueule noire]``, ``regex: '\\b1[01]/19\\b'``…"""
    return f"{rule.kind}: {flow_yaml(rule.value)}"


def _canon(rule: Rule) -> str:
    return json.dumps({"kind": rule.kind, "value": rule.value}, sort_keys=True, ensure_ascii=False)


def _term_key(term: str) -> str:
    """A term as the engine tells it apart short of its lemmas: folded with the engine's
    :func:`qualcode.textnorm.fold` (case, accents, œ, typographic apostrophes), runs of
    whitespace as one space. Terms with one key are not reported as added or removed."""
    return fold(" ".join(term.split()))


def _terms_of(rule: Rule) -> list[str]:
    v = rule.value
    if rule.kind == "terms":
        return [str(t) for t in ([v] if isinstance(v, str) else v or [])]
    if rule.kind == "near" and isinstance(v, dict):
        out = []
        for key in ("terms", "with"):
            x = v.get(key) or []
            out += [str(t) for t in ([x] if isinstance(x, str) else x)]
        return out
    return []


# --------------------------------------------------------------------------- results


@dataclass
class FieldChange:
    field: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class RuleChange:
    op: str  # "added" | "removed" | "changed"
    section: str  # "rules" | "exclude"
    index: int  # position in the new list (added, changed) or in the old list (removed)
    rule: str  # compact YAML: the new rule (added, changed) or the old one (removed)
    before: str | None = None  # changed: the old rule
    old_index: int | None = None  # changed: position in the old list
    terms_added: list[str] = field(default_factory=list)  # changed terms/near rules
    terms_removed: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{'exclude' if self.section == 'exclude' else 'rules'}[{self.index}]"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"op": self.op, "section": self.section, "index": self.index, "rule": self.rule}
        if self.op == "changed":
            d.update(before=self.before, old_index=self.old_index, terms_added=self.terms_added,
                     terms_removed=self.terms_removed)
        return d


@dataclass
class CodeChange:
    """One code of either codebook: added, removed, or kept (paired old → new)."""

    kind: str  # "added" | "removed" | "kept"
    old_path: str | None
    new_path: str | None
    label: str
    renamed: bool = False  # the slug changed
    moved: bool = False  # the parent changed (not merely through a renamed ancestor)
    match: str | None = None  # kept: path | parent | slug | content | similar
    similarity: float | None = None  # match == "similar"
    fields: list[FieldChange] = field(default_factory=list)
    rules: list[RuleChange] = field(default_factory=list)
    rules_reordered: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def path_changed(self) -> bool:
        return self.kind == "kept" and self.old_path != self.new_path

    @property
    def edited(self) -> bool:
        """Kept, with a field or a rule changed."""
        return self.kind == "kept" and bool(self.fields or self.rules or self.rules_reordered)

    @property
    def changed(self) -> bool:
        return self.kind != "kept" or self.path_changed or self.edited

    @property
    def status(self) -> str:
        if self.kind != "kept":
            return self.kind
        if self.renamed and self.moved:
            return "renamed and moved"
        if self.renamed:
            return "renamed"
        if self.moved:
            return "moved"
        if self.path_changed:
            return "parent renamed"
        return "edited" if self.edited else "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "path": self.path, "old_path": self.old_path,
                "new_path": self.new_path, "label": self.label, "renamed": self.renamed,
                "moved": self.moved, "match": self.match, "similarity": self.similarity,
                "fields": [f.to_dict() for f in self.fields], "rules": [r.to_dict() for r in self.rules],
                "rules_reordered": self.rules_reordered}


@dataclass
class CodebookDiff:
    old: NamedCodebook
    new: NamedCodebook
    codebook_fields: list[FieldChange]
    codes: list[CodeChange]  # every code: new order, then the removed ones in old order

    def changes(self) -> list[CodeChange]:
        return [c for c in self.codes if c.changed]

    @property
    def pairs(self) -> dict[str, str]:
        """old path -> new path of every kept code."""
        return {c.old_path: c.new_path for c in self.codes
                if c.kind == "kept" and c.old_path is not None and c.new_path is not None}  # kept: both set

    def summary(self) -> dict[str, int]:
        rules = [r for c in self.codes for r in c.rules]
        return {
            "added": sum(c.kind == "added" for c in self.codes),
            "removed": sum(c.kind == "removed" for c in self.codes),
            "renamed": sum(c.renamed for c in self.codes),
            "moved": sum(c.moved for c in self.codes),
            "edited": sum(c.edited for c in self.codes),
            "rules_added": sum(r.op == "added" for r in rules),
            "rules_removed": sum(r.op == "removed" for r in rules),
            "rules_changed": sum(r.op == "changed" for r in rules),
        }

    @property
    def identical(self) -> bool:
        return not self.codebook_fields and not self.changes()

    def summary_line(self) -> str:
        s = self.summary()
        if self.identical:
            return "no difference"
        parts = [f"{s[k]} {k}" for k in ("added", "removed", "renamed", "moved", "edited") if s[k]]
        codes = ("codes: " + ", ".join(parts)) if parts else "codes: no change"
        r = [f"{s['rules_' + k]} {k}" for k in ("added", "removed", "changed") if s["rules_" + k]]
        rules = "rules: " + (", ".join(r) or "no change")
        out = f"{codes}; {rules}"
        if self.codebook_fields:
            out += "; codebook: " + ", ".join(f.field for f in self.codebook_fields) + " changed"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old.to_dict(), "new": self.new.to_dict(), "summary": self.summary(),
                "identical": self.identical,
                "codebook": [f.to_dict() for f in self.codebook_fields],
                "codes": [c.to_dict() for c in self.changes()]}


# --------------------------------------------------------------------------- pairing


def _content_signature(code: Code) -> str | None:
    content = {"rules": [_canon(r) for r in code.rules], "exclude": [_canon(r) for r in code.exclude],
               "definition": code.definition, "full_definition": code.full_definition,
               "when_to_use": code.when_to_use, "when_not_to_use": code.when_not_to_use,
               "examples": list(code.examples)}
    if not any(content.values()):
        return None  # an empty code is like any other empty code: no evidence
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


def _atoms(code: Code) -> Counter:
    atoms: Counter = Counter()
    for section, rules in (("rules", code.rules), ("exclude", code.exclude)):
        for r in rules:
            if r.kind == "terms":
                atoms.update((section, "terms", _term_key(t)) for t in _terms_of(r))
            else:
                atoms[(section, r.kind, _canon(r))] += 1
    return atoms


def _definition_text(code: Code) -> str:
    return " ".join(x.strip() for x in (code.definition, code.full_definition) if x)


def similarity(a: Code, b: Code) -> float:
    """How alike two codes are, 0 to 1 (see the module docstring)."""
    score = 0.0
    aa, bb = _atoms(a), _atoms(b)
    if aa and bb:
        score = sum((aa & bb).values()) / sum((aa | bb).values())
    da, db = _definition_text(a), _definition_text(b)
    if len(da) >= MIN_DEFINITION_CHARS and len(db) >= MIN_DEFINITION_CHARS:
        score = max(score, difflib.SequenceMatcher(None, da, db, autojunk=False).ratio())
    return round(score, 3)


def pair_codes(old: Codebook, new: Codebook) -> dict[str, tuple[str, str, float | None]]:
    """old path -> (new path, how, score): the pairing described in the module docstring."""
    o, n = old.by_path(), new.by_path()
    o_rank = {p: i for i, p in enumerate(o)}
    n_rank = {p: i for i, p in enumerate(n)}
    pairs: dict[str, tuple[str, str, float | None]] = {}
    taken: set[str] = set()

    def link(a: str, b: str, how: str, score: float | None = None) -> None:
        pairs[a] = (b, how, score)
        taken.add(b)

    for p in o:
        if p in n:
            link(p, p, "path")
    while True:
        # 2. children of paired parents keep their slug
        progress = False
        for p, c in o.items():
            if p in pairs or c.parent is None or c.parent not in pairs:
                continue
            q = f"{pairs[c.parent][0]}/{c.code}"
            if q in n and q not in taken:
                link(p, q, "parent")
                progress = True
        if progress:
            continue
        lo = [p for p in o if p not in pairs]
        ln = [q for q in n if q not in taken]
        if not lo or not ln:
            break
        # Steps 3-5 try the top-most unpaired codes first (top-level, or whose parent is
        # paired), so that a renamed parent pairs before its children, which then follow it.
        frontier = [p for p in lo if o[p].parent is None or o[p].parent in pairs]
        for subset in (frontier, lo):
            if _match_step(subset, lo, ln, o, n, o_rank, n_rank, link, pairs, taken):
                progress = True
                break
        if not progress:
            break
    return pairs


def _match_step(subset, lo, ln, o, n, o_rank, n_rank, link, pairs, taken) -> bool:
    """Steps 3, 4, 5 for the old codes in ``subset`` (uniqueness is judged over all the
    unpaired codes ``lo``/``ln``); True as soon as one step paired something."""
    # 3. same content, unique on both sides
    sig_o = {p: _content_signature(o[p]) for p in lo}
    sig_n = {q: _content_signature(n[q]) for q in ln}
    co, cn = Counter(s for s in sig_o.values() if s), Counter(s for s in sig_n.values() if s)
    found = False
    for p in subset:
        s = sig_o[p]
        if s and co[s] == 1 and cn.get(s) == 1:
            link(p, next(q for q in ln if sig_n[q] == s), "content")
            found = True
    if found:
        return True
    # 4. same slug elsewhere, unique on both sides
    so = Counter(o[p].code for p in lo)
    sn = Counter(n[q].code for q in ln)
    for p in subset:
        slug = o[p].code
        if so[slug] == 1 and sn.get(slug) == 1:
            link(p, next(q for q in ln if n[q].code == slug), "slug")
            found = True
    if found:
        return True
    # 5. similar content, best pairs first
    candidates = []
    for p in subset:
        for q in ln:
            score = similarity(o[p], n[q])
            if score >= SIMILARITY:
                candidates.append((-score, o_rank[p], n_rank[q], p, q))
    for neg, _, _, p, q in sorted(candidates):
        if p not in pairs and q not in taken:
            link(p, q, "similar", -neg)
            found = True
    return found


# --------------------------------------------------------------------------- diffing


def _field_value(code: Code, name: str) -> Any:
    v = getattr(code, name)
    return list(v) if isinstance(v, (list, tuple)) else v


def _rule_changes(old: list[Rule], new: list[Rule], section: str) -> tuple[list[RuleChange], bool]:
    ok, nk = [_canon(r) for r in old], [_canon(r) for r in new]
    unmatched_new = list(range(len(new)))
    removed: list[int] = []
    for i, k in enumerate(ok):
        j = next((j for j in unmatched_new if nk[j] == k), None)
        if j is None:
            removed.append(i)
        else:
            unmatched_new.remove(j)
    added = unmatched_new
    out: list[RuleChange] = []
    # A removed and an added rule of the same kind are one changed rule when they share a
    # term (terms, near) or sit at the same position.
    for i in list(removed):
        a, best = old[i], None
        for j in added:
            b = new[j]
            if b.kind != a.kind:
                continue
            ta, tb = {_term_key(t) for t in _terms_of(a)}, {_term_key(t) for t in _terms_of(b)}
            if (ta & tb) or i == j:
                best = j
                break
        if best is None:
            continue
        b = new[best]
        ta_raw, tb_raw = _terms_of(a), _terms_of(b)
        fa, fb = {_term_key(t) for t in ta_raw}, {_term_key(t) for t in tb_raw}
        out.append(RuleChange("changed", section, best, rule_text(b), before=rule_text(a), old_index=i,
                              terms_added=[t for t in tb_raw if _term_key(t) not in fa],
                              terms_removed=[t for t in ta_raw if _term_key(t) not in fb]))
        removed.remove(i)
        added.remove(best)
    out += [RuleChange("removed", section, i, rule_text(old[i])) for i in removed]
    out += [RuleChange("added", section, j, rule_text(new[j])) for j in added]
    out.sort(key=lambda r: (r.index, r.op))
    reordered = not out and ok != nk
    return out, reordered


def diff_codebooks(old: Codebook | NamedCodebook, new: Codebook | NamedCodebook) -> CodebookDiff:
    """The structural difference between two codebooks (pure: no project needed)."""
    old_n = old if isinstance(old, NamedCodebook) else NamedCodebook(old, old.source or "old", "file")
    new_n = new if isinstance(new, NamedCodebook) else NamedCodebook(new, new.source or "new", "file")
    a, b = old_n.codebook, new_n.codebook
    cb_fields = []
    for name in CODEBOOK_FIELDS:
        va, vb = getattr(a, name), getattr(b, name)
        va = list(va) if isinstance(va, (list, tuple)) else va
        vb = list(vb) if isinstance(vb, (list, tuple)) else vb
        if va != vb:
            cb_fields.append(FieldChange(name, va, vb))

    pairs = pair_codes(a, b)
    by_new = {q: (p, how, score) for p, (q, how, score) in pairs.items()}
    o, n = a.by_path(), b.by_path()
    codes: list[CodeChange] = []
    for q, nc in n.items():
        if q not in by_new:
            codes.append(CodeChange("added", None, q, nc.label))
            continue
        p, how, score = by_new[q]
        oc = o[p]
        parent_counterpart = pairs[oc.parent][0] if oc.parent in pairs else oc.parent
        change = CodeChange("kept", p, q, nc.label, renamed=oc.code != nc.code,
                            moved=nc.parent != parent_counterpart, match=how,
                            similarity=score)
        change.fields = [FieldChange(f, _field_value(oc, f), _field_value(nc, f)) for f in FIELDS
                         if _field_value(oc, f) != _field_value(nc, f)]
        r1, re1 = _rule_changes(oc.rules, nc.rules, "rules")
        r2, re2 = _rule_changes(oc.exclude, nc.exclude, "exclude")
        change.rules, change.rules_reordered = r1 + r2, re1 or re2
        codes.append(change)
    for p, oc in o.items():
        if p not in pairs:
            codes.append(CodeChange("removed", p, None, oc.label))
    return CodebookDiff(old_n, new_n, cb_fields, codes)


# --------------------------------------------------------------------------- coding effect


@dataclass
class Excerpt:
    document: str
    turn: int  # 1-based
    start: int
    end: int
    text: str
    origin: str  # the rule that fired (old codebook for lost units, new one for gained)

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "turn": self.turn, "start": self.start, "end": self.end,
                "text": self.text, "origin": self.origin}


@dataclass
class CodeEffect:
    code: str  # the new path, or the old one for a removed code
    old_path: str | None
    new_path: str | None
    status: str  # the CodeChange status
    before: int  # units the old codebook's rules code
    after: int  # units the new codebook's rules code
    kept: int
    gained: list[Excerpt] = field(default_factory=list)
    lost: list[Excerpt] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost)

    def to_dict(self, excerpts: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "old_path": self.old_path, "new_path": self.new_path,
                             "status": self.status, "before": self.before, "after": self.after,
                             "kept": self.kept, "gained": len(self.gained), "lost": len(self.lost)}
        if excerpts:
            d["gained_units"] = [e.to_dict() for e in self.gained]
            d["lost_units"] = [e.to_dict() for e in self.lost]
        return d


@dataclass
class CodingEffect:
    documents: int
    pipeline: str
    include_interviewer: bool
    codes: list[CodeEffect]
    annotated: int = 0  # documents annotated in memory (not in the cache)

    @property
    def gained(self) -> int:
        return sum(len(c.gained) for c in self.codes)

    @property
    def lost(self) -> int:
        return sum(len(c.lost) for c in self.codes)

    def to_dict(self, excerpts: bool = False) -> dict[str, Any]:
        return {"documents": self.documents, "pipeline": self.pipeline,
                "include_interviewer": self.include_interviewer, "annotated_in_memory": self.annotated,
                "gained": self.gained, "lost": self.lost,
                "codes": [c.to_dict(excerpts) for c in self.codes]}


def coding_effect(project: Project, diff: CodebookDiff, *, documents: list[str] | None = None,
                  include_interviewer: bool = False,
                  progress: Callable[[int], None] | None = None) -> CodingEffect:
    """Apply both codebooks' rules to the project's documents and compare, per code
    (a kept code under its pairing), the coded units. Read-only: missing annotations
    are computed in memory and not cached."""
    for nc in (diff.old, diff.new):
        if nc.codebook.language != project.language:
            raise QualcodeError(f"{nc.name}: the codebook is for language {nc.codebook.language!r} but the "
                                f"project's transcripts are {project.language!r} (--no-effect compares "
                                "the codebooks only)")
    pipeline = load_pipeline(project.language)
    # the terms' analyses that autocode keeps (read only): the pipeline is loaded only for
    # a term not analysed yet
    terms = load_term_cache(project, term_cache_key(pipeline))
    compiled_old = compile_codebook(diff.old.codebook, pipeline, term_cache=terms)
    compiled_new = compile_codebook(diff.new.codebook, pipeline, term_cache=terms)
    docs = select_documents(project, documents or None, order="given", suggest_names=False)
    annotations, computed, _cached = load_annotations(project, docs, pipeline, write=False, progress=progress)

    # the pattern rules' matches that autocode cached (read only), shared by both codebooks:
    # an edit that leaves the patterns alone needs neither spaCy nor its Matcher
    stored = load_pattern_matches(project, [d.id for d in docs]) if compiled_old.patterns or compiled_new.patterns \
        else {}
    before: dict[str, dict[tuple, Excerpt]] = {}
    after: dict[str, dict[tuple, Excerpt]] = {}
    for d in docs:
        roles = [t.role for t in project.store.documents.turns(d.id)]
        cache = PatternCache(stored.get(d.id))
        for compiled, target in ((compiled_old, before), (compiled_new, after)):
            for p in apply(compiled, annotations[d.id], roles, include_interviewer=include_interviewer,
                           pattern_cache=cache):
                key = (d.name, p.start, p.end)
                target.setdefault(p.code_path, {})[key] = Excerpt(
                    d.name, p.turn_index + 1, p.start, p.end, d.text[p.start:p.end], p.origin)

    effects = []
    for c in diff.codes:
        b = before.get(c.old_path, {}) if c.old_path else {}
        a = after.get(c.new_path, {}) if c.new_path else {}
        effects.append(CodeEffect(
            c.path, c.old_path, c.new_path, c.status, len(b), len(a), len(a.keys() & b.keys()),
            gained=[a[k] for k in sorted(a.keys() - b.keys())],
            lost=[b[k] for k in sorted(b.keys() - a.keys())]))
    return CodingEffect(len(docs), pipeline.name, include_interviewer, effects, annotated=computed)
