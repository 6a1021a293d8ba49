"""Charts of analysis tables: codes by group (grouped horizontal bars), co-occurrence heat map.

Figures are drawn with matplotlib's object-oriented API on a :class:`~matplotlib.figure.Figure`
rendered by the Agg (PNG) or SVG canvas: pyplot is never imported, so no display, no GUI
backend and no global figure state are involved (safe in scripts, servers and tests).
The Agg backend is also selected explicitly in case pyplot gets imported later in the same
process.

* The format comes from the file extension: ``.png`` (200 dpi), ``.svg`` (text as paths,
  so accents render without fonts on the reader's machine) or ``.pdf`` (vector, TrueType
  fonts embedded).
* Figures are drawn at the width they are printed (``width_cm``, default :data:`WIDTH_CM`,
  the A4 text block): no text is under :data:`MIN_PT` there (:func:`min_text_pt` checks).
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
from qualcode.pseudo.apply import PseudoLabels, pseudonymize_table
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qualcode.project import Project

FORMATS = ("png", "svg", "pdf")
WIDTH_CM = 16.0  # the text block of A4 with 2.5 cm margins: figures are drawn at the size they are printed
MIN_PT = 7.0  # no text smaller, at that width
TICK_PT = 8.0  # code labels, axes
TITLE_PT = 9.0
BAR_PT = 9.0  # height of one bar: its 7 pt value fits
LABEL_CHARS = 28  # heat-map row labels wrap after this many characters
MAX_HEIGHT_CM = 21.0  # charts squeeze bars and stacked heat maps their rows to stay on a page (A4, caption)
MIN_BAR_PT = 3.0  # bars no thinner (then without their values) when many codes share a page
CHAR_EM = 0.6  # average width of a DejaVu Sans character, in em (measured on code labels)
DIGIT_EM = 0.64  # width of a DejaVu Sans digit
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
    """``png``, ``svg`` or ``pdf`` from the file extension (a usage error otherwise)."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise UsageError(f"{path}: unsupported chart format {('.' + ext) if ext else '(no extension)'} "
                         f"(use .png, .svg or .pdf)")
    return ext


def check_width(width_cm: float) -> float:
    """A printed width between 6 and 30 cm (a usage error otherwise)."""
    if not 6.0 <= width_cm <= 30.0:
        raise UsageError(f"--width {width_cm:g}: give the printed width in cm, between 6 and 30")
    return width_cm


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
        "font.size": TICK_PT,
        "axes.titlesize": TITLE_PT,
        "pdf.fonttype": 42,  # TrueType in PDF: text stays text (searchable, accents exact)
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


