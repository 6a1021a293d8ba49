"""Charts of analysis tables: codes by group (grouped horizontal bars), co-occurrence heat map.

Figures are drawn with matplotlib's object-oriented API on a :class:`~matplotlib.figure.Figure`
rendered by the Agg (PNG) or SVG canvas: pyplot is never imported, so no display, no GUI
backend and no global figure state are involved (safe in scripts, servers and tests).
The Agg backend is also selected explicitly in case pyplot gets imported later in the same
process.

* The format comes from the file extension: ``.png`` (200 dpi) or ``.svg`` (text as paths,
  so accents render without fonts on the reader's machine).
* Text uses DejaVu Sans, bundled with matplotlib (all French accents, œ, «», –).
* Output is deterministic: same table, same bytes (no dates in metadata, fixed SVG ids).
* Files are written with :func:`~qualcode.exporters.base.atomic_write` (temp file + rename,
  no overwrite without ``force``).

Each chart function takes a :class:`~qualcode.analysis.table.TableResult` produced by the
analyses (see ``_freq_data`` and ``_cooc_data`` for the shapes read) and a path; the plain
drawing functions (:func:`draw_grouped_bars`, :func:`draw_heatmap`) take lists and can be
used on any data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.freq import NOT_REJECTED, check_statuses, freq_report
from qualcode.analysis.table import TableResult
from qualcode.errors import QualcodeError, UsageError
from qualcode.exporters.base import Provenance, atomic_write, check_output, provenance_for
from qualcode.exporters.localize import group_label, localize
from qualcode.i18n import Labels, export_language, labels_for, n_equals, number, percent, tr
from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qualcode.project import Project

FORMATS = ("png", "svg")
DPI = 200
FONT = "DejaVu Sans"
# Group styles when codes have colours: the code's colour, made lighter and hatched for
# the second, third… group, so that groups stay distinguishable in black and white.
_HATCHES = ["", "////", "....", "xxxx", "\\\\\\\\", "oo", "++"]
_LIGHTEN = [0.0, 0.45, 0.65, 0.3, 0.55, 0.2, 0.7]
# Without code colours: one colour per group (colour-blind-friendly Okabe–Ito palette).
_GROUP_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_DEFAULT_CODE_COLOR = "#4c72b0"
MAX_GROUPS_CODE_COLORS = 3


def chart_format(path: str | Path) -> str:
    """``png`` or ``svg`` from the file extension (a usage error otherwise)."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise UsageError(f"{path}: unsupported chart format {('.' + ext) if ext else '(no extension)'} "
                         f"(use .png or .svg)")
    return ext


# -- plain data ----------------------------------------------------------------------------
@dataclass
class BarData:
    """Grouped bars: ``values[i][j]`` is the value of code ``i`` for group ``j``."""

    labels: list[str]
    groups: list[str]
    values: list[list[float]]
    colors: list[str | None] = field(default_factory=list)  # one per code, or empty
    depths: list[int] = field(default_factory=list)  # 0 = top-level code (bold label)
    xlabel: str = ""
    title: str = ""
    percent: bool = True  # values are percentages (axis 0–100, labels "40%")
    annotations: list[list[str]] | None = None  # text at the end of each bar (default: the value)
    note: str = ""  # small text under the chart (provenance, what was counted)
    language: str = "en"  # of the numbers on the axis and bars ("40 %" in French)


@dataclass
class HeatmapData:
    """Symmetric (or not) matrix: ``values[i][j]`` for row ``i`` and column ``j``."""

    rows: list[str]
    columns: list[str]
    values: list[list[float | None]]  # None: no value (drawn blank)
    title: str = ""
    colorbar_label: str = ""
    mask_diagonal: bool = False  # grey the diagonal (e.g. a code with itself)
    depths: list[int] = field(default_factory=list)  # of the rows (and columns): 0 = bold label
    note: str = ""
    language: str = "en"  # of the numbers in the cells (decimal comma in French)


def _xml_safe_texts(data):
    """A copy of chart data whose texts hold nothing an SVG (XML) cannot: see
    :func:`qualcode.textnorm.xml_safe` (labels come from stored text and codebooks)."""
    def clean(v):
        if isinstance(v, list):
            return [clean(x) for x in v]
        return xml_safe(v)

    return replace(data, **{f.name: clean(getattr(data, f.name)) for f in fields(data)})


# -- drawing ---------------------------------------------------------------------------------
def _matplotlib():
    # Explicit non-interactive backend: charts must work without a display. Only switch if
    # pyplot has not been imported with another backend by the caller (e.g. Jupyter).
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg", force=True)
    return matplotlib


