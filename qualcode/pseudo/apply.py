"""The pseudonym key applied to what leaves the project: display labels, analysis tables,
KWIC lines, turns shown on the terminal.

Excerpts (and the report's excerpts) are pseudonymized on whole document texts by
:func:`qualcode.exporters.excerpts.collect_excerpts` (``pseudo=``), so that a name cut by an
excerpt's edge is replaced whole and a first name alone is replaced after the full name;
the REFI-QDA export writes pseudonymized texts with offsets mapped to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from qualcode.analysis.table import OBJECT, TableResult, infer_type
from qualcode.i18n import Labels
from qualcode.pseudo.replace import Pseudonymizer


@dataclass
class PseudoLabels(Labels):
    """Display labels whose attribute names and values go through the key: a commune or a
    role that names someone is replaced in citations, headers and charts' legends."""

    pseudo: Pseudonymizer | None = None

    @classmethod
    def wrap(cls, labels: Labels, pseudo: Pseudonymizer | None) -> Labels:
        if pseudo is None:
            return labels
        return cls(labels.language, labels.attributes, labels.values, labels.statuses, pseudo)

    def value(self, attribute: str | None, value: Any) -> str:
        out = super().value(attribute, value)
        return (self.pseudo.text(out) or "") if self.pseudo is not None else out

    def attribute(self, name: str) -> str:
        out = super().attribute(name)
        return (self.pseudo.text(out) or "") if self.pseudo is not None else out


# columns that hold document names: replaced as file names (``entretien_vasseur``)
DOCUMENT_COLUMNS = ("document", "documents", "doc", "docs", "file", "fichier")


def pseudonymize_table(table: TableResult, pseudo: Pseudonymizer | None, *, columns: bool = True,
                       cells: tuple[str, ...] | None = None) -> TableResult:
    """A copy of ``table`` with the key applied to its title, notes and text cells (all
    the text columns, or only ``cells``) and, with ``columns``, its column names (made
    unique again when two names get the same replacement) and the strings of its metadata.
    A text column is one that is not numeric or boolean (the type of a replaced column is
    inferred again, as pandas' ``Series.map`` does). A cell of one word is replaced in any
    case (word tables hold lower-case lemmas: ``blanc`` may be the surname); in a cell of
    several words (a unit's text) a one-word name must be capitalised, as in excerpts, so
    that ``linge blanc`` stays, and a person's first or last name alone is replaced
    (``Martine, tout simplement``); a column of :data:`DOCUMENT_COLUMNS` is replaced as
    document names are (``entretien_vasseur``)."""
    if pseudo is None:
        return table
    cols = list(table.columns)
    data = [list(col) for col in zip(*table.rows)] if table.rows else [[] for _ in cols]
    types = list(table.types)
    for j, col in enumerate(cols):
        if (cells is not None and col not in cells) or types[j] != OBJECT:
            continue
        if isinstance(col, str) and col.casefold() in DOCUMENT_COLUMNS:  # file names: parts of names too
            data[j] = [pseudo.name(v) if isinstance(v, str) else v for v in data[j]]
        else:
            data[j] = [_cell(pseudo, v) for v in data[j]]
        types[j] = infer_type(data[j])
    if columns:
        names: list[Any] = []
        for col in cols:
            new = pseudo.name(col) if isinstance(col, str) else col  # document names too
            base, n = new, 2
            while new in names:
                new, n = f"{base} ({n})", n + 1
            names.append(new)
        cols = names
    rows = list(zip(*data)) if cols else [() for _ in table.rows]
    return table.replace(title=pseudo.text(table.title, any_case=True) or "",
                         notes=[pseudo.text(n) or "" for n in table.notes], columns=cols, rows=rows, types=types,
                         meta=_hide_meta(table.meta, pseudo) if columns else table.meta)


def _cell(pseudo: Pseudonymizer, value: Any) -> Any:
    """A text cell: one word in any case (a lemma); several words (a unit's text, cut from
    its document, where the full name may not be) with a person's capitalised first or
    last name alone replaced too."""
    if not isinstance(value, str):
        return value
    if len(value.split()) == 1:
        return pseudo.text(value, any_case=True)
    return pseudo.text(value, parts=True)


def _hide_meta(value: Any, pseudo: Pseudonymizer) -> Any:
    """The table's metadata (groups, their sizes, column lists: written to JSON files and
    used to lay out the others) with its strings replaced as the column names are."""
    if isinstance(value, str):
        return pseudo.name(value)
    if isinstance(value, dict):
        return {(pseudo.name(k) if isinstance(k, str) else k): _hide_meta(v, pseudo) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_hide_meta(v, pseudo) for v in value)
    return value


RULES_NOTE = {"fr": "Les termes des règles qui nomment des personnes ou des lieux sont pseudonymisés ({n} "
                    "terme{s}) ; les règles appliquées au corpus utilisent les termes réels.",
              "en": "Rule terms that name people or places are shown pseudonymized ({n} term{s}); the rules "
                    "applied to the corpus use the real terms."}