def draw_grouped_bars(data: BarData, *, width_cm: float = WIDTH_CM) -> Figure:
    """A figure of horizontal bars: one block per code (top to bottom), one bar per group.

    ``width_cm``: the width the figure is printed at (the text block); the figure is drawn
    at that size, so no text is smaller than :data:`MIN_PT` on the page, and the height
    grows with the codes (each bar tall enough for its 7 pt value)."""
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
    width_in = width_cm / 2.54
    label_chars = max(12, int(0.36 * width_in * 72 / (CHAR_EM * TICK_PT)))
    labels = [_wrap(lbl, label_chars) for lbl in data.labels]
    lines = max((lbl.count("\n") + 1 for lbl in labels), default=1)
    note = _wrap(data.note, int(width_in * 72 / (CHAR_EM * MIN_PT))) if data.note else ""
    note_in = (note.count("\n") + 1) * MIN_PT * 1.3 / 72 if note else 0.0
    fixed_in = 1.2 + note_in + (0.25 if data.title else 0)
    # a code's block: its bars (each 9 pt: a 7 pt value fits) or its label's lines, whichever is
    # taller; many codes: thinner bars, without their values (the table gives them), to stay on a page
    room_pt = (MAX_HEIGHT_CM / 2.54 - fixed_in) * 72 / n_codes  # a code's share of a page
    tick_pt = TICK_PT if lines * TICK_PT * 1.25 + 3 <= room_pt else MIN_PT  # labels at 7 pt, closer, if need be
    label_pt = lines * TICK_PT * 1.25 + 3 if tick_pt == TICK_PT else lines * MIN_PT * 1.15 + 1
    bar_pt = min(BAR_PT, max(MIN_BAR_PT, room_pt * 0.8 / n_groups))
    values_shown = bar_pt >= BAR_PT - 1e-9
    block_pt = max(n_groups * bar_pt / 0.8, label_pt)
    with matplotlib.rc_context(_rc()):
        height = n_codes * block_pt / 72 + fixed_in
        fig = Figure(figsize=(width_in, max(2.0, height)))
        fig.set_layout_engine("constrained", rect=(0, note_in / max(2.0, height), 1, 1 - note_in / max(2.0, height)))
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
            for i, (y, w) in enumerate(zip(ys, widths) if values_shown else ()):
                text = (data.annotations[i][j] if data.annotations
                        else (percent(w, data.language) if data.percent else number(w, data.language)))
                ax.text(w, y, f" {text}", va="center", ha="left", fontsize=MIN_PT, color="#333333")
        ax.set_yticks(range(n_codes))
        # Labels are right-aligned against the axis: top-level codes are bold, not indented.
        ax.set_yticklabels(labels, fontsize=tick_pt)
        for tick, d in zip(ax.get_yticklabels(), depths):
            if d == 0:
                tick.set_fontweight("bold")
        ax.set_ylim(n_codes - 0.5, -0.5)  # first code on top, no empty margin
        top = max((float(v or 0) for row in data.values for v in row), default=0)
        longest = max((len(a) for row in (data.annotations or []) for a in row), default=6) + 1
        room = 1 + longest * CHAR_EM * MIN_PT / (0.55 * width_in * 72)  # the values after the longest bar
        if data.percent:
            ax.set_xlim(0, 100 * room)
            ax.set_xticks(range(0, 101, 20))
            ax.set_xticklabels([percent(t, data.language) for t in range(0, 101, 20)], fontsize=TICK_PT)
        else:
            ax.set_xlim(0, max(top * room, 1))
            ax.tick_params(axis="x", labelsize=TICK_PT)
        ax.xaxis.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if data.xlabel:
            ax.set_xlabel(_wrap(data.xlabel, int(0.6 * width_in * 72 / (CHAR_EM * TICK_PT))), fontsize=TICK_PT)
        if data.title:
            ax.set_title(data.title, loc="left", fontweight="bold", fontsize=TITLE_PT)
        if use_code_colors:
            handles = [Patch(facecolor=_lighten("#666666", _LIGHTEN[j % len(_LIGHTEN)]), edgecolor="#444444",
                             hatch=_HATCHES[j % len(_HATCHES)], label=g) for j, g in enumerate(data.groups)]
        else:
            handles = [Patch(facecolor=_GROUP_COLORS[j % len(_GROUP_COLORS)], label=g)
                       for j, g in enumerate(data.groups)]
        # Above the plot (outside the axes, laid out by constrained layout): never hides a bar.
        fig.legend(handles=handles, loc="outside upper right", ncol=min(n_groups, 3), frameon=False,
                   fontsize=TICK_PT)
        if note:
            fig.text(0.01, 0.005, note, fontsize=MIN_PT, color="#666666", va="bottom")
    return fig


def draw_heatmap(data: HeatmapData, *, width_cm: float = WIDTH_CM) -> Figure:
    """A heat map with the value written in every cell (see :func:`draw_heatmaps`)."""
    return draw_heatmaps([data], width_cm=width_cm)


def _levels(p: HeatmapData) -> list[list[int]] | None:
    """Per cell, 0 when both codes are top-level, 1 when one is a sub-code (its counts are
    bounded by the sub-code's, so it gets its own colour scale); None: one scale."""
    d = p.depths
    if not d or len(d) != len(p.rows) or len(d) != len(p.columns) or all(x == 0 for x in d) \
            or all(x > 0 for x in d):
        return None
    return [[0 if a == 0 and b == 0 else 1 for b in d] for a in d]