def _rc() -> Any:  # a matplotlib rcParams dict (its keys are typed as literals)
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [FONT],
        "font.size": 9,
        "axes.titlesize": 11,
        "svg.fonttype": "path",
        "svg.hashsalt": "qualcode",  # stable ids in SVG files
        "path.simplify": True,
    }


def _lighten(color: str, amount: float) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _valid_color(color: str | None) -> str | None:
    if not color:
        return None
    from matplotlib.colors import is_color_like

    return color if is_color_like(color) else None


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def draw_grouped_bars(data: BarData) -> Figure:
    """A figure of horizontal bars: one block per code (top to bottom), one bar per group."""
    _matplotlib()
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    data = _xml_safe_texts(data)
    n_codes, n_groups = len(data.labels), len(data.groups)
    if n_codes == 0 or n_groups == 0:
        raise QualcodeError("nothing to chart: the table has no codes or no groups")
    colors = [_valid_color(c) for c in (data.colors or [None] * n_codes)]
    # Code colours with shades and hatches per group read well for a few groups only.
    use_code_colors = any(colors) and n_groups <= MAX_GROUPS_CODE_COLORS
    depths = data.depths or [0] * n_codes
    bar_h = 0.8 / n_groups
    with matplotlib.rc_context(_rc()):
        height = max(2.5, 0.22 * n_codes * max(n_groups, 1.5) + 1.4 + (0.3 if data.note else 0))
        fig = Figure(figsize=(8.0, height))
        fig.set_layout_engine("constrained", rect=(0, 0.04 if data.note else 0, 1, 1))
        ax = fig.add_subplot()
        for j in range(n_groups):
            ys: list[float] = []
            widths: list[float] = []
            faces: list[Any] = []  # colours: names or RGB tuples
            edges: list[Any] = []
            for i in range(n_codes):
                ys.append(i + (j - (n_groups - 1) / 2) * bar_h)
                widths.append(float(data.values[i][j] or 0))
                if use_code_colors:
                    base = colors[i] or _DEFAULT_CODE_COLOR
                    faces.append(_lighten(base, _LIGHTEN[j % len(_LIGHTEN)]))
                    edges.append(base)
                else:
                    c = _GROUP_COLORS[j % len(_GROUP_COLORS)]
                    faces.append(c)
                    edges.append(c)
            ax.barh(ys, widths, height=bar_h * 0.92, color=faces, edgecolor=edges, linewidth=0.6,
                    hatch=_HATCHES[j % len(_HATCHES)] if use_code_colors else None)
            for i, (y, w) in enumerate(zip(ys, widths)):
                text = (data.annotations[i][j] if data.annotations
                        else (percent(w, data.language) if data.percent else number(w, data.language)))
                ax.text(w, y, f" {text}", va="center", ha="left", fontsize=6.5, color="#333333")
        ax.set_yticks(range(n_codes))
        # Labels are right-aligned against the axis: top-level codes are bold, not indented.
        ax.set_yticklabels([_wrap(lbl, 45) for lbl in data.labels])
        for tick, d in zip(ax.get_yticklabels(), depths):
            if d == 0:
                tick.set_fontweight("bold")
        ax.set_ylim(n_codes - 0.5, -0.5)  # first code on top, no empty margin
        top = max((float(v or 0) for row in data.values for v in row), default=0)
        if data.percent:
            ax.set_xlim(0, 112)
            ax.set_xticks(range(0, 101, 20))
            ax.set_xticklabels([percent(t, data.language) for t in range(0, 101, 20)])
        else:
            ax.set_xlim(0, max(top * 1.15, 1))
        ax.xaxis.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if data.xlabel:
            ax.set_xlabel(data.xlabel)
        if data.title:
            ax.set_title(data.title, loc="left", fontweight="bold")
        if use_code_colors:
            handles = [Patch(facecolor=_lighten("#666666", _LIGHTEN[j % len(_LIGHTEN)]), edgecolor="#444444",
                             hatch=_HATCHES[j % len(_HATCHES)], label=g) for j, g in enumerate(data.groups)]
        else:
            handles = [Patch(facecolor=_GROUP_COLORS[j % len(_GROUP_COLORS)], label=g)
                       for j, g in enumerate(data.groups)]
        # Above the plot (outside the axes, laid out by constrained layout): never hides a bar.
        fig.legend(handles=handles, loc="outside upper right", ncol=min(n_groups, 4), frameon=False,
                   fontsize=8)
        if data.note:
            fig.text(0.01, 0.005, _wrap(data.note, 150), fontsize=6, color="#666666", va="bottom")
    return fig


