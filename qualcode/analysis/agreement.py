"""Agreement between coders (``qualcode agreement``).

For each code, every coder makes a binary decision on every unit: coded (1) or not (0)
— or no decision (missing) when the coder did not code the unit's document at all (see
:mod:`qualcode.analysis.units`: a coder who has no coding of any code in a document is
taken not to have coded it; ``all_seen=True`` counts those documents as seen and
uncoded). From those decisions:

* **counts** over the units every coder saw: units coded by each coder, by all of them
  ("both" for two coders), by none ("neither");
* **percent agreement**: the share of those units where all coders agree;
* **kappa**: for two coders Cohen's, from the same 2×2 table, by
  :func:`sklearn.metrics.cohen_kappa_score`; for three or more Fleiss' (1971), over the
  same units, by :func:`statsmodels.stats.inter_rater.fleiss_kappa`; undefined (``None``,
  shown ``n/a``) when the expected agreement is 1, i.e. every coder made the same
  constant decision (a code nobody used);
* **Krippendorff's alpha**, nominal, any number of coders, missing values allowed, by the
  ``krippendorff`` package; units seen by one coder only are not pairable and do not
  count; undefined when only one value occurs among the pairable decisions.

Levels: ``sentence`` or ``turn`` units (recommended: a unit is a decision), or ``char``:
every character of the selected documents' turns is a unit (NVivo's coding comparison),
counts are characters.

**Overall.** Two summaries follow the codes: *pooled* — the decisions on every code as
applied (its own codings, not its sub-codes', so that no decision counts twice) summed
into one table, from which %, κ and α are computed; codes that no coder applied in the
compared units are left out (they would only add agreed absences) — and *mean* — the mean
of the same codes' own %, κ and α (undefined values left out).

Interpretation bands: κ after Landis & Koch (1977): below 0 poor, 0–0.20 slight,
0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 substantial, 0.81–1 almost perfect; α after
Krippendorff (2004): ≥ 0.800 reliable, 0.667–0.800 tentative conclusions only, below
0.667 unreliable.

Speed at the character level. α is computed from the table of decision *patterns* (how
many units got each combination of values), not from one row per character: units on
which every coder agrees are merged into one row of the ``value_counts`` matrix given to
the ``krippendorff`` package — exact, since a unanimous unit with m values c contributes
m to the coincidence o_cc whatever m is — so only disagreeing units keep one row each.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualcode.analysis.table import TableResult
from qualcode.analysis.units import (
    LEVELS,
    NOT_REJECTED,
    Unit,
    active_codes,
    char_universe,
    check_coders,
    check_kind,
    coded_spans,
    coded_units,
    coder_documents,
    project_units,
)
from qualcode.errors import QualcodeError
from qualcode.lookup import select_documents

if TYPE_CHECKING:
    from qualcode.project import Project

POOLED = "(overall, pooled)"
MEAN = "(overall, mean)"

Pattern = tuple  # one value per coder: 1, 0, or None (missing)


# --------------------------------------------------------------------------- statistics


def landis_koch(kappa: float | None) -> str | None:
    """Landis & Koch (1977) band of a kappa value."""
    if kappa is None:
        return None
    k = round(kappa, 6)
    if k < 0:
        return "poor"
    for limit, name in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if k <= limit:
            return name
    return "almost perfect"


def krippendorff_band(alpha: float | None) -> str | None:
    """Krippendorff's (2004) reading of alpha: reliable, tentative, unreliable."""
    if alpha is None:
        return None
    a = round(alpha, 6)
    if a >= 0.800:
        return "reliable"
    if a >= 0.667:
        return "tentative"
    return "unreliable"


def cohen_kappa(both: float, a_only: float, b_only: float, neither: float) -> float | None:
    """Cohen's kappa of a 2×2 table (counts or weights); None when undefined (no units, or
    expected agreement 1: both coders constant and equal).

    Computed as scikit-learn's ``cohen_kappa_score`` does (with ``sample_weight``), with
    the same floating-point operations in the same order, so that the result is the same
    to the last bit (tests/test_agreement.py compares the two), without importing
    scikit-learn (about two CPU seconds)."""
    n = both + a_only + b_only + neither
    if n <= 0:
        return None
    pa, pb = (both + a_only) / n, (both + b_only) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected >= 1 - 1e-12:
        return None
    # confusion matrix, rows = coder a (0, 1), columns = coder b (0, 1), as float64
    c00, c01, c10, c11 = float(neither), float(b_only), float(a_only), float(both)
    sum0 = (c00 + c10, c01 + c11)  # column sums
    sum1 = (c00 + c01, c10 + c11)  # row sums
    total = sum0[0] + sum0[1]
    if total == 0:
        return None
    # off-diagonal cells of the expected matrix outer(sum0, sum1) / total
    e01 = sum0[0] * sum1[1] / total
    e10 = sum0[1] * sum1[0] / total
    denominator = e01 + e10
    if denominator == 0:
        return None
    k = 1 - (c01 + c10) / denominator
    return None if math.isnan(k) else k