def draw_heatmaps(panels: Sequence[HeatmapData], *, width_cm: float = WIDTH_CM) -> Figure:
    """Heat maps stacked top to bottom (e.g. one per group), each across the whole width,
    on common colour scales: one for the cells of two top-level codes, one for the cells
    with a sub-code (a parent's counts include its sub-codes', so one scale would leave every
    sub-code cell pale). Code × code maps number their codes: rows ``1. label``, columns
    ``1``… as in the tables. ``width_cm``: the printed width; every text is at least
    :data:`MIN_PT` there (the values in the cells are left out when they do not fit; the
    table gives them)."""
    _matplotlib()
    import matplotlib
    import numpy as np
    from matplotlib.figure import Figure

    if not panels or any(not p.rows or not p.columns for p in panels):
        raise QualcodeError("nothing to chart: the co-occurrence table is empty")
    panels = [_xml_safe_texts(p) for p in panels]
    arrays, shown_all, levels_all = [], [], []
    for p in panels:
        values = np.array([[float(v) if v is not None else np.nan for v in row] for row in p.values],
                          dtype=float).reshape(len(p.rows), len(p.columns))
        shown = values.copy()
        if p.mask_diagonal and values.shape[0] == values.shape[1]:
            np.fill_diagonal(shown, np.nan)
        arrays.append(values)
        shown_all.append(shown)
        cell_levels = _levels(p)
        levels_all.append(np.zeros(values.shape, dtype=int) if cell_levels is None
                          else np.array(cell_levels, dtype=int))
    scales = sorted({int(x) for lv in levels_all for x in np.unique(lv)})
    vmax: dict[int, float] = {}
    for level in scales:
        finite = np.concatenate([s[(lv == level) & np.isfinite(s)] for s, lv in zip(shown_all, levels_all)])
        vmax[level] = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    every = np.concatenate([s[np.isfinite(s)] for s in shown_all])
    integers = bool(every.size) and bool(np.all(np.equal(np.mod(every, 1), 0)))
    square = all(p.mask_diagonal and len(p.rows) == len(p.columns) for p in panels)
    row_texts = [[f"{i}. {r}" if square else r for i, r in enumerate(p.rows, 1)] for p in panels]
    col_texts = [[str(j) for j in range(1, len(p.columns) + 1)] if square else list(p.columns) for p in panels]
    note = " ".join(dict.fromkeys(p.note for p in panels if p.note))
    width_in = width_cm / 2.54
    pt = 1 / 72
    # left: the row labels (measured in characters), right: a small margin
    longest = max(len(r) for texts in row_texts for r in texts)
    line_in = TICK_PT * 1.2 * pt
    title_in = 16 * pt
    cbar_in = 0.95
    note_lines = _wrap(note, int(width_in / pt / (CHAR_EM * MIN_PT))) if note else ""
    note_in = (note_lines.count("\n") + 1) * MIN_PT * 1.3 * pt if note else 0.0
    n_c = max(len(p.columns) for p in panels)
    # room over the columns: their numbers (upright, if need be), or their labels turned 60°
    if square:
        col_label_in = max(12, len(str(n_c)) * DIGIT_EM * MIN_PT + 6) * pt
    else:
        col_label_in = min(1.6, max(len(c) for t in col_texts for c in t) * CHAR_EM * TICK_PT * pt * 0.8 + 0.1)
    # the rows' share of a page: stacked panels squeeze their rows, down to one line of label
    fixed = sum(title_in * bool(p.title) + col_label_in + 10 * pt for p in panels) + cbar_in + note_in + 0.1
    budget = (MAX_HEIGHT_CM / 2.54 - fixed) / max(1, sum(len(p.rows) for p in panels))
    wrap_to = LABEL_CHARS if budget >= 2 * line_in else longest  # two-line labels only if the rows have room
    label_pt = TICK_PT
    if wrap_to == longest and (longest * CHAR_EM * TICK_PT + 6) * pt > 0.45 * width_in:
        label_pt = MIN_PT  # one line at 7 pt rather than two at 8
    label_in = min(0.45 * width_in, (min(longest, wrap_to) * CHAR_EM * label_pt + 6) * pt)
    label_chars = max(10, int((label_in / pt - 6) / (CHAR_EM * label_pt)))
    row_texts = [[_wrap(r, label_chars) for r in texts] for texts in row_texts]
    lines = max(r.count("\n") + 1 for texts in row_texts for r in texts)
    col_in = (width_in - label_in - 0.15) / n_c
    row_in = max(lines * label_pt * 1.2 * pt, min(col_in, budget))
    panel_in = [title_in * bool(p.title) + col_label_in + len(p.rows) * row_in + 10 * pt for p in panels]
    height = sum(panel_in) + cbar_in + note_in + 0.1
    # the values fit in a cell at 7 pt?
    texts = [number(v, p.language) for p, a in zip(panels, arrays) for v in a[np.isfinite(a)].ravel()]
    fits = max((len(t) for t in texts), default=1) * DIGIT_EM * MIN_PT * pt <= col_in - 1 * pt \
        and row_in >= (MIN_PT + 1) * pt
    clear = (0.0, 0.0, 0.0, 0.0)  # the layers show through each other; empty cells: the axes' grey
    cmaps = {0: matplotlib.colormaps["Oranges"].with_extremes(bad=clear),
             1: matplotlib.colormaps["Blues"].with_extremes(bad=clear)}
    if len(scales) == 1:
        cmaps = {scales[0]: matplotlib.colormaps["Blues"].with_extremes(bad=clear)}
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width_in, height))
        top = height
        images = {}
        for k, (p, values, shown, lv) in enumerate(zip(panels, arrays, shown_all, levels_all)):
            rows, cols = values.shape
            top -= title_in * bool(p.title) + col_label_in
            h = rows * row_in
            ax = fig.add_axes((label_in / width_in, (top - h) / height, cols * col_in / width_in, h / height))
            top -= h + 10 * pt
            ax.set_facecolor("#eeeeee")
            for level in scales:
                layer = np.where(lv == level, shown, np.nan)
                if level not in images or np.isfinite(layer).any():
                    images[level] = ax.imshow(np.ma.masked_invalid(layer), cmap=cmaps[level], vmin=0,
                                              vmax=vmax[level], aspect="auto", interpolation="nearest")
            grey = np.where(np.isfinite(values) & ~np.isfinite(shown), 1.0, np.nan)  # the diagonal
            if np.isfinite(grey).any():
                ax.imshow(np.ma.masked_invalid(grey), cmap=matplotlib.colors.ListedColormap(["#d9d9d9"]),
                          vmin=0, vmax=1, aspect="auto", interpolation="nearest")
            if fits:
                for i in range(rows):
                    for j in range(cols):
                        v = values[i, j]
                        if not np.isfinite(v):
                            continue
                        level = int(lv[i, j])
                        dark = bool(np.isfinite(shown[i, j])) and shown[i, j] > 0.6 * vmax[level]
                        ax.text(j, i, number(v, p.language), ha="center", va="center", fontsize=MIN_PT,
                                color="white" if dark else "#222222")
            ax.set_xticks(range(cols))
            ax.xaxis.tick_top()
            if square:  # the column numbers, upright when two digits do not fit across a column
                upright = len(col_texts[k][-1]) * DIGIT_EM * MIN_PT * pt > col_in - 1 * pt
                ax.set_xticklabels(col_texts[k], fontsize=MIN_PT, rotation=90 if upright else 0)
            else:
                ax.set_xticklabels([_wrap(c, 24) for c in col_texts[k]], rotation=60, ha="left",
                                   rotation_mode="anchor", fontsize=MIN_PT)
            ax.set_yticks(range(rows))
            ax.set_yticklabels(row_texts[k], fontsize=label_pt)
            if p.depths:
                for tick, d in zip(ax.get_yticklabels(), p.depths):
                    if d == 0:
                        tick.set_fontweight("bold")
            ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
            ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
            ax.grid(which="minor", color="white", linewidth=0.8)
            ax.tick_params(which="minor", length=0)
            ax.tick_params(which="major", length=2, pad=1.5)
            for side in ax.spines.values():
                side.set_visible(False)
            if p.title:
                fig.text(0.005, (top + h + 10 * pt + col_label_in + title_in * 0.25) / height, _wrap(p.title, 100),
                         fontsize=TITLE_PT, fontweight="bold", va="bottom")
        # the colour scales, side by side under the maps
        bar_w = (width_in - label_in - 0.3) / max(len(scales), 1) - 0.25
        names = {0: tr(panels[0].language, "chart.top_level"), 1: tr(panels[0].language, "chart.sub_codes")}
        for n, level in enumerate(scales):
            cax = fig.add_axes(((label_in + n * (bar_w + 0.35)) / width_in, (note_in + 0.42) / height,
                                bar_w / width_in, 0.1 / height))
            cbar = fig.colorbar(images[level], cax=cax, orientation="horizontal")
            cbar.ax.tick_params(labelsize=MIN_PT, length=2, pad=1)
            if integers:
                from matplotlib.ticker import MaxNLocator

                cbar.locator = MaxNLocator(integer=True, nbins=5)
            else:
                from matplotlib.ticker import MaxNLocator

                cbar.locator = MaxNLocator(nbins=4)
            cbar.formatter = matplotlib.ticker.FuncFormatter(lambda v, _pos, lang=panels[0].language: number(v, lang))
            cbar.update_ticks()
            if len(scales) > 1:
                cbar.ax.set_title(names[level], fontsize=MIN_PT, loc="left", pad=2)
        if panels[0].colorbar_label:
            fig.text(label_in / width_in, (note_in + (0.74 if len(scales) > 1 else 0.6)) / height,
                     panels[0].colorbar_label, fontsize=MIN_PT,
                     va="bottom")
        if note:
            fig.text(0.005, 0.05 * pt / height, note_lines, fontsize=MIN_PT, color="#666666", va="bottom")
    return fig


