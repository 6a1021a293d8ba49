"""A report document for a thesis chapter (``qualcode export report``): DOCX with tables,
charts and excerpts.

Contents, in order (Word's built-in styles only, so that the thesis template restyles it):

1. ``Title`` (a heading one level above the sections with ``heading_level`` > 1), then a
   small paragraph with the provenance (also in the page footer, without folders, and in
   the document properties' comments), then a table-of-contents field (``toc``);
2. *Codes by group* (``Heading N``, N = ``heading_level``): table of the units and
   participants per code and group, fitted to the page
   (:func:`~qualcode.exporters.layout.fit_columns`, landscape section if needed), its
   notes, and the bar chart of :func:`~qualcode.exporters.charts.bar_chart_codes_by_group`
   drawn at the text width and inserted at that width;
3. *Code co-occurrence*, from a new page: the code × code table (codes numbered, the
   columns carry the numbers), its notes, and the heat map of
   :func:`~qualcode.exporters.charts.heatmap_cooccurrence`;
4. *Excerpts by code*: every code's excerpts (grouped by the same attribute) with their
   citations, from :func:`~qualcode.exporters.excerpts.collect_excerpts`.

Captions are ``SEQ Tableau``/``SEQ Figure`` fields; section breaks sit before the heading
they open. Headings and captions are in the project's language (French or English). The
file is written atomically and never replaces an existing file unless ``force``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.analysis.cooccurrence import UNITS, cooccurrence
from qualcode.analysis.freq import NOT_REJECTED, check_level, check_statuses, freq_report
from qualcode.analysis.table import TableResult
from qualcode.errors import UsageError
from qualcode.exporters import excerpts as ex_mod
from qualcode.exporters.base import Provenance, atomic_write, check_output, provenance_for, temp_folder
from qualcode.exporters.charts import bar_chart_codes_by_group, code_colors, heatmap_cooccurrence
from qualcode.exporters.docx_util import body_writer, provenance_paragraph, set_language, stamp_provenance
from qualcode.exporters.excerpts import collect_excerpts
from qualcode.exporters.layout import (
    DisplayTable,
    HeaderCell,
    Page,
    check_paper,
    docx_caption,
    docx_table,
    docx_toc,
    fill_toc,
    fit_columns,
    new_section,
    set_page,
    strip_caption_number,
)
from qualcode.exporters.localize import group_label, localize
from qualcode.exporters.tables import cell_text, py_value
from qualcode.exporters.typography import fr_typography
from qualcode.i18n import Labels, export_language, labels_for, n_equals, number, percent
from qualcode.pseudo.apply import PseudoLabels, pseudonymize_table
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("docx",)
CONTENTS = {"fr": "Table des matières", "en": "Contents"}  # the TOC's title
_TEXTS: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Rapport de codage – {project}",
        "freq": "Codes par {by}",
        "freq_table": "Tableau {n} – Unités codées et participants par code et par {by}",
        "freq_cell_note": "Cellules : unités codées / participants qui mentionnent le code (% du groupe).",
        "freq_fig": "Figure {n} – Participants qui mentionnent chaque code, en % de chaque valeur de {by}",
        "code": "Code",
        "total": "Total",
        "cooc": "Co-occurrence des codes",
        "cooc_table": "Tableau {n} – Co-occurrence des codes (unités : {unit})",
        "cooc_numbers": "Les colonnes sont numérotées comme les lignes.",
        "cooc_fig": "Figure {n} – Carte de chaleur de la co-occurrence des codes (unités : {unit}) ; "
                    "diagonale en gris : unités codées avec le code",
        "excerpts": "Extraits par code",
        "no_excerpts": "Aucun extrait.",
        "units": {"sentence": "phrases", "turn": "tours de parole", "doc": "documents"},
        "value_heading": "{by} : {value} ({count})",
        "count": lambda n: f"{n} extrait" + ("s" if n > 1 else ""),
        "shown": lambda k, n: f"{k} extrait{'s' if k > 1 else ''} sur {n}",
        "none": "non renseigné",
        "sample": "Échantillon aléatoire reproductible : au plus {n} extraits par code (graine {seed}) ; "
                  "{shown} extraits reproduits sur {total}.",
    },
    "en": {
        "title": "Coding report – {project}",
        "freq": "Codes by {by}",
        "freq_table": "Table {n} – Coded units and participants by code and {by}",
        "freq_cell_note": "Cells: coded units / participants who mention the code (% of the group).",
        "freq_fig": "Figure {n} – Participants who mention each code, as % of each value of {by}",
        "code": "Code",
        "total": "Total",
        "cooc": "Code co-occurrence",
        "cooc_table": "Table {n} – Code co-occurrence ({unit} units)",
        "cooc_numbers": "Columns are numbered as the rows.",
        "cooc_fig": "Figure {n} – Heat map of code co-occurrence ({unit} units); grey diagonal: units "
                    "coded with the code",
        "excerpts": "Excerpts by code",
        "no_excerpts": "No excerpts.",
        "units": {"sentence": "sentence", "turn": "speaker turn", "doc": "document"},
        "value_heading": "{by}: {value} ({count})",
        "count": lambda n: f"{n} excerpt" + ("s" if n != 1 else ""),
        "shown": lambda k, n: f"{k} of {n} excerpts",
        "none": "not set",
        "sample": "Reproducible random sample: at most {n} excerpts per code (seed {seed}); {shown} of "
                  "{total} excerpts reproduced.",
    },
}


def _t(language: str) -> dict[str, Any]:
    return _TEXTS.get(language, _TEXTS["en"])


def _ui(text: str, language: str) -> str:
    if language == "fr":
        return fr_typography(text)
    return text


@dataclass
class ReportResult:
    path: Path
    provenance: Provenance
    tables: int = 0
    figures: int = 0
    excerpts: int = 0  # reproduced
    excerpts_total: int = 0  # selected by the filters (before any sampling)
    codes: int = 0
    seed: int | str | None = None
    sections: list[str] = field(default_factory=list)  # Heading 1 texts
    unbalanced: list[str] = field(default_factory=list)  # "document turn N" of excerpts with unpaired marks

    def to_dict(self) -> dict:
        return {"output": str(self.path), "format": "docx", "tables": self.tables, "figures": self.figures,
                "codes": self.codes, "excerpts": self.excerpts, "excerpts_total": self.excerpts_total,
                "seed": self.seed, "sections": self.sections, "unbalanced": self.unbalanced,
                "provenance": self.provenance.to_dict()}


def report_format(path: str | Path, fmt: str | None = None) -> str:
    suffix = Path(path).suffix.lower()
    if fmt is not None and fmt.lower() not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    if suffix != ".docx":
        raise UsageError(f"{path}: a report is a .docx file" + (f", not {suffix}" if suffix else ""))
    return "docx"


def build_report(project: Project, path: str | Path, by: str = "group", force: bool = False, *,
                 unit: str = "sentence", level: str = "all", statuses: Sequence[str] | None = None,
                 coders: Sequence[str] | None = None, max_excerpts: int | None = None,
                 seed: int | str | None = None, excerpts: bool = True, language: str | None = None,
                 command: str | None = None, cite: str | None = None, context: int = 0,
                 min_words: int | None = None, paper: str = "a4", heading_level: int = 1,
                 toc: bool = True, pseudo: Pseudonymizer | None = None) -> ReportResult:
    """Write the report DOCX to ``path`` (see the module documentation).

    ``by``: case attribute of the groups; ``unit``: co-occurrence unit (sentence, turn,
    doc); ``level``: ``all`` codes or ``top``-level only (tables and charts);
    ``statuses``/``coders``: which codings count (default: not rejected, every coder);
    ``max_excerpts``/``seed``: a reproducible sample of at most N excerpts per code and
    value of ``by``; ``excerpts=False`` leaves the excerpts out; ``cite``: the citation
    template of the excerpts (see :mod:`qualcode.exporters.citations`); ``context``,
    ``min_words``: as for ``export excerpts``; ``language``: of
    the words and numbers (default: the project's export language, see :mod:`qualcode.i18n`);
    ``paper``: a4 or letter; ``heading_level``: level of the section headings (the
    excerpts' codes go deeper); ``toc``: a table-of-contents field after the title;
    ``pseudo``: a pseudonym key applied to the excerpts, the tables' labels and the charts'
    (see :mod:`qualcode.pseudo`).
    """
    report_format(path)
    paper = check_paper(paper)
    if not 1 <= heading_level <= 7:
        raise UsageError(f"--heading-level must be between 1 and 7, not {heading_level}")
    if unit not in UNITS:
        raise UsageError(f"unknown unit {unit!r} (choose from {', '.join(UNITS)})")
    check_level(level)
    if max_excerpts is not None and max_excerpts < 1:
        raise UsageError(f"--max-excerpts must be at least 1, not {max_excerpts}")
    check_output(path, force)  # fail before the work
    statuses = check_statuses(statuses or NOT_REJECTED)
    coders = list(coders) if coders else None
    language = export_language(project.config, language)
    if max_excerpts and seed is None:
        import random

        seed = random.SystemRandom().randrange(1, 1_000_000)  # drawn and recorded
    if command is None:
        command = report_command(path, by=by, unit=unit, level=level, statuses=statuses, coders=coders,
                                 max_excerpts=max_excerpts, seed=seed, excerpts=excerpts, cite=cite,
                                 language=language if language != project.language else None,
                                 context=context, min_words=min_words, paper=paper,
                                 heading_level=heading_level, toc=toc)
    store = project.store

    def gather() -> tuple:
        freq = freq_report(project, by, statuses=statuses, coders=coders, level=level)
        cooc = cooccurrence(project, unit=unit, statuses=statuses, coders=coders, level=level)[0]
        colors = code_colors(project)
        data = None
        if excerpts:
            data = collect_excerpts(project, by=by, coders=coders, statuses=statuses,
                                    max_per_code=max_excerpts, seed=seed, cite=cite, language=language,
                                    context=context, min_words=min_words, pseudo=pseudo)
        return freq, cooc, colors, data

    # One consistent snapshot, read without the write lock; the write lock only when
    # sentence co-occurrence must fill the annotation cache (then the gathering runs again
    # inside one write transaction).
    freq, cooc, colors, data = store.read(gather)
    prov = provenance_for(project, command, coders=coders, filters={
        "by": by, "unit": unit, "level": level, "status": ",".join(statuses),
        "max_excerpts": max_excerpts, "seed": seed if max_excerpts else None,
        "excerpts": None if excerpts else "no"})
    result = ReportResult(Path(path), prov, seed=seed if max_excerpts else None)
    labels = PseudoLabels.wrap(labels_for(project.config, language), pseudo)
    freq, cooc = localize(freq, labels), localize(cooc, labels)
    if pseudo is not None:  # the code labels, titles and notes (group names go through the labels)
        freq = pseudonymize_table(freq, pseudo, columns=False, cells=("label",))
        cooc = pseudonymize_table(cooc, pseudo, columns=False, cells=("label",))
    with temp_folder("report") as tmpdir:
        bar_png = tmpdir / "codes_by_group.png"
        heat_png = tmpdir / "cooccurrence.png"
        # No titles in the pictures: the captions say what they show.
        # Drawn at the width they are inserted at (the text block): no text under 7 pt on the page.
        width_cm = Page(paper).text_width_cm
        bar_chart_codes_by_group(freq, bar_png, colors=colors, provenance=prov, title="", labels=labels,
                                 width_cm=width_cm)
        heatmap_cooccurrence(cooc, heat_png, provenance=prov, title="", labels=labels, width_cm=width_cm)
        with atomic_write(path, force=force) as tmp:
            name = project.name if pseudo is None else (pseudo.text(project.name) or project.name)
            _write_docx(tmp, name, labels, by, unit, freq, cooc, bar_png, heat_png, data, prov, result,
                        paper=paper, heading_level=heading_level, toc=toc)
    return result


def report_command(path: str | Path, *, by: str, unit: str = "sentence", level: str = "all",
                   statuses: Sequence[str] = (), coders: Sequence[str] | None = None,
                   max_excerpts: int | None = None, seed: int | str | None = None, excerpts: bool = True,
                   cite: str | None = None, language: str | None = None, context: int = 0,
                   min_words: int | None = None, paper: str = "a4", heading_level: int = 1,
                   toc: bool = True) -> str:
    """The command line that writes this report (recorded in its provenance)."""
    args = ["qualcode", "export", "report", "--by", by]
    if unit != "sentence":
        args += ["--unit", unit]
    if level != "all":
        args += ["--level", level]
    if statuses and tuple(statuses) != ("proposed", "accepted"):
        for s in statuses:
            args += ["--status", s]
    for c in coders or []:
        args += ["--coder", c]
    if max_excerpts:
        args += ["--max-excerpts", str(max_excerpts)]
        if seed is not None:
            args += ["--seed", str(seed)]
    if not excerpts:
        args.append("--no-excerpts")
    if cite is not None:
        args += ["--cite", cite]
    if language is not None:
        args += ["--lang", language]
    if context:
        args += ["--context", str(context)]
    if min_words is not None:
        args += ["--min-words", str(min_words)]
    if paper != "a4":
        args += ["--paper", paper]
    if heading_level != 1:
        args += ["--heading-level", str(heading_level)]
    if not toc:
        args.append("--no-toc")
    return shlex.join([*args, "--format", "docx", "--output", str(path)])


# --------------------------------------------------------------------------- DOCX


def _write_docx(path: Path, project_name: str, labels: Labels, by: str, unit: str, freq: TableResult,
                cooc: TableResult, bar_png: Path, heat_png: Path, data, prov: Provenance,
                result: ReportResult, *, paper: str = "a4", heading_level: int = 1, toc: bool = True) -> None:
    from docx import Document
    from docx.shared import Cm

    language = labels.language
    t = _t(language)
    by_name = labels.attribute(by)
    doc = Document()
    page = Page(check_paper(paper))
    set_page(doc.sections[0], page)
    set_language(doc, language)
    title = _ui(t["title"].format(project=project_name), language)
    stamp_provenance(doc, prov, title=title)
    w = body_writer(doc)
    if heading_level > 1:
        w.heading(xml_safe(title), level=heading_level - 1)
    else:
        w.paragraph(xml_safe(title), style="Title")
    provenance_paragraph(doc, prov)
    toc_levels = (heading_level, min(heading_level + 2, 9))
    toc_end = docx_toc(doc, CONTENTS.get(language, CONTENTS["en"]), levels="{}-{}".format(*toc_levels)) \
        if toc else None

    text_width = Cm(page.text_width_cm)
    n_table = n_fig = 0

    # 1. frequencies
    heading = _ui(t["freq"].format(by=by_name), language)
    header, rows, depths, totals = _freq_rows(freq, t, labels)
    shown = DisplayTable(heading, [[HeaderCell(h) for h in header]], rows, [False] + [True] * (len(header) - 1),
                         depths, {i for i, d in enumerate(depths) if d == 0} | set(totals))
    fit = fit_columns(shown, page)
    current = page
    if fit.page.landscape:  # the break goes before the heading it opens
        current = fit.page
        new_section(doc, current)
    w.heading(xml_safe(heading), level=heading_level)
    result.sections.append(heading)
    n_table += 1
    docx_caption(doc, "table", n_table,
                 strip_caption_number(_ui(t["freq_table"].format(n=n_table, by=by_name), language)), language)
    docx_table(doc, shown, fit)
    _notes(doc, [_ui(t["freq_cell_note"], language), *freq.notes])
    if current.landscape:
        current = page
        new_section(doc, current)
    doc.add_picture(str(bar_png), width=text_width)
    n_fig += 1
    docx_caption(doc, "figure", n_fig, strip_caption_number(_ui(t["freq_fig"].format(n=n_fig, by=by_name), language)),
                 language, above=False)

    # 2. co-occurrence
    heading = _ui(t["cooc"], language)
    header, rows, depths, diagonal = _cooc_rows(cooc, t, language)
    shown = DisplayTable(heading, [[HeaderCell(h) for h in header]], rows, [False] + [True] * (len(header) - 1),
                         depths, {i for i, d in enumerate(depths) if d == 0}, diagonal=diagonal)
    fit = fit_columns(shown, page)
    new_section(doc, fit.page)  # the co-occurrence section starts on a new page, portrait or landscape
    current = fit.page
    w.heading(xml_safe(heading), level=heading_level)
    result.sections.append(heading)
    n_table += 1
    unit_name = t["units"].get(unit, unit)
    docx_caption(doc, "table", n_table,
                 strip_caption_number(_ui(t["cooc_table"].format(n=n_table, unit=unit_name), language)), language)
    docx_table(doc, shown, fit)
    _notes(doc, [_ui(t["cooc_numbers"], language), *cooc.notes])
    if current.landscape:
        current = page
        new_section(doc, current)
    doc.add_picture(str(heat_png), width=text_width)
    n_fig += 1
    docx_caption(doc, "figure", n_fig,
                 strip_caption_number(_ui(t["cooc_fig"].format(n=n_fig, unit=unit_name), language)), language,
                 above=False)

    # 3. excerpts
    if data is not None:
        heading = _ui(t["excerpts"], language)
        w.heading(xml_safe(heading), level=heading_level)
        result.sections.append(heading)
        _excerpts(doc, data, language, level=heading_level + 1)
        result.excerpts, result.excerpts_total, result.codes = data.shown, data.total, len(data.codes)
        result.unbalanced = [f"{e.document} turn {e.turn}" if e.turn is not None else f"{e.document} {e.start}:{e.end}"
                             for e in data.unbalanced]
    result.tables, result.figures = n_table, n_fig
    if toc_end is not None:
        fill_toc(doc, toc_end, toc_levels)
    doc.save(str(path))


def _freq_rows(table: TableResult, t: dict, labels: Labels) -> tuple[list[str], list[list[str]], list[int], list[int]]:
    """Header (Code, one column per group, Total) and 'units / participants (pct %)' cells."""
    language = labels.language
    by = (table.meta or {}).get("by")
    meta = table.meta or {}
    groups = list(meta.get("groups") or [])
    sizes = meta.get("group_sizes") or {}
    depths_all = list(meta.get("depth") or [0] * len(table))
    total_codes = set(meta.get("total_rows") or [])
    header = [t["code"]] + [f"{group_label(g, by, labels)} ({n_equals(sizes[g], language)})" if sizes.get(g)
                            else group_label(g, by, labels) for g in groups]
    header.append(f"{t['total']} ({n_equals(meta['total_cases'], language)})" if meta.get("total_cases")
                  else t["total"])
    rows: list[list[str]] = []
    depths: list[int] = []
    totals: list[int] = []
    for i, r in enumerate(table.records()):
        cells = [str(r.get("label") or r.get("code"))]
        for prefix in [*groups, "total"]:
            cells.append(_count_cell(r.get(f"{prefix} units"), r.get(f"{prefix} participants"),
                                     r.get(f"{prefix} %"), language))
        if r.get("code") in total_codes:
            totals.append(len(rows))
        rows.append(cells)
        depths.append(int(depths_all[i]) if i < len(depths_all) else 0)
    return header, rows, depths, totals


def _count_cell(units, participants, pct, language: str = "en") -> str:
    """``148 / 5 (100 %)``: units / participants (% of the group; French: a no-break space
    before %, decimal comma)."""
    units, participants, pct = py_value(units), py_value(participants), py_value(pct)
    text = "" if units is None else number(units, language)
    if participants is not None:
        text += f" / {number(participants, language)}"
        if pct is not None:
            text += f" ({percent(pct, language)})"
    return text


def _cooc_rows(table: TableResult, t: dict, language: str = "en") -> tuple[list[str], list[list[str]], list[int], bool]:
    meta = table.meta or {}
    cols = list(meta.get("matrix_columns") or [c for c in table.columns if c not in ("code", "label")])
    decimals = meta.get("decimals") or {}
    depths_all = list(meta.get("depth") or [0] * len(table))
    header = [t["code"]] + [str(j) for j in range(1, len(cols) + 1)]
    rows, depths = [], []
    for i, r in enumerate(table.records()):
        rows.append([f"{i + 1}. {r.get('label') or r.get('code')}"]
                    + [_number_cell(r.get(c), decimals.get(c), language) for c in cols])
        depths.append(int(depths_all[i]) if i < len(depths_all) else 0)
    return header, rows, depths, len(rows) == len(cols)


def _number_cell(value, decimals: int | None, language: str) -> str:
    """A table number in the export language (``0,049`` in French); empty when missing."""
    value = py_value(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value, language, decimals)
    return cell_text(value, decimals)


def _notes(doc, notes: list[str]) -> None:
    from docx.shared import Pt

    w = body_writer(doc)
    for note in notes:
        p = w.paragraph()
        run = p.add_run(xml_safe(note))
        run.italic = True
        run.font.size = Pt(8)


def _excerpts(doc, data, language: str, level: int = 2) -> None:
    """The excerpts of every code, headings from ``level`` (one below the section's): the
    renderer of ``export excerpts``, so that both look the same."""
    ex_mod.append_excerpts_docx(doc, data, level=level, language=language)