def fleiss_kappa(table) -> float | None:
    """Fleiss' kappa of a units × categories table of counts (row i: how many coders put
    unit i in each category; every row has the same total, the number of coders), by
    statsmodels; None when undefined (no units, or a single category used: expected
    agreement 1)."""
    import numpy as np

    arr = np.asarray(table, dtype=float)
    if arr.ndim != 2 or not len(arr) or arr.sum() <= 0:
        return None
    share = arr.sum(axis=0) / arr.sum()
    if float((share ** 2).sum()) >= 1 - 1e-12:
        return None
    from statsmodels.stats.inter_rater import fleiss_kappa as _fleiss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = float(_fleiss(arr, method="fleiss"))
    return None if math.isnan(k) else k


def _fleiss_from_patterns(complete: Mapping[Pattern, int], m: int) -> float | None:
    """Fleiss' kappa of binary decisions: one row (not coded, coded) per unit."""
    import numpy as np

    if not complete:
        return None
    rows = np.array([[m - sum(p), sum(p)] for p in complete], dtype=float)
    return fleiss_kappa(np.repeat(rows, list(complete.values()), axis=0))


def alpha_from_patterns(patterns: Mapping[Pattern, int]) -> float | None:
    """Krippendorff's alpha (nominal) from decision patterns: ``{(v_coder1, v_coder2, …):
    number of units}``, a value per coder or None (missing). Computed by the
    ``krippendorff`` package on a ``value_counts`` matrix in which unanimous units are
    merged (exact, see the module docstring). None when undefined: no unit with two
    values, or a single value among the pairable ones."""
    pairable = {p: n for p, n in patterns.items() if n > 0 and sum(v is not None for v in p) >= 2}
    values = sorted({v for p in pairable for v in p if v is not None}, key=lambda v: (str(type(v)), v))
    if len(values) < 2:
        return None
    rows: list[list[int]] = []
    repeats: list[int] = []
    unanimous: dict = {}
    for pattern, count in pairable.items():
        present = [v for v in pattern if v is not None]
        if len(set(present)) == 1:
            unanimous[present[0]] = unanimous.get(present[0], 0) + len(present) * count
            continue
        c = Counter(present)
        rows.append([c.get(v, 0) for v in values])
        repeats.append(count)
    for v, m in unanimous.items():
        rows.append([m if w == v else 0 for w in values])
        repeats.append(1)
    if len(values) == 2:  # coded or not: the package's own float operations, without numpy
        a = _alpha_two_values(rows, repeats)
        if a is not None:
            return None if math.isnan(a) else a
    import krippendorff
    import numpy as np

    vc = np.repeat(np.asarray(rows, dtype=np.int64), np.asarray(repeats, dtype=np.int64), axis=0)
    a = float(krippendorff.alpha(value_counts=vc, value_domain=list(range(len(values))),
                                 level_of_measurement="nominal"))
    return None if math.isnan(a) else a


def _alpha_two_values(rows: list[list[int]], repeats: list[int]) -> float | None:
    """``krippendorff.alpha(value_counts=…, level_of_measurement="nominal")`` for two
    values, bit for bit: the same float operations in the order numpy does them (the
    coincidences summed unit by unit, ``n_v`` and the totals as numpy sums them); None
    when the package would divide by zero (then it is asked)."""
    o: list[float] | None = None  # o00, o01, o10, o11
    for (c0, c1), count in zip(rows, repeats):
        pair = max(c0 + c1, 2) - 1
        unit = [(c0 * c0 - c0) / pair, (c0 * c1 - 0.0) / pair, (c1 * c0 - 0.0) / pair, (c1 * c1 - c1) / pair]
        for _ in range(count):
            if o is None:
                o = list(unit)
            else:
                o[0] += unit[0]
                o[1] += unit[1]
                o[2] += unit[2]
                o[3] += unit[3]
    if o is None:
        return None
    n0, n1 = o[0] + o[2], o[1] + o[3]  # o.sum(axis=0)
    total = n0 + (0.0 + n1)  # n_v.sum(): the first value, then numpy's pairwise sum of the rest
    if total - 1 == 0:
        return None
    e = [(n0 * n0 - n0) / (total - 1), (n0 * n1 - 0.0) / (total - 1), (n1 * n0 - 0.0) / (total - 1),
         (n1 * n1 - n1) / (total - 1)]
    # (o * d).sum() and (e * d).sum() with d = [[0, 1], [1, 0]]
    observed = o[0] * 0.0 + (((0.0 + o[1] * 1.0) + o[2] * 1.0) + o[3] * 0.0)
    expected = e[0] * 0.0 + (((0.0 + e[1] * 1.0) + e[2] * 1.0) + e[3] * 0.0)
    if expected == 0:
        return None
    return 1 - observed / expected