def min_text_pt(fig: Figure, width_cm: float | None = None) -> float:
    """The smallest size (pt) of any visible, non-empty text of ``fig`` once it is printed
    ``width_cm`` wide (default: at its own size)."""
    from matplotlib.text import Text

    scale = 1.0 if width_cm is None else (width_cm / 2.54) / fig.get_figwidth()
    sizes = [float(t.get_fontsize()) * scale for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=float("inf"))


def figure_texts(fig: Figure) -> list[tuple[str, str]]:
    """Every visible, non-empty text of ``fig`` (each matplotlib ``Text`` artist: titles,
    axis labels, tick labels, legend, annotations, colour bars, notes), in drawing order,
    with its place: ``axes 2 y tick label``, ``axes 1 legend``, ``figure text``. The
    figure is laid out first (without being rendered) so that tick labels are final."""
    from matplotlib.text import Text

    fig.draw_without_rendering()
    roles: dict[int, str] = {}
    for i, ax in enumerate(fig.axes, 1):
        where = f"axes {i}"
        for t in (getattr(ax, name, None) for name in ("title", "_left_title", "_right_title")):
            if t is not None:
                roles[id(t)] = f"{where} title"
        for axis, letter in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            roles[id(axis.label)] = f"{where} {letter} axis label"
            roles[id(axis.get_offset_text())] = f"{where} {letter} axis offset"
            for t in axis.get_ticklabels(which="both"):
                roles[id(t)] = f"{where} {letter} tick label"
        legend = ax.get_legend()
        if legend is not None:
            for t in [*legend.get_texts(), legend.get_title()]:
                roles[id(t)] = f"{where} legend"
        for t in ax.texts:
            roles[id(t)] = f"{where} annotation"
    for t in fig.texts:
        roles[id(t)] = "figure text"
    for legend in fig.legends:
        for t in [*legend.get_texts(), legend.get_title()]:
            roles[id(t)] = "figure legend"
    return [(roles.get(id(t), "text"), " ".join(t.get_text().split())) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip()]


