"""The result of an analysis: one table with its title and notes.

Analyses (frequencies, co-occurrence, matrices, agreement, evaluation, word counts)
return :class:`TableResult`; the exporters (:mod:`qualcode.exporters.tables`,
:mod:`qualcode.exporters.charts`, the report) write them and the CLI renders them. It
lives with the analyses that make it, so that analysis never imports an exporter.

A table holds plain Python values (``str``, ``int``, ``float``, ``bool``, ``None`` for a
missing value) and a type per column, so that reports are computed, printed and written
as text without importing pandas (about 0.3 CPU s, half of a report's time). The types
are those pandas would give the same records (``DataFrame.from_records``, then the
analysis' ``astype``): :attr:`TableResult.df` builds that DataFrame when something needs
one (the charts), and a table made from a DataFrame (``TableResult(title, df)``) reads
its values and types from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# Column types, named as pandas names the dtypes they stand for.
INT = "int64"  # integers, none missing
NULLABLE_INT = "Int64"  # integers, some may be missing (an analysis' astype("Int64"))
FLOAT = "float64"  # numbers with decimals or missing values
BOOL = "bool"
OBJECT = "object"  # text, or values of mixed types
NUMERIC = (INT, NULLABLE_INT, FLOAT)
_PLAIN = (str, int, bool)
_RAW = (str, int, bool, float)


def py_value(v: Any) -> Any:
    """A plain Python value (None for NaN/NA, int/float for numpy scalars)."""
    if v is None or type(v) in _PLAIN:
        return v
    if type(v) is float:
        return None if math.isnan(v) else v
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    return v


def infer_type(values: Sequence[Any]) -> str:
    """The type pandas gives a column of these plain values (``from_records``, and
    ``Series.map``'s result): integers -> int64, integers with missing values or with
    decimals -> float64, booleans alone -> bool, anything else (text, mixed, all missing,
    no rows) -> object."""
    seen_bool = seen_int = seen_float = seen_none = False
    for v in values:
        t = type(v)
        if v is None:
            seen_none = True
        elif t is bool:
            seen_bool = True
        elif t is int:
            seen_int = True
        elif t is float:
            seen_float = True
        else:
            return OBJECT
    if seen_bool:
        return BOOL if not (seen_int or seen_float or seen_none) else OBJECT
    if seen_float or (seen_int and seen_none):
        return FLOAT
    return INT if seen_int else OBJECT


def _cast(values: list[Any], kind: str) -> list[Any]:
    """The values as a column of type ``kind`` shows them (``py_value`` of its cells)."""
    if kind == FLOAT:
        return [None if v is None or v != v else float(v) for v in values]
    if kind == NULLABLE_INT:
        return [None if v is None or v != v else int(v) for v in values]
    return [None if type(v) is float and v != v else v for v in values]


def _dtype_type(series: Any) -> str:
    from pandas.api.types import is_bool_dtype, is_extension_array_dtype, is_integer_dtype, is_numeric_dtype

    if is_bool_dtype(series):
        return BOOL
    if is_integer_dtype(series):
        return NULLABLE_INT if is_extension_array_dtype(series) else INT
    return FLOAT if is_numeric_dtype(series) else OBJECT


class TableResult:
    """One analysis table with its title and notes.

    Made from rows (``columns=``, ``rows=`` as tuples or dicts, ``dtypes=`` a column ->
    ``"Int64"``/``"float64"`` for the columns an analysis types itself, the others
    inferred), or from a pandas DataFrame (``df``)."""

    def __init__(self, title: str, df: pd.DataFrame | None = None, notes: Iterable[str] | None = None,
                 meta: dict[str, Any] | None = None, *, columns: Sequence[Any] | None = None,
                 rows: Iterable[Sequence[Any] | Mapping[Any, Any]] | None = None,
                 dtypes: Mapping[Any, str] | None = None):
        self.title = title
        self.notes: list[str] = list(notes) if notes is not None else []  # footer lines: what was counted, how
        self.meta: dict[str, Any] = meta if meta is not None else {}  # e.g. {"depth": [...]} for indentation
        self._df = df
        if df is not None:
            if columns is not None or rows is not None:
                raise TypeError("TableResult: give df or columns and rows, not both")
            self.columns: list[Any] = list(df.columns)
            self.types: list[str] = [_dtype_type(df.iloc[:, j]) for j in range(len(self.columns))]
            self.rows: list[tuple[Any, ...]] = [tuple(py_value(v) for v in row)
                                                for row in df.itertuples(index=False, name=None)]
            return
        self.columns = list(columns or [])
        # a key missing from a dict is NaN, as for pandas
        raw = [tuple(r.get(c, math.nan) for c in self.columns) if isinstance(r, Mapping) else tuple(r)
               for r in rows or []]
        declared = dict(dtypes or {})
        cols = []
        self.types = []
        for j, c in enumerate(self.columns):
            # numpy scalars and the like as Python values (NaN floats stay: they make a float column)
            values = [r[j] if r[j] is None or type(r[j]) in _RAW else py_value(r[j]) for r in raw]
            kind = declared.get(c) or infer_type(values)
            if kind not in (NULLABLE_INT, FLOAT, INT, BOOL, OBJECT):
                raise ValueError(f"unknown column type {kind!r}")
            self.types.append(kind)
            cols.append(_cast(values, kind))
        self.rows = list(zip(*cols)) if cols else [() for _ in raw]

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"TableResult({self.title!r}, {len(self.rows)} rows, columns={self.columns!r})"

    def numeric(self, col: Any) -> bool:
        """Whether column ``col`` holds numbers (not booleans): right-aligned when shown."""
        return self.types[self.columns.index(col)] in NUMERIC

    def column(self, col: Any) -> list[Any]:
        j = self.columns.index(col)
        return [r[j] for r in self.rows]

    def records(self) -> list[dict[Any, Any]]:
        """One dict per row (column -> value), as ``DataFrame.to_dict("records")``."""
        return [dict(zip(self.columns, r)) for r in self.rows]

    def replace(self, *, title: str | None = None, notes: Iterable[str] | None = None,
                meta: dict[str, Any] | None = None, columns: Sequence[Any] | None = None,
                rows: Iterable[Sequence[Any]] | None = None, types: Sequence[str] | None = None) -> TableResult:
        """A copy with some parts replaced; new rows keep the column types unless ``types``."""
        out = TableResult.__new__(TableResult)
        out.title = self.title if title is None else title
        out.notes = list(self.notes if notes is None else notes)
        out.meta = self.meta if meta is None else meta
        out.columns = list(self.columns if columns is None else columns)
        out.rows = list(self.rows) if rows is None else [tuple(r) for r in rows]
        out.types = list(self.types if types is None else types)
        out._df = self._df if rows is None and columns is None and types is None else None
        return out

    @property
    def df(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (imports pandas; built once)."""
        if self._df is None:
            import pandas as pd

            df = pd.DataFrame.from_records(self.rows, columns=self.columns)
            for j, kind in enumerate(self.types):
                if kind in (NULLABLE_INT, FLOAT) and _dtype_type(df.iloc[:, j]) != kind:
                    df[df.columns[j]] = df.iloc[:, j].astype(kind)
            self._df = df
        return self._df