def _term(pseudo: Pseudonymizer, term: str) -> str:
    """A rule's term: one word in any case and as a part of a person's name (a term is
    matched in any case: ``vasseur`` is Vasseur), several words as a cell's text."""
    if len(term.split()) == 1:
        return pseudo.name(term)
    return pseudo.text(term, parts=True) or term


def _regex(pseudo: Pseudonymizer, pattern: str) -> str:
    """A regular expression with the key's names replaced: its escapes (``\\b``, ``\\s``)
    read as spaces so that a name next to them is a whole word."""
    masked = re.sub(r"\\[bBsSwWdDAZ]", "  ", pattern)
    out, last = [], 0
    for m in pseudo.matches(masked, persons=False, parts=True):
        out += [pattern[last:m.start], m.replacement]
        last = m.end
    return "".join(out) + pattern[last:]


def _rule_value(pseudo: Pseudonymizer, kind: str, value: Any) -> Any:
    if kind == "regex" and isinstance(value, str):
        return _regex(pseudo, value)
    if isinstance(value, str):
        return _term(pseudo, value)
    if isinstance(value, list):
        return [_rule_value(pseudo, kind, v) for v in value]
    if isinstance(value, dict):  # near: terms/with; pattern: a token's attributes
        return {k: _rule_value(pseudo, kind, v) for k, v in value.items()}
    return value


def pseudonymize_rules(rules: list[Any], pseudo: Pseudonymizer) -> tuple[list[Any], int]:
    """The rules of a code with the key's names replaced in their terms (``terms``,
    ``near``'s terms, a ``pattern``'s strings, a ``regex``'s words), and how many values
    changed: the published codebook shows the pseudonyms, the rules applied stay."""
    out, changed = [], 0
    for rule in rules:
        value = _rule_value(pseudo, rule.kind, rule.value)
        if value != rule.value:
            changed += sum(1 for a, b in zip(_strings(rule.value), _strings(value)) if a != b) or 1
        out.append(replace(rule, value=value))
    return out, changed


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def pseudonymize_codebook(doc: Any, pseudo: Pseudonymizer | None) -> Any:
    """A copy of a codebook document (``codebook export``,
    :class:`~qualcode.codebook.export.CodebookDocument`) with the key applied to the codes'
    labels, definitions, when-to-use fields, examples and the notes, and (``--rules``) to
    the terms of the rules, with a note saying how many terms were pseudonymized."""
    if pseudo is None:
        return doc

    def hide(value: Any) -> Any:
        return pseudo.text(value) if isinstance(value, str) else value

    entries = []
    terms = 0
    for e in doc.entries:
        c = e.code
        rules, exclude = c.rules, c.exclude
        if doc.with_rules:
            rules, n = pseudonymize_rules(c.rules, pseudo)
            exclude, m = pseudonymize_rules(c.exclude, pseudo)
            terms += n + m
        code = replace(c, label=hide(c.label), definition=hide(c.definition), full_definition=hide(c.full_definition),
                       when_to_use=hide(c.when_to_use), when_not_to_use=hide(c.when_not_to_use),
                       examples=[hide(x) for x in c.examples], rules=rules, exclude=exclude)
        entries.append(replace(e, code=code))
    notes = [hide(n) for n in doc.notes]
    if terms:
        notes.append(RULES_NOTE["fr" if doc.language == "fr" else "en"].format(n=terms, s="s" * (terms != 1)))
    return replace(doc, entries=entries, notes=notes)


class SheetTexts:
    """The texts of a working sheet (``review --export``, ``reconcile --export``) through
    the key: each document pseudonymized whole once, a unit's text sliced from it (a name
    cut by the unit's edge replaced whole, a first name alone after the full name), as the
    excerpts are. The sheet's offsets stay those of the stored texts, so that its import
    finds its codings by id or offsets, never by text."""

    def __init__(self, store: Any, pseudo: Pseudonymizer | None):
        self.store, self.pseudo = store, pseudo
        self._docs: dict[int, Any] = {}

    def slice(self, document_id: int, start: int, end: int, stored: str) -> str:
        """The text of ``start:end`` as the sheet shows it (``stored``: the stored text there)."""
        if self.pseudo is None:
            return stored
        if document_id not in self._docs:
            self._docs[document_id] = self.pseudo.document(self.store.documents.text(document_id))
        return self._docs[document_id].slice(start, end)

    def text(self, value: str | None) -> str | None:
        """A speaker, a code's label, a coder: a short text."""
        return self.pseudo.text(value) if self.pseudo is not None else value

    def name(self, value: str) -> str:
        """A document's name, as file names are replaced."""
        return self.pseudo.name(value) if self.pseudo is not None else value


def name_aliases(pseudo: Pseudonymizer | None, names: Iterable[str]) -> dict[str, list[str]]:
    """The pseudonymized form of each of ``names`` (document names) that differs from it ->
    the stored names that give it (several when the key gives two names one replacement):
    what the import of a pseudonymized working sheet reads its document column with."""
    out: dict[str, list[str]] = {}
    if pseudo is None:
        return out
    for n in names:
        alias = pseudo.name(n)
        if alias != n:
            out.setdefault(alias, []).append(n)
    return out