def save_figure(fig: Figure, path: str | Path, *, force: bool = False,
                provenance: Provenance | None = None) -> Path:
    """Write ``fig`` as PNG (200 dpi), SVG or PDF (vector, fonts embedded), atomically,
    deterministically. The words drawn (SVG draws its text as paths) are also in the
    file's metadata — PNG ``Comment``, SVG ``Keywords``, PDF ``Keywords`` — for screen
    readers and searches. Every text of the figure (:func:`figure_texts`) and of its
    metadata goes to the export guard (the re-identification audit of ``qualcode
    pseudo``) before the file is put in place, whatever its format."""
    fmt = chart_format(path)
    import matplotlib

    with matplotlib.rc_context(_rc()):
        texts = [(place, xml_safe(text)) for place, text in figure_texts(fig)]
    drawn = list(dict.fromkeys(text for _, text in texts))  # once each, in drawing order
    if fmt == "png":
        metadata: dict[str, Any] = {"Software": None, "Comment": "\n".join(drawn)}
        if provenance:
            metadata["Description"] = xml_safe(provenance.line())
    elif fmt == "pdf":
        metadata = {"Creator": None, "Producer": None, "CreationDate": None, "Keywords": "; ".join(drawn)}
        if provenance:
            metadata["Subject"] = xml_safe(provenance.line())
    else:
        metadata = {"Date": None, "Creator": None, "Keywords": drawn}
        if provenance:
            metadata["Description"] = xml_safe(provenance.line())
    shown = texts + [(f"metadata {name}", value) for name, value in metadata.items()
                     if isinstance(value, str) and name not in ("Comment", "Keywords")]
    with matplotlib.rc_context(_rc()), atomic_write(path, force=force, shown=shown) as tmp:
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
                             labels: Labels | None = None, width_cm: float = WIDTH_CM) -> Path:
    """Grouped horizontal bars of a frequency table: per code, % of participants of each
    group who mention it (``measure="participants"``) or coded units (``"units"``); labels
    from the code labels, colours from ``colors`` (code path -> colour, see
    :func:`code_colors`). PNG, SVG or PDF by the extension of ``path``; ``width_cm``: the
    width it is printed at (see :func:`draw_grouped_bars`)."""
    chart_format(path)
    data = freq_bar_data(table, measure=measure, colors=colors, labels=labels)
    if title is not None:
        data.title = title
    return save_figure(draw_grouped_bars(data, width_cm=width_cm), path, force=force, provenance=provenance)