def draw_heatmap(data: HeatmapData) -> Figure:
    """A heat map with the value written in every cell."""
    return draw_heatmaps([data])


def draw_heatmaps(panels: Sequence[HeatmapData]) -> Figure:
    """Heat maps side by side (e.g. one per group) on one colour scale; row labels on the
    first panel only (the panels must have the same rows)."""
    _matplotlib()
    import matplotlib
    import numpy as np
    from matplotlib.figure import Figure

    if not panels or any(not p.rows or not p.columns for p in panels):
        raise QualcodeError("nothing to chart: the co-occurrence table is empty")
    panels = [_xml_safe_texts(p) for p in panels]
    arrays, shown_all = [], []
    for p in panels:
        values = np.array([[float(v) if v is not None else np.nan for v in row] for row in p.values],
                          dtype=float).reshape(len(p.rows), len(p.columns))
        shown = values.copy()
        if p.mask_diagonal and values.shape[0] == values.shape[1]:
            np.fill_diagonal(shown, np.nan)
        arrays.append(values)
        shown_all.append(shown)
    finite = np.concatenate([s[np.isfinite(s)] for s in shown_all])
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    integers = bool(finite.size) and bool(np.all(np.equal(np.mod(finite, 1), 0)))
    n_r = max(len(p.rows) for p in panels)
    n_c = max(len(p.columns) for p in panels)
    cell = 0.42
    note = " ".join(dict.fromkeys(p.note for p in panels if p.note))
    with matplotlib.rc_context(_rc()):
        width = 3.2 + len(panels) * (cell * n_c + 0.6)
        height = max(4.0, 2.8 + cell * n_r) + (0.3 if note else 0)
        fig = Figure(figsize=(max(5.0, width), height))
        fig.set_layout_engine("constrained", rect=(0, 0.04 if note else 0, 1, 1))
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#eeeeee")
        im = None
        for k, (ax, p, values, shown) in enumerate(zip(axes, panels, arrays, shown_all)):
            rows, cols = values.shape
            im = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=0, vmax=vmax, aspect="auto")
            for i in range(rows):
                for j in range(cols):
                    v = values[i, j]
                    if not np.isfinite(v):
                        continue
                    dark = bool(np.isfinite(shown[i, j])) and shown[i, j] > 0.6 * vmax
                    ax.text(j, i, number(v, p.language), ha="center", va="center", fontsize=6.5,
                            color="white" if dark else "#222222")
            ax.set_xticks(range(cols))
            ax.set_xticklabels([_wrap(c, 28) for c in p.columns], rotation=60, ha="right",
                               rotation_mode="anchor", fontsize=7)
            ax.set_yticks(range(rows))
            ax.set_yticklabels([_wrap(r, 40) for r in p.rows] if k == 0 else [], fontsize=7)
            if p.depths:
                ticks = list(ax.get_xticklabels()) + (list(ax.get_yticklabels()) if k == 0 else [])
                for tick, d in zip(ticks, p.depths + (p.depths if k == 0 else [])):
                    if d == 0:
                        tick.set_fontweight("bold")
            ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
            ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
            ax.grid(which="minor", color="white", linewidth=0.8)
            ax.tick_params(which="minor", length=0)
            if p.title:
                ax.set_title(_wrap(p.title, 60), loc="left", fontweight="bold", fontsize=9)
        assert im is not None  # every panel draws an image
        cbar = fig.colorbar(im, ax=list(axes), shrink=0.7, pad=0.02)
        if integers:
            from matplotlib.ticker import MaxNLocator

            cbar.locator = MaxNLocator(integer=True)
            cbar.update_ticks()
        if panels[0].colorbar_label:
            cbar.set_label(panels[0].colorbar_label)
        if note:
            fig.text(0.01, 0.005, _wrap(note, 150), fontsize=6, color="#666666", va="bottom")
    return fig


def save_figure(fig: Figure, path: str | Path, *, force: bool = False,
                provenance: Provenance | None = None) -> Path:
    """Write ``fig`` as PNG (200 dpi) or SVG, atomically, deterministically."""
    fmt = chart_format(path)
    import matplotlib

    if fmt == "png":
        metadata: dict[str, Any] = {"Software": None}
        if provenance:
            metadata["Description"] = xml_safe(provenance.line())
    else:
        metadata = {"Date": None, "Creator": None}
        if provenance:
            metadata["Description"] = xml_safe(provenance.line())
    with matplotlib.rc_context(_rc()), atomic_write(path, force=force) as tmp:
        fig.savefig(tmp, format=fmt, dpi=DPI, metadata=metadata)
    return Path(path)


