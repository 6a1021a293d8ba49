"""The pseudonym key applied to what leaves the project: display labels, analysis tables,
KWIC lines, turns shown on the terminal.

Excerpts (and the report's excerpts) are pseudonymized on whole document texts by
:func:`qualcode.exporters.excerpts.collect_excerpts` (``pseudo=``), so that a name cut by an
excerpt's edge is replaced whole and a first name alone is replaced after the full name;
the REFI-QDA export writes pseudonymized texts with offsets mapped to them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qualcode.analysis.table import TableResult
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
    in any case here: word tables hold lower-case lemmas."""
    if pseudo is None:
        return table
    df = table.df.copy()
    for col in df.columns:
        if cells is not None and col not in cells:
            continue
        if df[col].dtype == object:
            df[col] = df[col].map(lambda v: pseudo.value(v, any_case=True))
    if columns:
        names: list[Any] = []
        for col in df.columns:
            new = pseudo.name(col) if isinstance(col, str) else col  # document names too
            base, n = new, 2
            while new in names:
                new, n = f"{base} ({n})", n + 1
            names.append(new)
        df.columns = names
    return replace(table, title=pseudo.text(table.title, any_case=True) or "",
                   notes=[pseudo.text(n) or "" for n in table.notes], df=df)