def heatmap_cooccurrence(table: TableResult | Sequence[TableResult], path: str | Path, *,
                         force: bool = False, provenance: Provenance | None = None,
                         title: str | None = None, labels: Labels | None = None,
                         width_cm: float = WIDTH_CM) -> Path:
    """Heat map of a co-occurrence table; a list of tables (one per group) gives one panel
    per table, stacked, on common colour scales (see :func:`draw_heatmaps`)."""
    chart_format(path)
    tables = [table] if isinstance(table, TableResult) else list(table)
    if not tables:
        raise QualcodeError("nothing to chart: no co-occurrence table")
    data = [cooc_heatmap_data(t, labels) for t in tables]
    if title is not None and len(data) == 1:
        data[0].title = title
    fig = draw_heatmaps(data, width_cm=width_cm)
    return save_figure(fig, path, force=force, provenance=provenance)


# -- one call from a project (what ``qualcode chart`` runs) -----------------------------------
def chart_freq(project: Project, output: str | Path, *, by: str = "group", measure: str = "participants",
               level: str = "all", statuses: Sequence[str] | None = None, coders: Sequence[str] | None = None,
               force: bool = False, command: str = "qualcode chart freq",
               language: str | None = None, width_cm: float = WIDTH_CM,
               pseudo: Pseudonymizer | None = None) -> tuple[Path, Provenance]:
    """Bar chart of the codes by ``by`` (case attribute) to ``output`` (.png, .svg or .pdf);
    ``language``: of its words and numbers (default: the project's export language);
    ``width_cm``: the width it is printed at; ``pseudo``: a pseudonym key applied to the
    code labels and the groups' names."""
    check_width(width_cm)
    labels = PseudoLabels.wrap(labels_for(project.config, export_language(project.config, language)), pseudo)
    chart_format(output)
    if measure not in MEASURES:
        raise UsageError(f"unknown measure {measure!r} (choose from {', '.join(MEASURES)})")
    check_output(output, force)  # fail before the work
    statuses = check_statuses(statuses or NOT_REJECTED)
    table = freq_report(project, by, statuses=statuses, coders=list(coders) if coders else None, level=level)
    table = pseudonymize_table(table, pseudo, columns=False, cells=("label",))
    prov = provenance_for(project, command, coders=list(coders) if coders else None,
                          filters={"by": by, "measure": measure, "level": level, "status": ",".join(statuses)})
    bar_chart_codes_by_group(table, output, measure=measure, colors=code_colors(project), force=force,
                             provenance=prov, labels=labels, width_cm=width_cm)
    return Path(output), prov


def chart_cooccurrence(project: Project, output: str | Path, *, by: str | None = None, unit: str = "sentence",
                       jaccard: bool = False, level: str = "all", statuses: Sequence[str] | None = None,
                       coders: Sequence[str] | None = None, force: bool = False,
                       command: str = "qualcode chart cooccurrence",
                       language: str | None = None, width_cm: float = WIDTH_CM,
                       pseudo: Pseudonymizer | None = None) -> tuple[Path, Provenance]:
    """Co-occurrence heat map (one panel per value of ``by`` if given, stacked) to
    ``output``; ``language``: of its words and numbers (default: the project's export
    language); ``width_cm``: the width it is printed at; ``pseudo``: a pseudonym key
    applied to the code labels and the groups' names."""
    check_width(width_cm)
    labels = PseudoLabels.wrap(labels_for(project.config, export_language(project.config, language)), pseudo)
    chart_format(output)
    check_output(output, force)
    statuses = check_statuses(statuses or NOT_REJECTED)
    tables = cooccurrence(project, unit=unit, by=by, jaccard=jaccard, statuses=statuses,
                          coders=list(coders) if coders else None, level=level)
    tables = [pseudonymize_table(t, pseudo, columns=False, cells=("label",)) for t in tables]
    prov = provenance_for(project, command, coders=list(coders) if coders else None,
                          filters={"by": by, "unit": unit, "jaccard": jaccard or None, "level": level,
                                   "status": ",".join(statuses)})
    heatmap_cooccurrence(tables, output, force=force, provenance=prov, labels=labels, width_cm=width_cm)
    return Path(output), prov