# -- from analysis tables ------------------------------------------------------------------
MEASURES = ("participants", "units")


def code_colors(project: Project) -> dict[str, str]:
    """Code path -> colour (the codebook's ``color``); a code without one takes its nearest
    ancestor's. Invalid colours are ignored."""
    own = {path: _valid_color(color) for path, color in project.store.codes.colors().items()}
    out: dict[str, str] = {}
    for path in own:
        p = path
        while True:
            color = own.get(p)
            if color:
                out[path] = color
                break
            if "/" not in p:
                break
            p = p.rsplit("/", 1)[0]
    return out


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def freq_bar_data(table: TableResult, *, measure: str = "participants",
                  colors: dict[str, str] | None = None, labels: Labels | None = None) -> BarData:
    """BarData from a frequency TableResult (``freq_report``/``FreqTable.to_result``:
    columns ``code``, ``label``, ``GROUP units|participants|%``…, meta ``groups``,
    ``group_sizes``, ``depth``). The ``(all codes)`` total row is left out, and so is the
    ``(no case)`` group for participants (it has none). ``labels``: the export language
    and display labels of the groups (default: English, identifiers as they are)."""
    labels = labels or Labels("en")
    lang = labels.language
    table = localize(table, labels)
    if measure not in MEASURES:
        raise UsageError(f"unknown measure {measure!r} (choose from {', '.join(MEASURES)})")
    df = table.df
    meta = table.meta or {}
    groups = list(meta.get("groups") or [])
    if not groups:  # derive from the columns: "GROUP units"
        groups = [c[: -len(" units")] for c in df.columns if c.endswith(" units") and c != "total units"]
    if not groups:
        raise QualcodeError("the frequency table has no groups: chart it with --by ATTR")
    if measure == "participants":
        groups = [g for g in groups if f"{g} %" in df.columns and not df[f"{g} %"].isna().all()]
        if not groups:
            raise QualcodeError("no group has participants: use --measure units")
    sizes = meta.get("group_sizes") or {}
    skip = set(meta.get("total_rows") or [])
    depths_all = list(meta.get("depth") or [0] * len(df))
    code_labels, values, ann, cols, depths = [], [], [], [], []
    colors = colors or {}
    for i, row in enumerate(df.to_dict("records")):
        if row.get("code") in skip:
            continue
        code_labels.append(str(row.get("label") or row.get("code")))
        depths.append(int(depths_all[i]) if i < len(depths_all) else 0)
        cols.append(colors.get(str(row.get("code"))))
        vals, texts = [], []
        for g in groups:
            if measure == "participants":
                pct = row.get(f"{g} %")
                n = row.get(f"{g} participants")
                vals.append(0.0 if _is_missing(pct) else float(pct))
                texts.append("" if _is_missing(pct) else f"{percent(float(pct), lang)} ({int(n)})")
            else:
                u = row.get(f"{g} units")
                vals.append(0.0 if _is_missing(u) else float(u))
                texts.append("" if _is_missing(u) else str(int(u)))
        values.append(vals)
        ann.append(texts)
    by = meta.get("by")
    group_labels = [f"{group_label(g, by, labels)} ({n_equals(sizes[g], lang)})"
                    if measure == "participants" and g in sizes else group_label(g, by, labels) for g in groups]
    xlabel = tr(lang, "chart.participants_axis" if measure == "participants" else "chart.units_axis")
    return BarData(labels=code_labels, groups=group_labels, values=values, colors=cols, depths=depths,
                   xlabel=xlabel, title=table.title, percent=measure == "participants", annotations=ann,
                   language=lang)


def cooc_heatmap_data(table: TableResult, labels: Labels | None = None) -> HeatmapData:
    """HeatmapData from a co-occurrence TableResult (``cooccurrence()``: columns ``code``,
    ``label`` and one per code path, meta ``matrix_columns``). Empty cells (a code and its
    sub-code) stay blank; the diagonal (units of the code) is shown greyed, outside the
    colour scale. ``labels``: the export language (title, colour bar, numbers)."""
    labels = labels or Labels("en")
    table = localize(table, labels)
    df = table.df
    meta = table.meta or {}
    cols = list(meta.get("matrix_columns") or [c for c in df.columns if c not in ("code", "label")])
    label_of = {str(r["code"]): str(r.get("label") or r["code"]) for r in df.to_dict("records")}
    depths = list(meta.get("depth") or [0] * len(df))
    rows, values = [], []
    for r in df.to_dict("records"):
        rows.append(label_of[str(r["code"])])
        values.append([None if _is_missing(r.get(c)) else float(r[c]) for c in cols])
    jaccard = bool(meta.get("decimals") or {})
    return HeatmapData(rows=rows, columns=[label_of.get(c, c) for c in cols], values=values,
                       title=table.title, mask_diagonal=True,
                       depths=[int(d) for d in depths] if len(depths) == len(rows) == len(cols) else [],
                       colorbar_label=tr(labels.language, "chart.jaccard" if jaccard else "chart.cooc_units"),
                       language=labels.language)


