"""The pseudonym key applied to what leaves the project: display labels, analysis tables,
KWIC lines, turns shown on the terminal.

Excerpts (and the report's excerpts) are pseudonymized on whole document texts by
:func:`qualcode.exporters.excerpts.collect_excerpts` (``pseudo=``), so that a name cut by an
excerpt's edge is replaced whole and a first name alone is replaced after the full name;
the REFI-QDA export writes pseudonymized texts with offsets mapped to them.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def pseudonymize_table(table: TableResult, pseudo: Pseudonymizer | None, *, columns: bool = True,
                       cells: tuple[str, ...] | None = None) -> TableResult:
    """A copy of ``table`` with the key applied to its title, notes and text cells (all
    the text columns, or only ``cells``) and, with ``columns``, its column names (made
    unique again when two names get the same replacement). One-word names are replaced
    in any case here: word tables hold lower-case lemmas. A text column is one that is
    not numeric or boolean (the type of a replaced column is inferred again, as pandas'
    ``Series.map`` does)."""
    if pseudo is None:
        return table
    cols = list(table.columns)
    data = [list(col) for col in zip(*table.rows)] if table.rows else [[] for _ in cols]
    types = list(table.types)
    for j, col in enumerate(cols):
        if (cells is not None and col not in cells) or types[j] != OBJECT:
            continue
        data[j] = [pseudo.value(v, any_case=True) for v in data[j]]
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
                         notes=[pseudo.text(n) or "" for n in table.notes], columns=cols, rows=rows, types=types)
