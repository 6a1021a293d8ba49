"""The result of an analysis: one table with its title and notes.

Analyses (frequencies, co-occurrence, matrices, agreement, evaluation, word counts)
return :class:`TableResult`; the exporters (:mod:`qualcode.exporters.tables`,
:mod:`qualcode.exporters.charts`, the report) write them and the CLI renders them. It
lives with the analyses that make it, so that analysis never imports an exporter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class TableResult:
    """One analysis table (a pandas DataFrame) with its title and notes."""

    title: str
    df: pd.DataFrame
    notes: list[str] = field(default_factory=list)  # footer lines: what was counted, how
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. {"depth": [...]} for tree indentation
