"""Coded excerpts for a thesis chapter (``qualcode export excerpts``).

:func:`collect_excerpts` gathers the excerpts of the selected codes, in the order of the
code tree (a parent, then its children; siblings in the order they entered the project,
which is the codebook's), each with its case, pseudonym, attribute value, document, turn
and timestamp. :func:`write_excerpts` writes them as DOCX, Markdown, LaTeX, CSV or XLSX,
with the provenance of the export, atomically.

An *excerpt* is a coded span: a coding, or several codings of the same span with the
same code by several coders (they are merged: their coders, statuses and origins are
listed together). A code's section holds the codings of that code only; the codings of
its sub-codes are in the sub-codes' sections.

The case of an excerpt is the case of the speaker of its turn when the speaker is linked
to a case (focus groups), else the case of its document; a document linked to several
cases gives them all (``P01 + P02``, attribute values joined with ``/``).

``max_per_code``: a random sample of at most N excerpts per code (and per attribute
value when ``by`` is given), drawn with :class:`random.Random` seeded with
``"{seed}|{code}|{value}"``. The same project, filters and seed give the same sample,
and adding a code to the selection does not change the other codes' samples. Without a
seed one is drawn and recorded (in the result, the provenance and the CLI output).
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError, UsageError
from qualcode.exporters import citations as _citations
from qualcode.exporters.base import Provenance, atomic_write, check_output, provenance_for
from qualcode.exporters.docx_util import body_writer, provenance_paragraph, set_language, stamp_provenance
from qualcode.exporters.layout import DisplayTable, HeaderCell, Page, docx_caption, docx_table, fit_columns, set_page
from qualcode.exporters.passages import passage, word_count
from qualcode.exporters.typography import (
    NBSP,
    collapse_whitespace,
    en_quote,
    fr_quote,
    fr_typography,
)
from qualcode.formulas import SafeWriter, set_cell
from qualcode.i18n import Labels, export_language
from qualcode.pseudo.apply import PseudoLabels
from qualcode.pseudo.replace import Pseudonymizer, PseudoText
from qualcode.store.cases import Case
from qualcode.store.documents import Turn, turn_at
from qualcode.testhooks import pause_point
from qualcode.textnorm import md_cell, md_escape, tex_escape, xml_safe

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("docx", "md", "tex", "csv", "xlsx")
SUFFIXES = {".docx": "docx", ".md": "md", ".markdown": "md", ".tex": "tex", ".csv": "csv", ".xlsx": "xlsx"}
STATUSES = ("proposed", "accepted", "rejected")
DEFAULT_STATUSES = ("proposed", "accepted")
PSEUDONYM_ATTRIBUTES = ("pseudonym", "pseudonyme")
COLUMNS = ("code", "code_label", None, "case", "pseudonym", "speaker", "document", "turn", "time", "text",
           "coder", "status", "origin", "start", "end")  # None: the attribute's name

_TEXTS = {
    "fr": {
        "title": "Extraits codés – {project}",
        "turn": "tour",
        "table": "Nombre d'extraits par code et par {attribute}",
        "table_plain": "Nombre d'extraits par code",
        "code": "Code",
        "total": "Total",
        "none": "non renseigné",
        "no_excerpts": "Aucun extrait.",
        "excerpts": lambda n: f"{n} extrait" + ("s" if n > 1 else ""),
        "shown": lambda k, n: f"{k} extrait{'s' if k > 1 else ''} sur {n}",
        "count_note": "Les effectifs comptent tous les extraits retenus par les filtres (statuts : "
                      "{statuses}), avant tout échantillonnage ; un code parent ne compte que ses propres "
                      "extraits, pas ceux de ses sous-codes.",
        "min_words_note": "Seuls les extraits d'au moins {n} mots sont reproduits.",
        "sample_note": "Échantillon aléatoire reproductible : au plus {n} extraits par code{per} "
                       "(graine {seed}) ; {shown} extraits reproduits sur {total}.",
        "per_value": " et par valeur de {attribute}",
        "heading_value": "{attribute} : {value} ({count})",
    },
    "en": {
        "title": "Coded excerpts – {project}",
        "turn": "turn",
        "table": "Number of excerpts by code and {attribute}",
        "table_plain": "Number of excerpts by code",
        "code": "Code",
        "total": "Total",
        "none": "not set",
        "no_excerpts": "No excerpts.",
        "excerpts": lambda n: f"{n} excerpt" + ("s" if n != 1 else ""),
        "shown": lambda k, n: f"{k} of {n} excerpts",
        "count_note": "Counts are of all the excerpts selected by the filters (statuses: {statuses}), "
                      "before any sampling; a parent code counts only its own excerpts, not those of "
                      "its sub-codes.",
        "min_words_note": "Only excerpts of at least {n} words are reproduced.",
        "sample_note": "Reproducible random sample: at most {n} excerpts per code{per} (seed {seed}); "
                       "{shown} of {total} excerpts reproduced.",
        "per_value": " and value of {attribute}",
        "heading_value": "{attribute}: {value} ({count})",
    },
}


# --------------------------------------------------------------------------- model


@dataclass
class Excerpt:
    code: str
    document: str
    start: int
    end: int
    text: str  # the coded text: exactly documents.text[start:end]
    turn: int | None  # 1-based turn containing the start, None outside every turn
    time: float | None  # the turn's start time in seconds, when known
    case: str | None
    pseudonym: str | None
    value: str | None  # the cited attribute's value for this excerpt's case, as stored
    coders: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    speaker: str | None = None  # the turn's speaker label
    role: str | None = None  # interviewer | participant | other
    attributes: dict[str, Any] = field(default_factory=dict)  # the case's (several cases': joined with /)
    # what is shown (see qualcode.exporters.passages): the coded text, or wider when it
    # would cut a quotation; [...] marks; context sentences; unpaired marks left
    shown: str | None = None
    lead: bool = False
    trail: bool = False
    before: str = ""
    after: str = ""
    balanced: bool = True

    @property
    def display_text(self) -> str:
        """The shown text with its whitespace collapsed (back-channels kept)."""
        return collapse_whitespace(self.text if self.shown is None else self.shown)

    @property
    def timestamp(self) -> str | None:
        return format_time(self.time)


@dataclass
class CodeExcerpts:
    path: str
    label: str
    definition: str | None
    depth: int  # 0 for the top of the selection
    excerpts: list[Excerpt]  # those reproduced (after sampling), in document order
    total: int  # all the excerpts selected by the filters
    counts: dict[str | None, int] = field(default_factory=dict)  # attribute value -> total
    has_children: bool = False  # some sub-code is in the selection

    @property
    def empty_note(self) -> bool:
        """Say 'no excerpts' under the heading (not for a parent whose sub-codes follow)."""
        return not self.total and not self.has_children

    def groups(self, values: list[str | None]) -> list[tuple[str | None, list[Excerpt], int]]:
        """(value, excerpts reproduced, total) for the values that have excerpts."""
        out = []
        for v in values:
            if self.counts.get(v):
                out.append((v, [e for e in self.excerpts if e.value == v], self.counts[v]))
        return out


@dataclass
class ExcerptSet:
    project: str
    language: str
    attribute: str | None  # the attribute cited: ``by``, else ``group`` when cases have it
    by: str | None  # the attribute excerpts are grouped by (None: not grouped)
    values: list[str | None]  # the attribute's values, in display order
    codes: list[CodeExcerpts]
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    coders: list[str] | None = None
    code_filter: list[str] | None = None
    max_per_code: int | None = None
    seed: int | str | None = None
    cite: str | None = None  # the citation template (None: the default for the language)
    context: int = 0  # sentences shown before and after each excerpt
    min_words: int | None = None
    label_table: dict[str, Any] = field(default_factory=dict)  # [labels] of qualcode.toml
    pseudo: Pseudonymizer | None = None  # the pseudonym key applied (texts already replaced)

    @cached_property
    def labels(self) -> Labels:
        """The labels of the export (made once: every citation uses them)."""
        return PseudoLabels.wrap(Labels.from_config({"labels": self.label_table}, self.language), self.pseudo)

    def hide(self, value: Any) -> Any:
        """``value`` through the pseudonym key (when one is applied)."""
        return self.pseudo.value(value) if self.pseudo is not None and isinstance(value, str) else value

    @cached_property
    def template(self) -> str:
        """The citation template: ``cite``, else the default for the language."""
        return self.cite or _citations.default_template(self.language, self.attribute)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.codes)

    @property
    def shown(self) -> int:
        return sum(len(c.excerpts) for c in self.codes)

    def filters(self) -> dict[str, Any]:
        """For the provenance: what selected these excerpts."""
        return {
            "codes": ",".join(self.code_filter) if self.code_filter else None,
            "by": self.by,
            "status": ",".join(self.statuses),
            "max": self.max_per_code,
            "seed": self.seed if self.max_per_code else None,
            "cite": self.cite,
            "context": self.context or None,
            "min_words": self.min_words,
        }

    @property
    def unbalanced(self) -> list[Excerpt]:
        """Excerpts reproduced whose quotation marks stay unpaired (the transcript's own)."""
        return [e for c in self.codes for e in c.excerpts if not e.balanced]

    def to_dict(self) -> dict:
        return {
            "project": self.project, "language": self.language, "attribute": self.attribute, "by": self.by,
            "values": self.values, "total": self.total, "shown": self.shown,
            "statuses": list(self.statuses), "coders": self.coders, "codes_selected": self.code_filter,
            "max_per_code": self.max_per_code, "seed": self.seed if self.max_per_code else None,
            "unbalanced": [{"document": e.document, "turn": e.turn, "start": e.start, "end": e.end}
                           for e in self.unbalanced],
            "codes": [{"code": c.path, "label": c.label, "depth": c.depth, "total": c.total,
                       "shown": len(c.excerpts), "counts": {str(k): v for k, v in c.counts.items()}}
                      for c in self.codes],
        }


def format_time(seconds: float | None) -> str | None:
    """Seconds -> ``HH:MM:SS`` (truncated to the second)."""
    if seconds is None:
        return None
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------- collecting


def collect_excerpts(
    project: Project,
    codes: Iterable[str] | None = None,
    by: str | None = None,
    coders: Iterable[str] | None = None,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    max_per_code: int | None = None,
    seed: int | str | None = None,
    cite: str | None = None,
    language: str | None = None,
    context: int = 0,
    min_words: int | None = None,
    pseudo: Pseudonymizer | None = None,
) -> ExcerptSet:
    """The excerpts of ``codes`` (paths, each with its sub-codes; default: every active code).

    ``by``: group the excerpts by this case attribute (and cite its value); ``coders``:
    only their codings; ``statuses``: coding statuses kept (default proposed and
    accepted); ``max_per_code``/``seed``: a reproducible random sample (see the module
    documentation); ``cite``: the citation template (default: ``[export] cite`` of
    qualcode.toml, else :func:`~qualcode.exporters.citations.default_template`; see
    :mod:`qualcode.exporters.citations`); ``language``: of the exported words (default:
    the project's export language); ``context``: sentences of the turn shown before and
    after each excerpt; ``min_words``: excerpts reproduced have at least that many words
    (the counts still count every excerpt). Excerpts never start or end inside a
    quotation (see :mod:`qualcode.exporters.passages`). Retired codes are left out.
    ``pseudo``: a pseudonym key applied to the texts (on each whole document, so that the
    offsets of the excerpts stay those of the stored text), speakers, attribute values
    and labels (see :mod:`qualcode.pseudo`).
    """
    statuses = tuple(dict.fromkeys(statuses))
    bad = [s for s in statuses if s not in STATUSES]
    if bad or not statuses:
        raise UsageError(f"unknown status {bad[0]!r} (choose from {', '.join(STATUSES)})" if bad
                         else "no status selected")
    if max_per_code is not None and max_per_code < 1:
        raise UsageError(f"--max must be at least 1, not {max_per_code}")
    if context < 0:
        raise UsageError(f"--context must be 0 or more, not {context}")
    if min_words is not None and min_words < 1:
        raise UsageError(f"--min-words must be at least 1, not {min_words}")
    code_filter = [c.strip().strip("/") for c in codes or [] if c.strip().strip("/")] or None
    coders = list(dict.fromkeys(coders)) if coders else None
    if max_per_code and seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    language = export_language(project.config, language)
    label_table = dict(project.config.get("labels") or {})
    Labels.from_config({"labels": label_table}, language)  # a malformed [labels] fails here
    configured = (project.config.get("export") or {}).get("cite")
    from_config = cite is None and bool(configured)
    cite = cite or (str(configured) if configured else None)

    store = project.store

    def gather() -> tuple:
        tree = _select_codes(store, code_filter)
        cases = store.cases.all()
        turns = _turns(store)
        rows = _codings(store, [t[0] for t in tree], statuses, coders)
        texts = {doc_id: store.documents.text(doc_id) for doc_id in {r.document_id for r in rows}}
        pause_point("export-gathering")  # tests: another command runs while the snapshot is held
        return tree, cases, turns, rows, texts

    # one consistent snapshot of the project, without the write lock: other commands may
    # write (and other exports read) meanwhile
    tree, cases, turns, rows, texts = store.read(gather)
    attribute = by
    if by is not None and not any(by in c.attributes for c in cases):
        names = sorted({a for c in cases for a in c.attributes})
        raise QualcodeError(f"no case has an attribute {by!r}"
                            + (f" (attributes: {', '.join(names)})" if names else " (see 'qualcode cases')"))
    if by is None and any("group" in c.attributes for c in cases):
        attribute = "group"
    if cite is not None:
        try:
            _citations.check_template(cite, [a for c in cases for a in c.attributes])
        except UsageError as exc:
            if not from_config:
                raise
            raise UsageError(f"[export] cite: {exc}", path=str(project.config_path)) from None
    case_ids = {c.id: c.name for c in cases}
    case_info = {c.name: c for c in cases}
    doc_cases: dict[str, list[str]] = {}
    for c in cases:
        for d in c.documents:
            doc_cases.setdefault(d, []).append(c.name)

    merged: dict[tuple, Excerpt] = {}
    by_code: dict[int, list[Excerpt]] = {}
    hidden: dict[int, PseudoText] = {}
    sentences: dict[int, dict] = {}  # document id -> its turns' sentences, found once each
    for r in rows:
        key = (r.document_id, r.code_id, r.start, r.end)
        ex = merged.get(key)
        if ex is None:
            turn_no, time, speaker, role, speaker_case = _turn_of(turns.get(r.document_id), r.start)
            if role == "interviewer":  # not the participant's words: cite the interviewer
                names = []
            elif speaker_case in case_ids:  # focus groups: the speaker's own case
                names = [case_ids[speaker_case]]
            else:
                names = doc_cases.get(r.document, [])
            case, pseudonym, value, attrs = _case_fields(names, case_info, attribute)
            ex = Excerpt(code=r.code, document=r.document, start=r.start, end=r.end,
                         text=r.text, turn=turn_no, time=time, case=case, pseudonym=pseudonym, value=value,
                         speaker=speaker, role=role, attributes=attrs)
            p = _frame(ex, texts[r.document_id], turns.get(r.document_id), context,
                       sentences.setdefault(r.document_id, {}))
            if pseudo is not None:
                if r.document_id not in hidden:
                    hidden[r.document_id] = pseudo.document(texts[r.document_id])
                _hide(ex, hidden[r.document_id], pseudo, p.start, p.end)
            merged[key] = ex
            by_code.setdefault(r.code_id, []).append(ex)
        for attr, item in (("coders", r.coder), ("statuses", r.status), ("origins", r.origin)):
            if item not in getattr(ex, attr):
                getattr(ex, attr).append(item)

    # every value of the attribute among the cases (a column of zeros says something too),
    # and the values only excerpts have (none, or several cases')
    values_set = {ex.value for ex in merged.values()}
    if attribute:
        values_set |= {_as_str(c.attributes[attribute]) for c in cases
                       if c.attributes.get(attribute) is not None}
    values = sorted(values_set, key=_value_order)
    sections = []
    for code_id, path, label, definition, depth in tree:
        excerpts = by_code.get(code_id, [])
        counts: dict[str | None, int] = {}
        for ex in excerpts:
            counts[ex.value] = counts.get(ex.value, 0) + 1
        shown = excerpts
        if min_words:
            shown = [e for e in excerpts if word_count(e.text) >= min_words]
        if max_per_code:
            pool = shown
            if by is not None:
                shown = [e for v in values
                         for e in _sample([x for x in pool if x.value == v], max_per_code, seed, path, v)]
                shown.sort(key=lambda e: (e.document, e.start, e.end))
            else:
                shown = _sample(pool, max_per_code, seed, path, None)
        has_children = any(p.startswith(path + "/") for _, p, *_ in tree)
        if pseudo is not None:  # a code named after a place or a person
            label, definition = pseudo.text(label) or label, pseudo.text(definition)
        sections.append(CodeExcerpts(path, label, definition, depth, shown, len(excerpts), counts, has_children))
    name = project.name if pseudo is None else (pseudo.text(project.name) or project.name)
    return ExcerptSet(project=name, language=language, attribute=attribute, by=by,
                      values=values, codes=sections, statuses=statuses, coders=coders,
                      code_filter=code_filter, max_per_code=max_per_code, seed=seed, cite=cite,
                      context=context, min_words=min_words, label_table=label_table, pseudo=pseudo)


def _select_codes(store, code_filter: list[str] | None) -> list[tuple[int, str, str, str | None, int]]:
    """(id, path, label, definition, depth) of the selected active codes, in tree order."""
    rows = store.codes.all()
    by_path = {r.path: r for r in rows}
    ids = {r.id for r in rows}
    children: dict[int | None, list] = {}
    for r in rows:
        parent = r.parent_id if r.parent_id in ids else None
        children.setdefault(parent, []).append(r)
    ordered: list = []

    def walk(parent: int | None) -> None:
        for r in children.get(parent, []):
            ordered.append(r)
            walk(r.id)

    walk(None)
    if code_filter:
        for path in code_filter:
            if path not in by_path:
                close = difflib.get_close_matches(path, list(by_path), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else " (see 'qualcode codebook show')"
                raise QualcodeError(f"no code {path!r} in the project{hint}")
            if by_path[path].status == "retired":
                raise QualcodeError(f"code {path!r} is retired")

        def selected(p: str) -> bool:
            return any(p == c or p.startswith(c + "/") for c in code_filter)
    else:
        def selected(p: str) -> bool:
            return True

    chosen = [r for r in ordered if r.status == "active" and selected(r.path)]
    chosen_paths = {r.path for r in chosen}
    out = []
    for r in chosen:
        parts = r.path.split("/")
        depth = sum("/".join(parts[:i]) in chosen_paths for i in range(1, len(parts)))
        out.append((r.id, r.path, r.label, r.definition, depth))
    return out


def _frame(ex: Excerpt, text: str, turns: tuple[list[Turn], list[int]] | None, context: int,
           sentences: dict | None = None) -> Any:
    """Set what ``ex`` shows: never a cut quotation, ``[…]`` marks, context sentences;
    returns the passage. ``sentences``: the sentences found so far in ``text``."""
    turn = turn_at(turns[0], ex.start, turns[1]) if turns else None
    lo, hi = (turn.start, turn.end) if turn is not None else _line_bounds(text, ex.start, ex.end)
    p = passage(text, ex.start, ex.end, lo, hi, context, sentences)
    if (p.start, p.end) != (ex.start, ex.end):
        ex.shown = text[p.start:p.end]
    ex.lead, ex.trail, ex.before, ex.after, ex.balanced = p.lead, p.trail, p.before, p.after, p.balanced
    return p


def _hide(ex: Excerpt, doc: PseudoText, pseudo: Pseudonymizer, start: int, end: int) -> None:
    """Replace the key's names in what ``ex`` shows, from the pseudonymized document (the
    offsets stay those of the stored text; only the shown strings change)."""
    ex.text = doc.slice(ex.start, ex.end)
    if ex.shown is not None:
        ex.shown = doc.slice(start, end)
    if ex.before:
        ex.before = doc.slice(start - len(ex.before), start)
    if ex.after:
        ex.after = doc.slice(end, end + len(ex.after))
    ex.speaker = pseudo.text(ex.speaker)
    ex.document = pseudo.name(ex.document)
    ex.pseudonym = pseudo.text(ex.pseudonym)
    ex.case = pseudo.text(ex.case)
    ex.attributes = {k: pseudo.value(v) for k, v in ex.attributes.items()}


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The lines holding ``start:end`` (outside every turn)."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return lo, len(text) if hi < 0 else hi


def _turns(store) -> dict[int, tuple[list[Turn], list[int]]]:
    """document id -> (its turns, their starts)."""
    return {doc_id: (turns, [t.start for t in turns])
            for doc_id, turns in store.documents.turns_by_document().items()}


def _turn_of(turns: tuple[list[Turn], list[int]] | None, start: int) -> tuple:
    """(turn number, time, speaker, role, speaker's case id) of the turn holding ``start``."""
    if not turns:
        return None, None, None, None, None
    t = turn_at(turns[0], start, turns[1])
    if t is None:
        return None, None, None, None, None
    # the role of a turn without a speaker is None here, not 'other'
    return t.idx, t.time_start, t.speaker, t.role if t.speaker is not None else None, t.case_id


def _codings(store, code_ids: list[int], statuses: tuple[str, ...], coders: list[str] | None) -> list:
    """The codings of these codes, in reading order (document name, offsets, code, coder)."""
    if not code_ids:
        return []
    return store.codings.select(code_ids=code_ids, statuses=statuses, coders=coders or None)


def _case_fields(names: list[str], info: dict[str, Case],
                 attribute: str | None) -> tuple[str | None, str | None, str | None, dict[str, Any]]:
    """(case names, pseudonyms, the cited attribute's value, every attribute) of the cases
    ``names`` (several cases: joined with `` + `` and ``/``)."""
    if not names:
        return None, None, None, {}
    names = sorted(set(names))
    pseudonyms, values = [], []
    merged: dict[str, list[Any]] = {}
    for n in names:
        case = info.get(n)
        attrs = case.attributes if case is not None else {}
        for k, item in attrs.items():
            if item is not None and item != "" and item not in merged.setdefault(k, []):
                merged[k].append(item)
        p = next((attrs[a] for a in PSEUDONYM_ATTRIBUTES if attrs.get(a) not in (None, "")), None)
        if p is not None and str(p) not in pseudonyms:
            pseudonyms.append(str(p))
        v = attrs.get(attribute) if attribute else None
        if v is not None and _as_str(v) not in values:
            values.append(_as_str(v))
    joined = {k: (vs[0] if len(vs) == 1 else "/".join(sorted(_as_str(v) for v in vs)))
              for k, vs in merged.items() if vs}
    return (" + ".join(names), " + ".join(pseudonyms) or None,
            "/".join(sorted(values)) if values else None, joined)


def _as_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _value_order(v: str | None) -> tuple:
    if v is None:
        return (2, 0.0, "")
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v.casefold())


def _sample(items: list[Excerpt], n: int, seed: int | str | None, code: str, value: str | None) -> list[Excerpt]:
    """At most ``n`` of ``items`` (in document order), the same for the same seed."""
    if len(items) <= n:
        return list(items)
    rng = random.Random(f"{seed}|{code}|{'' if value is None else value}")
    keep = sorted(rng.sample(range(len(items)), n))
    return [items[i] for i in keep]


# --------------------------------------------------------------------------- text


def _t(language: str) -> dict:
    return _TEXTS["fr" if language == "fr" else "en"]


def _ui(text: str, language: str) -> str:
    """An interface string in the export's language (French typography in French)."""
    return fr_typography(text) if language == "fr" else text


ELLIPSIS = "[…]"


def quote_text(excerpt: Excerpt, language: str) -> str:
    """The excerpt between quotation marks: « … » in French (French typography inside),
    ``[…]`` where it starts or ends in the middle of a sentence."""
    text = excerpt.display_text
    if excerpt.lead:
        text = f"{ELLIPSIS} {text}"
    if excerpt.trail:
        text = f"{text} {ELLIPSIS}"
    if language == "fr":
        return fr_quote(fr_typography(text, nested=True))
    return en_quote(text)


def context_texts(excerpt: Excerpt, language: str) -> tuple[str, str]:
    """The context sentences before and after, whitespace collapsed (French typography)."""
    out = []
    for part in (excerpt.before, excerpt.after):
        part = collapse_whitespace(part).strip()
        out.append(_ui(part, language) if part else "")
    return out[0], out[1]


def citation(excerpt: Excerpt, language: str, attribute: str | None = None, *,
             template: str | None = None, labels: Labels | None = None) -> str:
    """``(P07, Josiane, habitants, tour 12, 00:14:32)`` by ``template`` (default:
    case, pseudonym, the ``attribute``'s value, turn and time — no document name; see
    :mod:`qualcode.exporters.citations`).

    An interviewer's words are cited with the interviewer's label instead of the case.
    """
    template = template or _citations.default_template(language, attribute)
    return _citations.cite(excerpt, template, labels or Labels(language))


def excerpt_line(excerpt: Excerpt, language: str, attribute: str | None = None, *,
                 template: str | None = None, labels: Labels | None = None) -> str:
    cited = citation(excerpt, language, attribute, template=template, labels=labels)
    before, after = context_texts(excerpt, language)
    return " ".join(p for p in (before, quote_text(excerpt, language), after, cited) if p)


def data_citation(excerpt: Excerpt, data: ExcerptSet) -> str:
    """The citation of ``excerpt`` by the template and labels of ``data``."""
    return data.hide(citation(excerpt, data.language, data.attribute, template=data.template, labels=data.labels))


def data_line(excerpt: Excerpt, data: ExcerptSet) -> str:
    return data.hide(excerpt_line(excerpt, data.language, data.attribute, template=data.template,
                                  labels=data.labels))


def _value_label(v: str | None, data: ExcerptSet) -> str:
    if v is None:
        return _t(data.language)["none"]
    return data.labels.value(data.attribute, v)


def _value_heading(data: ExcerptSet, value: str | None, shown: int, total: int) -> str:
    t = _t(data.language)
    count = t["excerpts"](total) if shown == total else t["shown"](shown, total)
    attribute = data.labels.attribute(data.by) if data.by else ""
    return _ui(t["heading_value"].format(attribute=attribute, value=_value_label(value, data),
                                         count=count), data.language)


def _notes(data: ExcerptSet) -> list[str]:
    t = _t(data.language)
    labels = data.labels
    notes = [t["count_note"].format(statuses=", ".join(labels.status(s) for s in data.statuses))]
    if data.min_words:
        notes.append(t["min_words_note"].format(n=data.min_words))
    if data.max_per_code:  # last: the report repeats it above the excerpts
        per = t["per_value"].format(attribute=labels.attribute(data.by)) if data.by else ""
        notes.append(t["sample_note"].format(n=data.max_per_code, per=per, seed=data.seed,
                                             shown=data.shown, total=data.total))
    return [_ui(n, data.language) for n in notes]


def summary_rows(data: ExcerptSet) -> tuple[list[str], list[tuple[CodeExcerpts, list[int]]]]:
    """Header (Code, values…, Total) and, per code, the counts per value and the total."""
    t = _t(data.language)
    values = data.values if data.attribute else []
    header = [t["code"], *[_value_label(v, data) for v in values], t["total"]]
    rows = [(c, [c.counts.get(v, 0) for v in values] + [c.total]) for c in data.codes]
    return header, rows


def _title(data: ExcerptSet) -> str:
    return _t(data.language)["title"].format(project=data.project)


def _table_title(data: ExcerptSet) -> str:
    t = _t(data.language)
    return t["table"].format(attribute=data.labels.attribute(data.attribute)) if data.attribute else t["table_plain"]


# --------------------------------------------------------------------------- writing


def output_format(path: str | Path, fmt: str | None) -> str:
    """The format: ``fmt`` if given (it must agree with a known suffix), else from the suffix."""
    suffix = Path(path).suffix.lower()
    guessed = SUFFIXES.get(suffix)
    if fmt is None:
        if guessed is None:
            raise UsageError(f"cannot tell the format of {path} from its extension: pass --format "
                             f"({'|'.join(FORMATS)})")
        return guessed
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if guessed is not None and guessed != fmt:
        raise UsageError(f"--format {fmt} but {path} has the extension {suffix}")
    return fmt


def write_excerpts(data: ExcerptSet, fmt: str, path: str | Path, provenance: Provenance,
                   force: bool = False, language: str | None = None) -> Path:
    """Write ``data`` to ``path`` as ``fmt`` (docx|md|tex|csv|xlsx), atomically.

    An existing file is refused unless ``force``. ``language``: of the headings, notes and
    typography (default: the project's; French gets « » and French spacing).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if language is not None and language != data.language:
        from dataclasses import replace

        data = replace(data, language=language)
    writer = {"docx": _write_docx, "md": _write_md, "tex": _write_tex, "csv": _write_csv,
              "xlsx": _write_xlsx}[fmt]
    with atomic_write(path, force=force) as tmp:
        writer(data, tmp, provenance)
    return Path(path)


def export_excerpts(project: Project, output: str | Path, fmt: str | None = None, *,
                    codes: Iterable[str] | None = None, by: str | None = None,
                    coders: Iterable[str] | None = None, statuses: Iterable[str] = DEFAULT_STATUSES,
                    max_per_code: int | None = None, seed: int | str | None = None,
                    force: bool = False, command: str = "qualcode export excerpts",
                    cite: str | None = None, language: str | None = None, context: int = 0,
                    min_words: int | None = None,
                    pseudo: Pseudonymizer | None = None) -> tuple[ExcerptSet, Provenance]:
    """Collect and write in one call; returns the excerpts and the provenance recorded."""
    fmt = output_format(output, fmt)
    check_output(output, force)  # fail before the work, not after
    data = collect_excerpts(project, codes=codes, by=by, coders=coders, statuses=statuses,
                            max_per_code=max_per_code, seed=seed, cite=cite, language=language,
                            context=context, min_words=min_words, pseudo=pseudo)
    prov = provenance_for(project, command, filters=data.filters(), coders=data.coders)
    write_excerpts(data, fmt, output, prov, force=force)
    return data, prov


# -- DOCX ---------------------------------------------------------------------------


def _write_docx(data: ExcerptSet, path: Path, prov: Provenance) -> None:
    from docx import Document
    from docx.shared import Pt

    lang = data.language
    doc = Document()
    page = Page()  # A4, 2.5 cm margins
    set_page(doc.sections[0], page)
    set_language(doc, lang)
    stamp_provenance(doc, prov, title=_title(data))
    provenance_paragraph(doc, prov)

    w = body_writer(doc)
    w.paragraph(xml_safe(_title(data)), style="Title")

    header, rows = summary_rows(data)
    shown = DisplayTable(_ui(_table_title(data), lang), [[HeaderCell(h) for h in header]],
                         [[code.label, *map(str, counts)] for code, counts in rows],
                         [False] + [True] * (len(header) - 1), [code.depth for code, _ in rows],
                         {i for i, (code, _) in enumerate(rows) if code.depth == 0})
    docx_caption(doc, "table", 1, shown.title, lang)
    docx_table(doc, shown, fit_columns(shown, page, allow_landscape=False))
    for note in _notes(data):
        p = w.paragraph()
        p.add_run(xml_safe(note)).font.size = Pt(9)

    append_excerpts_docx(doc, data, level=1, sample_note=False)  # the notes are under the table
    doc.save(str(path))


def append_excerpts_docx(doc, data: ExcerptSet, *, level: int = 1, sample_note: bool = True,
                         language: str | None = None) -> None:
    """Append the code sections of ``data`` to a python-docx ``doc`` (built-in styles).

    ``level``: heading level of the top codes (sub-codes and attribute values go deeper,
    up to Heading 9); ``sample_note``: start with the note on the ``--max`` sample, if
    any. Shared by ``export excerpts`` and the report so that both look the same.
    """
    if language is not None and language != data.language:
        from dataclasses import replace

        data = replace(data, language=language)
    lang = data.language
    w = body_writer(doc)  # constant time per paragraph (python-docx's add_paragraph is not)
    if sample_note and data.max_per_code:
        from docx.shared import Pt

        w.paragraph().add_run(xml_safe(_notes(data)[-1])).font.size = Pt(9)
    quote = _QuoteWriter(doc, data)
    for code in data.codes:
        w.heading(xml_safe(code.label), level=min(code.depth + level, 9))
        if code.definition:
            w.paragraph().add_run(xml_safe(_ui(code.definition, lang))).italic = True
        if not code.total:
            if code.empty_note:
                w.paragraph(_t(lang)["no_excerpts"])
            continue
        if data.by:
            for value, excerpts, total in code.groups(data.values):
                w.heading(xml_safe(_value_heading(data, value, len(excerpts), total)),
                          level=min(code.depth + level + 1, 9))
                for ex in excerpts:
                    quote(ex)
        else:
            if len(code.excerpts) != code.total:
                w.paragraph(_t(lang)["shown"](len(code.excerpts), code.total))
            for ex in code.excerpts:
                quote(ex)


CITATION_STYLE = "Excerpt Citation"
CONTEXT_STYLE = "Excerpt Context"


def _char_style(doc, name: str, setup) -> str:
    """The style id of the character style ``name`` of ``doc``, created once with
    ``setup(style)`` (cached on the document: looking styles up per run is slow)."""
    from docx.enum.style import WD_STYLE_TYPE

    cache = doc.__dict__.setdefault("_qualcode_char_styles", {})
    if name not in cache:
        styles = doc.styles
        found = next((s for s in styles if s.name == name), None)
        if found is None:
            found = styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
            setup(found)
        cache[name] = found.style_id
    return cache[name]


def citation_style(doc) -> str:
    """The character style of citations in DOCX (9 pt, dark grey, upright), so that a
    thesis template can restyle them all; returns its style id."""
    from docx.shared import Pt, RGBColor

    def setup(style) -> None:
        style.font.size = Pt(9)
        style.font.italic = False
        style.font.color.rgb = RGBColor(0x40, 0x40, 0x40)

    return _char_style(doc, CITATION_STYLE, setup)


def context_style(doc) -> str:
    """The character style of context sentences in DOCX: grey and upright, apart from the
    quotation (italic in the Quote style); returns its style id."""
    from docx.shared import RGBColor

    def setup(style) -> None:
        style.font.color.rgb = RGBColor(0x70, 0x70, 0x70)
        style.font.italic = False

    return _char_style(doc, CONTEXT_STYLE, setup)


class _QuoteWriter:
    """Writes excerpts as ``Quote`` paragraphs of ``doc``: context, quotation, citation."""

    def __init__(self, doc, data: ExcerptSet):
        self.doc, self.data = doc, data
        self.writer = body_writer(doc)
        # what every citation needs, made once (not per excerpt)
        self.template, self.labels = data.template, data.labels

    def __call__(self, ex: Excerpt) -> None:
        doc, data, w = self.doc, self.data, self.writer
        p = w.paragraph(style="Quote")
        before, after = context_texts(ex, data.language)
        if before:
            w.run(p, xml_safe(before), context_style(doc))
            w.run(p, " ")
        w.run(p, xml_safe(quote_text(ex, data.language)))
        if after:
            w.run(p, " ")
            w.run(p, xml_safe(after), context_style(doc))
        cited = data.hide(citation(ex, data.language, data.attribute, template=self.template, labels=self.labels))
        if cited:
            w.run(p, " ")
            w.run(p, xml_safe(cited), citation_style(doc))


# -- Markdown -------------------------------------------------------------------------

def _write_md(data: ExcerptSet, path: Path, prov: Provenance) -> None:
    lang = data.language
    lines = [f"<!-- {prov.line().replace('-->', '—>')} -->", "", f"# {md_cell(_title(data))}", ""]
    header, rows = summary_rows(data)
    lines.append(f"**{md_escape(_ui(_table_title(data), lang))}**")
    lines.append("")
    lines.append("| " + " | ".join(md_cell(h) for h in header) + " |")
    lines.append("|" + "---|" + "---:|" * (len(header) - 1))
    for code, counts in rows:
        lines.append("| " + " | ".join([NBSP * 4 * code.depth + md_cell(code.label), *map(str, counts)]) + " |")
    lines.append("")
    for note in _notes(data):
        lines += [md_escape(note), ""]
    for code in data.codes:
        level = min(code.depth + 2, 6)
        lines += [f"{'#' * level} {md_cell(code.label)}", ""]
        if code.definition:
            lines += [f"*{md_escape(_ui(collapse_whitespace(code.definition), lang))}*", ""]
        if not code.total:
            lines += [_t(lang)["no_excerpts"], ""] if code.empty_note else []
            continue
        if data.by:
            for value, excerpts, total in code.groups(data.values):
                heading = md_cell(_value_heading(data, value, len(excerpts), total))
                lines += [f"{'#' * min(level + 1, 6)} {heading}", ""]
                for ex in excerpts:
                    lines += [f"> {_md_line(ex, data)}", ""]
        else:
            if len(code.excerpts) != code.total:
                lines += [_t(lang)["shown"](len(code.excerpts), code.total), ""]
            for ex in code.excerpts:
                lines += [f"> {_md_line(ex, data)}", ""]
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def _md_line(ex: Excerpt, data: ExcerptSet) -> str:
    """The quotation and its citation; context sentences in italics, outside the quotation."""
    before, after = context_texts(ex, data.language)
    parts = [f"*{md_escape(before)}*" if before else "", md_escape(quote_text(ex, data.language)),
             f"*{md_escape(after)}*" if after else "", md_escape(data_citation(ex, data))]
    return " ".join(p for p in parts if p)


# -- LaTeX --------------------------------------------------------------------------

_TEX_LEVELS = ("section", "subsection", "subsubsection", "paragraph", "subparagraph")


def _tex_line(ex: Excerpt, data: ExcerptSet) -> str:
    before, after = context_texts(ex, data.language)
    parts = [f"\\textit{{{tex_escape(before)}}}" if before else "", tex_escape(quote_text(ex, data.language)),
             f"\\textit{{{tex_escape(after)}}}" if after else "", tex_escape(data_citation(ex, data))]
    return " ".join(p for p in parts if p)


def _write_tex(data: ExcerptSet, path: Path, prov: Provenance) -> None:
    lang = data.language
    out = [f"% {prov.line()}".replace("\n", " ")]
    if lang == "fr":
        out.append("% UTF-8; French typography: needs \\usepackage[french]{babel} (« » are literal UTF-8, "
                   "no-break spaces are ~). \\input this file in a document.")
    else:
        out.append("% UTF-8; \\input this file in a document.")
    out.append("% for pdflatex with \\usepackage[T1]{fontenc}: other characters are escaped")
    header, rows = summary_rows(data)
    out += ["", "\\begin{table}[htbp]", "\\centering",
            f"\\caption{{{tex_escape(_ui(_table_title(data), lang))}}}",
            "\\begin{tabular}{l" + "r" * (len(header) - 1) + "}", "\\hline",
            " & ".join(tex_escape(h) for h in header) + " \\\\", "\\hline"]
    for code, counts in rows:
        indent = f"\\hspace{{{code.depth}em}}" if code.depth else ""
        out.append(" & ".join([indent + tex_escape(code.label), *map(str, counts)]) + " \\\\")
    out += ["\\hline", "\\end{tabular}", "\\end{table}", ""]
    for note in _notes(data):
        out += [tex_escape(note), ""]
    for code in data.codes:
        level = _TEX_LEVELS[min(code.depth, len(_TEX_LEVELS) - 1)]
        out += [f"\\{level}{{{tex_escape(code.label)}}}", ""]
        if code.definition:
            out += [f"\\emph{{{tex_escape(_ui(collapse_whitespace(code.definition), lang))}}}", ""]
        if not code.total:
            out += [tex_escape(_t(lang)["no_excerpts"]), ""] if code.empty_note else []
            continue
        groups = code.groups(data.values) if data.by else [(None, code.excerpts, code.total)]
        for value, excerpts, total in groups:
            if data.by:
                sub = _TEX_LEVELS[min(code.depth + 1, len(_TEX_LEVELS) - 1)]
                out += [f"\\{sub}{{{tex_escape(_value_heading(data, value, len(excerpts), total))}}}", ""]
            elif len(code.excerpts) != code.total:
                out += [tex_escape(_t(lang)["shown"](len(code.excerpts), code.total)), ""]
            for ex in excerpts:
                out += ["\\begin{quote}", _tex_line(ex, data), "\\end{quote}", ""]
    path.write_text("\n".join(out).rstrip("\n") + "\n", encoding="utf-8")


# -- CSV and XLSX -------------------------------------------------------------------


def table_rows(data: ExcerptSet) -> tuple[list[str], list[list[Any]]]:
    """Header and one row per excerpt reproduced (the coded text with whitespace
    collapsed; with ``context``, the context sentences in two more columns)."""
    header = [c if c is not None else (data.attribute or "attribute") for c in COLUMNS]
    if data.context:
        header += ["context_before", "context_after"]
    rows = []
    for code in data.codes:
        for ex in code.excerpts:
            row = [code.path, code.label, data.hide(ex.value), ex.case, ex.pseudonym, ex.speaker, ex.document,
                   ex.turn, ex.timestamp, collapse_whitespace(ex.text), "; ".join(ex.coders), "; ".join(ex.statuses),
                   data.hide("; ".join(ex.origins)), ex.start, ex.end]
            if data.context:
                row += [collapse_whitespace(ex.before).strip(), collapse_whitespace(ex.after).strip()]
            rows.append(row)
    return header, rows


def _write_csv(data: ExcerptSet, path: Path, prov: Provenance) -> None:
    header, rows = table_rows(data)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        f.write(f"# {prov.line()}\r\n")
        writer = SafeWriter(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def _write_xlsx(data: ExcerptSet, path: Path, prov: Provenance) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    def put(ws, row: int, col: int, value: Any):
        return set_cell(ws, row, col, value)

    wb = Workbook()
    ws = wb.active
    ws.title = "excerpts"
    header, rows = table_rows(data)
    for j, h in enumerate(header, 1):
        put(ws, 1, j, h).font = Font(bold=True)
    text_col = header.index("text") + 1
    wrap = Alignment(wrap_text=True, vertical="top")  # one style for every text cell (made once)
    for i, row in enumerate(rows, 2):
        for j, v in enumerate(row, 1):
            cell = put(ws, i, j, v)
            if j == text_col:
                cell.alignment = wrap
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    from openpyxl.utils import get_column_letter

    for j, h in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(j)].width = 80 if h == "text" else max(10, len(h) + 2)

    summary = wb.create_sheet("summary")
    s_header, s_rows = summary_rows(data)
    s_header = ["code", *s_header]
    s_header[1] = "code_label"
    for j, h in enumerate(s_header, 1):
        put(summary, 1, j, h).font = Font(bold=True)
    for i, (code, counts) in enumerate(s_rows, 2):
        for j, v in enumerate([code.path, code.label, *counts], 1):
            put(summary, i, j, v)
    summary.freeze_panes = "A2"

    pv = wb.create_sheet("provenance")
    for j, h in enumerate(("key", "value"), 1):
        put(pv, 1, j, h).font = Font(bold=True)
    for i, (k, v) in enumerate(prov.items(), 2):
        put(pv, i, 1, k)
        put(pv, i, 2, v)
    pv.column_dimensions["B"].width = 100
    wb.save(str(path))