def alpha_nominal(reliability_data: Sequence[Sequence]) -> float | None:
    """Krippendorff's alpha (nominal) of a coders × units matrix; None, NaN or ``"*"``
    mark missing values. Any hashable values (numbers or labels)."""
    def value(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "*":
            return None
        return v.item() if hasattr(v, "item") else v

    rows = [[value(v) for v in r] for r in reliability_data]
    if not rows:
        return None
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("every coder needs one value (or a missing value) per unit")
    return alpha_from_patterns(Counter(tuple(r[j] for r in rows) for j in range(width)))


# --------------------------------------------------------------------------- results


@dataclass
class Stats:
    """Agreement of one code (or of the pool) among the compared coders."""

    units: int  # units (characters at the char level) every coder saw
    coded: dict[str, int]  # coder -> units coded, among those
    all: int  # coded by every coder
    none: int  # coded by no coder
    percent: float | None  # 0..100
    kappa: float | None
    alpha: float | None
    pairable: int  # units with decisions of at least two coders (alpha's base)

    @property
    def disagreements(self) -> int:
        return self.units - self.all - self.none


def stats_from_patterns(patterns: Mapping[Pattern, int], coders: Sequence[str]) -> Stats:
    complete = {p: n for p, n in patterns.items() if None not in p}
    units = sum(complete.values())
    coded = {c: sum(n for p, n in complete.items() if p[i] == 1) for i, c in enumerate(coders)}
    all_ = sum(n for p, n in complete.items() if all(v == 1 for v in p))
    none = sum(n for p, n in complete.items() if all(v == 0 for v in p))
    percent = 100 * (all_ + none) / units if units else None
    kappa = None
    if len(coders) == 2:
        kappa = cohen_kappa(complete.get((1, 1), 0), complete.get((1, 0), 0), complete.get((0, 1), 0),
                            complete.get((0, 0), 0))
    elif len(coders) > 2:
        kappa = _fleiss_from_patterns(complete, len(coders))
    pairable = sum(n for p, n in patterns.items() if sum(v is not None for v in p) >= 2)
    return Stats(units, coded, all_, none, percent, kappa, alpha_from_patterns(patterns), pairable)


@dataclass
class CodeRow:
    path: str
    label: str
    depth: int
    stats: Stats
    note: str = ""


@dataclass
class AgreementReport:
    coders: list[str]
    level: str  # sentence | turn | char
    code: str | None
    rows: list[CodeRow]
    pooled: CodeRow
    mean: CodeRow
    documents: list[str]  # compared documents (names)
    unseen: dict[str, list[str]]  # coder -> documents they did not code (missing)
    universe: int  # units (or characters) in the selected documents
    statuses: tuple[str, ...]
    all_seen: bool = False
    include_interviewer: bool = False
    pool_codes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        def row(r: CodeRow) -> dict:
            s = r.stats
            return {"code": r.path, "label": r.label, "depth": r.depth, "units": s.units,
                    "coded": dict(s.coded), "all": s.all, "none": s.none, "disagreements": s.disagreements,
                    "percent_agreement": s.percent, "kappa": s.kappa, "kappa_band": landis_koch(s.kappa),
                    "alpha": s.alpha, "alpha_band": krippendorff_band(s.alpha), "pairable": s.pairable,
                    "note": r.note or None}

        return {"coders": self.coders, "level": self.level, "code": self.code, "documents": self.documents,
                "unseen": self.unseen, "universe": self.universe, "statuses": list(self.statuses),
                "all_seen": self.all_seen, "include_interviewer": self.include_interviewer,
                "codes": [row(r) for r in self.rows], "pooled": row(self.pooled), "mean": row(self.mean),
                "pool_codes": self.pool_codes, "notes": self.notes}

    def to_result(self) -> TableResult:
        """A TableResult: code, label, units, coded by each coder, both/all, neither/none,
        % agreement, kappa, kappa band, alpha, alpha band, note."""
        two = len(self.coders) == 2
        unit_col = "characters" if self.level == "char" else "units"
        all_col, none_col = ("both", "neither") if two else ("all", "none")
        columns = ["code", "label", unit_col, *[f"coded by {c}" for c in self.coders], all_col, none_col,
                   "% agreement", "kappa", "kappa band", "alpha", "alpha band", "note"]
        records = []
        rows = [*self.rows, self.pooled, self.mean]
        for r in rows:
            s = r.stats
            counts = r is not self.mean
            rec: dict[str, str | int | float | None] = {"code": r.path, "label": r.label,
                                                        unit_col: s.units if counts else None}
            for c in self.coders:
                rec[f"coded by {c}"] = s.coded.get(c) if counts else None
            rec[all_col] = s.all if counts else None
            rec[none_col] = s.none if counts else None
            rec["% agreement"] = None if s.percent is None else round(s.percent, 1)
            rec["kappa"] = None if s.kappa is None else round(s.kappa, 3)
            rec["kappa band"] = landis_koch(s.kappa) or ""
            rec["alpha"] = None if s.alpha is None else round(s.alpha, 3)
            rec["alpha band"] = krippendorff_band(s.alpha) or ""
            rec["note"] = r.note
            records.append(rec)
        dtypes = dict.fromkeys([unit_col, *[f"coded by {c}" for c in self.coders], all_col, none_col], "Int64")
        dtypes.update(dict.fromkeys(("% agreement", "kappa", "alpha"), "float64"))
        level = {"sentence": "sentences", "turn": "turns", "char": "characters"}[self.level]
        title = f"Agreement between {', '.join(self.coders)} ({level})"
        if self.code:
            title += f": {self.code}"
        return TableResult(
            title=title, notes=list(self.notes), columns=columns, rows=records, dtypes=dtypes,
            meta={"kind": "agreement", "sheet": "agreement", "level": self.level, "coders": list(self.coders),
                  "depth": [r.depth for r in rows], "tree_column": "label", "total_rows": [POOLED, MEAN],
                  "decimals": {"% agreement": 1, "kappa": 3, "alpha": 3}},
        )


# --------------------------------------------------------------------------- computing


def _encode(values: Sequence[int | None]) -> int:
    """A pattern as an integer: base 3, 0 = missing, 1 = absent, 2 = present."""
    key = 0
    for v in values:
        key = key * 3 + (0 if v is None else 1 + v)
    return key


def _decode(key: int, m: int) -> Pattern:
    out = []
    for _ in range(m):
        key, d = divmod(key, 3)
        out.append(None if d == 0 else d - 1)
    return tuple(reversed(out))


def unit_patterns(units: Sequence[Unit], coded: Sequence[set[int]], seen: Sequence[set[int]]) -> Counter:
    """Decision patterns over units: per coder, 1 if the unit is in ``coded[i]``, 0 if its
    document is in ``seen[i]``, else None. Patterns in the order of their first unit."""
    return UnitIndex(units, seen).patterns(coded)


class UnitIndex:
    """The units grouped by which coders saw their document, so that the patterns of each
    code (:meth:`patterns`) cost the units that code covers, not every unit: the others
    have the pattern of their group (0 for a coder who saw the document, else None)."""

    def __init__(self, units: Sequence[Unit], seen: Sequence[set[int]]):
        self.n = len(units)
        self.m = len(seen)
        by_doc: dict[int, tuple[bool, ...]] = {}
        self.sigs: list[tuple[bool, ...]] = []
        self.groups: dict[tuple[bool, ...], list[int]] = {}
        for j, u in enumerate(units):
            sig = by_doc.get(u.document_id)
            if sig is None:
                sig = by_doc[u.document_id] = tuple(u.document_id in s for s in seen)
            self.sigs.append(sig)
            self.groups.setdefault(sig, []).append(j)

    def patterns(self, coded: Sequence[set[int]]) -> Counter:
        """:func:`unit_patterns` of ``coded`` (the same counts, in the same order)."""
        m, n, sigs = self.m, self.n, self.sigs
        hit = sorted(j for j in set().union(*coded) if type(j) is int and 0 <= j < n)
        counts: Counter = Counter()
        first: dict[Pattern, int] = {}
        taken: Counter = Counter()
        for j in hit:
            sig = sigs[j]
            pattern = tuple((1 if j in coded[i] else 0) if sig[i] else None for i in range(m))
            first.setdefault(pattern, j)
            counts[pattern] += 1
            taken[sig] += 1
        hit_set = set(hit)
        for sig, js in self.groups.items():
            rest = len(js) - taken[sig]
            if rest > 0:
                pattern = tuple(0 if saw else None for saw in sig)
                j0 = next(j for j in js if j not in hit_set)
                if j0 < first.get(pattern, n):
                    first[pattern] = j0
                counts[pattern] += rest
        out: Counter = Counter()
        for pattern in sorted(first, key=first.__getitem__):
            out[pattern] = counts[pattern]
        return out


def char_patterns(universe: Mapping[int, list[tuple[int, int]]], lengths: Mapping[int, int],
                  coded: Sequence[Mapping[int, list[tuple[int, int]]]], seen: Sequence[set[int]]) -> Counter:
    """Decision patterns over the characters of ``universe`` (doc id -> spans): per coder,
    1 if the character is in one of ``coded[i][doc]``'s intervals, 0 if the document is in
    ``seen[i]``, else None."""
    import numpy as np

    m = len(coded)
    total = np.zeros(3 ** m, dtype=np.int64)
    for doc_id, spans in universe.items():
        if not spans:
            continue
        n = lengths[doc_id]
        inside = np.zeros(n, dtype=bool)
        for a, b in spans:
            inside[a:b] = True
        key = np.zeros(n, dtype=np.int64)
        for i in range(m):
            state = np.zeros(n, dtype=np.int64)
            if doc_id in seen[i]:
                state[:] = 1
                for a, b in coded[i].get(doc_id, ()):
                    state[a:b] = 2
            key = key * 3 + state
        total += np.bincount(key[inside], minlength=3 ** m)
    return Counter({_decode(k, m): int(c) for k, c in enumerate(total.tolist()) if c})


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def agreement(project: Project, coders: Sequence[str], *, code: str | None = None,
              documents: Iterable[str] | None = None, unit: str = "sentence",
              statuses: Sequence[str] = NOT_REJECTED, include_interviewer: bool = False,
              all_seen: bool = False) -> AgreementReport:
    """Agreement of ``coders`` per code (rolled up, tree order; ``code``: that code and its
    sub-codes) and overall, on ``sentence`` or ``turn`` units or at the ``char`` level."""
    check_kind(unit, LEVELS)
    coders = check_coders(project, coders)
    statuses = tuple(statuses)
    docs = select_documents(project, documents)
    if not docs:
        raise QualcodeError("the project has no documents")
    names = {d.id: d.name for d in docs}
    nodes = active_codes(project, code)
    if not nodes:
        raise QualcodeError("the project has no active codes to compare")
    paths = [n["path"] for n in nodes]
    doc_ids = list(names)
    seen = [set(doc_ids) if all_seen else coder_documents(project, c, doc_ids) for c in coders]
    unseen = {c: sorted(names[d] for d in doc_ids if d not in s) for c, s in zip(coders, seen)}

    cache: dict = {}

    def patterns_for(rollup: bool) -> dict[str, Counter]:
        if unit == "char":
            universe = char_universe(project, doc_ids, include_interviewer)
            lengths = {d.id: len(d.text) for d in docs}
            spans = [coded_spans(project, c, paths, statuses, doc_ids, rollup=rollup) for c in coders]
            return {p: char_patterns(universe, lengths, [s[p] for s in spans], seen) for p in paths}
        if "units" not in cache:
            cache["units"] = project_units(project, unit, doc_ids, include_interviewer)
        units = cache["units"]
        sets = [coded_units(project, units, c, paths, statuses, rollup=rollup) for c in coders]
        if "index" not in cache:
            cache["index"] = UnitIndex(units, seen)
        index = cache["index"]
        return {p: index.patterns([s[p] for s in sets]) for p in paths}

    rolled = patterns_for(True)
    if unit == "char":
        universe_size = sum(b - a for spans in char_universe(project, doc_ids, include_interviewer).values()
                            for a, b in spans)
    else:
        universe_size = sum(next(iter(rolled.values()), Counter()).values())
    rows = []
    for n in nodes:
        s = stats_from_patterns(rolled[n["path"]], coders)
        rows.append(CodeRow(n["path"], n["label"], n["depth"], s, _note(s, coders)))

    nested = any(q.startswith(p + "/") for p in paths for q in paths)
    exact = patterns_for(False) if nested else rolled
    pool_codes = [p for p in paths if any(v == 1 for pat in exact[p] for v in pat)]
    pooled_patterns: Counter = Counter()
    per_code = []
    for p in pool_codes:
        pooled_patterns.update(exact[p])
        per_code.append(stats_from_patterns(exact[p], coders))
    pooled = stats_from_patterns(pooled_patterns, coders)
    mean = Stats(0, {}, 0, 0, _mean(s.percent for s in per_code), _mean(s.kappa for s in per_code),
                 _mean(s.alpha for s in per_code), 0)
    pooled_row = CodeRow(POOLED, "Overall (pooled)", 0, pooled,
                         "" if pool_codes else "no code applied by any coder in the compared units")
    mean_row = CodeRow(MEAN, "Overall (mean of codes)", 0, mean, "")
    report = AgreementReport(list(coders), unit, code, rows, pooled_row, mean_row, [d.name for d in docs],
                             unseen, universe_size, statuses, all_seen, include_interviewer, pool_codes)
    report.notes = _notes(report)
    return report


def _note(s: Stats, coders: Sequence[str]) -> str:
    if not s.units and not s.pairable:
        return "no unit seen by two coders"
    if s.all == 0 and all(v == 0 for v in s.coded.values()) and s.units:
        return "not used by any coder"
    if s.kappa is None and s.units:
        return "κ undefined: " + ("both coders" if len(coders) == 2 else "every coder") + " constant"
    silent = [c for c, v in s.coded.items() if v == 0]
    if silent and len(silent) < len(coders):
        return f"never used by {', '.join(silent)}"
    return ""


def _notes(r: AgreementReport) -> list[str]:
    two = len(r.coders) == 2
    ndocs = f"{len(r.documents)} document{'s' * (len(r.documents) != 1)}"
    left_out = "" if r.include_interviewer else " (interviewer turns left out)"
    turns = "turns" if r.include_interviewer else "participant turns"
    notes = []
    if r.level == "char":
        notes.append(f"Units: every character of the {turns} of {ndocs}{left_out}, coded or not "
                     f"({r.universe} characters), as in NVivo's coding comparison; counts are characters.")
    elif r.level == "turn":
        notes.append(f"Units: {r.universe} {turns} of {ndocs}{left_out}; a coding marks every turn it overlaps.")
    else:
        notes.append(f"Units: {r.universe} sentences of the {turns} of {ndocs}{left_out}; a coding marks every "
                     "sentence it overlaps.")
    notes.append("Codes roll up their sub-codes (a unit coded with a sub-code is coded with the parent). "
                 f"Counted codings: status {' and '.join(r.statuses)}.")
    if r.all_seen:
        notes.append("Every coder is taken to have coded every selected document (--all-seen).")
    else:
        missing = [f"{c}: {', '.join(d)}" for c, d in r.unseen.items() if d]
        if missing:
            notes.append("Documents a coder did not code at all (no coding of any code) are missing values for "
                         "that coder: left out of the counts, % and κ; α uses the other coders' values. "
                         + "; ".join(missing) + ". Use --all-seen if they were coded and found empty.")
    notes.append(f"Counts, % agreement and κ are over the units {'both coders' if two else 'every coder'} saw. "
                 + ("κ: Cohen's kappa (scikit-learn). " if two else
                    "κ: Fleiss' kappa (statsmodels), the usual generalization to more than two coders. ")
                 + "α: Krippendorff's alpha, nominal (krippendorff package), over the units with at least two "
                   "coders' decisions.")
    notes.append("Overall, pooled: the decisions on every code as applied (its own codings, not its "
                 "sub-codes', so none counts twice), summed over the codes some coder applied"
                 + (f" ({len(r.pool_codes)})" if r.pool_codes else "")
                 + "; mean: the mean of those codes' own values.")
    notes.append("κ bands (Landis & Koch 1977): < 0 poor, 0–0.20 slight, 0.21–0.40 fair, 0.41–0.60 moderate, "
                 "0.61–0.80 substantial, 0.81–1 almost perfect. α (Krippendorff 2004): ≥ 0.800 reliable, "
                 "≥ 0.667 tentative conclusions only, < 0.667 unreliable. n/a (an empty cell in exports): undefined "
                 "(a code nobody used, or a single value among the decisions).")
    return notes