def bar_chart_codes_by_group(table: TableResult, path: str | Path, *, measure: str = "participants",
                             colors: dict[str, str] | None = None, force: bool = False,
                             provenance: Provenance | None = None, title: str | None = None,
                             labels: Labels | None = None) -> Path:
    """Grouped horizontal bars of a frequency table: per code, % of participants of each
    group who mention it (``measure="participants"``) or coded units (``"units"``); labels
    from the code labels, colours from ``colors`` (code path -> colour, see
    :func:`code_colors`). PNG or SVG by the extension of ``path``."""
    chart_format(path)
    data = freq_bar_data(table, measure=measure, colors=colors, labels=labels)
    if title is not None:
        data.title = title
    return save_figure(draw_grouped_bars(data), path, force=force, provenance=provenance)


def heatmap_cooccurrence(table: TableResult | Sequence[TableResult], path: str | Path, *,
                         force: bool = False, provenance: Provenance | None = None,
                         title: str | None = None, labels: Labels | None = None) -> Path:
    """Heat map of a co-occurrence table; a list of tables (one per group) gives one panel
    per table, side by side, on one colour scale."""
    chart_format(path)
    tables = [table] if isinstance(table, TableResult) else list(table)
    if not tables:
        raise QualcodeError("nothing to chart: no co-occurrence table")
    data = [cooc_heatmap_data(t, labels) for t in tables]
    if title is not None and len(data) == 1:
        data[0].title = title
    fig = draw_heatmap(data[0]) if len(data) == 1 else draw_heatmaps(data)
    return save_figure(fig, path, force=force, provenance=provenance)


# -- one call from a project (what ``qualcode chart`` runs) -----------------------------------
def chart_freq(project: Project, output: str | Path, *, by: str = "group", measure: str = "participants",
               level: str = "all", statuses: Sequence[str] | None = None, coders: Sequence[str] | None = None,
               force: bool = False, command: str = "qualcode chart freq",
               language: str | None = None) -> tuple[Path, Provenance]:
    """Bar chart of the codes by ``by`` (case attribute) to ``output`` (.png or .svg);
    ``language``: of its words and numbers (default: the project's export language)."""
    labels = labels_for(project.config, export_language(project.config, language))
    chart_format(output)
    if measure not in MEASURES:
        raise UsageError(f"unknown measure {measure!r} (choose from {', '.join(MEASURES)})")
    check_output(output, force)  # fail before the work
    statuses = check_statuses(statuses or NOT_REJECTED)
    table = freq_report(project, by, statuses=statuses, coders=list(coders) if coders else None, level=level)
    prov = provenance_for(project, command, coders=list(coders) if coders else None,
                          filters={"by": by, "measure": measure, "level": level, "status": ",".join(statuses)})
    bar_chart_codes_by_group(table, output, measure=measure, colors=code_colors(project), force=force,
                             provenance=prov, labels=labels)
    return Path(output), prov


def chart_cooccurrence(project: Project, output: str | Path, *, by: str | None = None, unit: str = "sentence",
                       jaccard: bool = False, level: str = "all", statuses: Sequence[str] | None = None,
                       coders: Sequence[str] | None = None, force: bool = False,
                       command: str = "qualcode chart cooccurrence",
                       language: str | None = None) -> tuple[Path, Provenance]:
    """Co-occurrence heat map (one panel per value of ``by`` if given) to ``output``;
    ``language``: of its words and numbers (default: the project's export language)."""
    labels = labels_for(project.config, export_language(project.config, language))
    chart_format(output)
    check_output(output, force)
    statuses = check_statuses(statuses or NOT_REJECTED)
    tables = cooccurrence(project, unit=unit, by=by, jaccard=jaccard, statuses=statuses,
                          coders=list(coders) if coders else None, level=level)
    prov = provenance_for(project, command, coders=list(coders) if coders else None,
                          filters={"by": by, "unit": unit, "jaccard": jaccard or None, "level": level,
                                   "status": ",".join(statuses)})
    heatmap_cooccurrence(tables, output, force=force, provenance=prov, labels=labels)
    return Path(output), prov
