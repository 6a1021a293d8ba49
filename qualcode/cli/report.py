"""qualcode report freq, report cooccurrence, report matrix, report words.

Every report prints a table on the terminal (``--json``: the tables as JSON on stdout) or
is exported with ``--format csv|xlsx|md|tex|docx|json --output FILE`` (format taken from
the extension when ``--format`` is omitted; text formats without ``--output`` go to
stdout). Exports record what produced them (see :mod:`qualcode.exporters.tables`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.analysis.cooccurrence import UNITS, cooccurrence
from qualcode.analysis.freq import check_level, check_statuses, freq_report
from qualcode.analysis.matrix import code_matrix
from qualcode.analysis.words import word_frequencies
from qualcode.cli import app
from qualcode.cli._reporttable import ReportTable, min_widths, print_tables
from qualcode.cli._util import (
    MAX_COUNT,
    AllowLeaksOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    command_line,
    console,
    emit_private_tables,
    open_project,
    split_values,
)
from qualcode.errors import UsageError
from qualcode.exporters.base import provenance_for
from qualcode.exporters.layout import check_paper, header_labels
from qualcode.exporters.localize import localize
from qualcode.exporters.tables import cell_text
from qualcode.i18n import export_language, labels_for
from qualcode.pseudo.apply import PseudoLabels

report_app = typer.Typer(help="Reports: code frequencies, co-occurrence, matrices, word frequencies.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")

ByOpt = Annotated[str | None, typer.Option("--by", help="Case attribute to group by (e.g. group).")]
LevelOpt = Annotated[str, typer.Option("--level", help="all: every code; top: top-level codes only "
                                                        "(always rolling up their sub-codes).")]
CoderOpt = Annotated[list[str] | None, typer.Option(
    "--coder", help="Count only these coders ('rules' or a person); repeat it or separate with commas.")]
StatusOpt = Annotated[list[str] | None, typer.Option(
    "--status", help="Count codings with these statuses (proposed, accepted, rejected); repeatable; "
                     "default: proposed and accepted.")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="Export format: csv, xlsx, md, tex, docx, json (default: from --output).")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")]
PaperOpt = Annotated[str, typer.Option(
    "--paper", help="Page size of docx and tex exports: a4 or letter (tables are fitted to its text block).")]
StandaloneOpt = Annotated[bool, typer.Option(
    "--standalone", help="tex: a whole compilable document (preamble with the packages) instead of a fragment.")]
LangOpt = Annotated[str | None, typer.Option(
    "--lang", help="Language of the exported file's titles, notes and numbers: fr | en (default: [export] "
                   "language, else the project's language).", show_default=False)]


def _emit(proj, tables, *, command: str, filters: dict, coders: list[str] | None, fmt: str | None,
          output: Path | None, force: bool, json: bool, lang: str | None = None, paper: str = "a4",
          standalone: bool = False, pseudo: bool | None = None, allow_leaks: bool = False) -> None:
    paper = check_paper(paper)
    prov = provenance_for(proj, command, filters=filters, coders=coders)
    language = export_language(proj.config, lang)

    def prepare(tables, hider):  # display labels (the key applied to attribute names and values)
        labels = PseudoLabels.wrap(labels_for(proj.config, language), hider)
        return [header_labels(localize(t, labels), labels) for t in tables]

    # a file (or a file format on stdout): pseudonymized and audited when the project has a key
    if emit_private_tables(proj, tables, prov, command=command.removeprefix("qualcode "), pseudo=pseudo,
                           allow_leaks=allow_leaks, prepare=prepare, fmt=fmt, output=output, force=force, json=json,
                           language=language, paper=paper, standalone=standalone):
        return
    out = console()
    print_tables(out, [report_table(t, out.width) for t in tables])


# --------------------------------------------------------------------------- terminal


def report_table(t, width: int = 120) -> ReportTable:
    """The terminal layout of a TableResult: tree indentation, right-aligned numbers, notes
    as caption; matrix columns numbered (with a legend) when their names would not fit
    ``width``."""
    kind = t.meta.get("kind")
    depths = t.meta.get("depth") or [0] * len(t)
    if len(depths) != len(t):
        depths = [0] * len(t)
    dec = t.meta.get("decimals", {})
    totals = set(t.meta.get("total_rows") or [])

    def row_style(i: int, path) -> str:
        if path in totals:
            return "bold"
        return "bold" if t.meta.get("tree_column") and depths[i] == 0 else ""

    if kind == "freq":
        groups = t.meta.get("groups", [])
        sizes = t.meta.get("group_sizes", {})
        freq_rows: list[tuple[list[str], str, bool]] = []  # cells, style, starts a section
        for i, rec in enumerate(t.records()):
            cells = ["  " * depths[i] + str(rec["label"])]
            for g in [*groups, "total"]:
                units = cell_text(rec[f"{g} units"])
                if g == "(no case)":
                    cells.append(units)
                    continue
                pct = cell_text(rec[f"{g} %"], 0)
                cells.append(f"{units} / {cell_text(rec[f'{g} participants'])}" + (f" ({pct}%)" if pct else ""))
            freq_rows.append((cells, row_style(i, rec["code"]), rec["code"] in totals and i > 0))
        headers = ["code", *[g + (f" (n={sizes.get(g, 0)})" if g != "(no case)" else "") for g in groups],
                   f"total (n={t.meta.get('total_cases', 0)})"]
        rows = [b[0] for b in freq_rows]
        right = [False] + [True] * (len(headers) - 1)
        # a row that starts a section (a total) ends the section of the row before it
        sections = [b[2] for b in freq_rows[1:]] + [False] if freq_rows else []
        return ReportTable(t.title, headers, right, min_widths(headers, right, rows), rows,
                           [b[1] for b in freq_rows], sections,
                           "units / participants (% of the group's cases)\n" + "\n".join(t.notes))

    cols = [str(c) for c in t.columns]
    tree_col = t.meta.get("tree_column")
    matrix_cols = [str(c) for c in t.meta.get("matrix_columns", [])]
    shown = [c for c in cols if not (tree_col and c == "code")] if tree_col else cols
    numeric = {str(c): t.numeric(c) for c in t.columns}
    legend = None
    body = []
    for i, row in enumerate(t.rows):
        rec = dict(zip(cols, row))
        cells = []
        for c in shown:
            text = cell_text(rec[c], dec.get(c))
            if c == tree_col:
                text = "  " * depths[i] + text
            cells.append(text)
        body.append((cells, row_style(i, rec.get("code")), rec.get("code")))
    headers = ["code" if c == tree_col else c for c in shown]
    natural = sum(max(len(h), *(len(b[0][j]) for b in body)) + 2 if body else len(h) + 2
                  for j, h in enumerate(headers))
    if matrix_cols and natural > width and max(len(c) for c in matrix_cols) > 5:
        number = {c: k for k, c in enumerate(matrix_cols, 1)}
        headers = [str(number[h]) if h in number else h for h in headers]
        legend = "columns: " + "; ".join(f"{k} = {c}" for c, k in number.items())
        if tree_col in shown:
            j = shown.index(tree_col)
            for cells, _, code in body:
                if code in number:
                    cells[j] = f"{number[code]:>2} {cells[j]}"
    rows = [b[0] for b in body]
    right = [numeric[c] for c in shown]
    return ReportTable(t.title, headers, right, min_widths(headers, right, rows), rows, [b[1] for b in body],
                       [False] * len(body), "\n".join(t.notes), legend)


# --------------------------------------------------------------------------- commands


@report_app.command("freq")
def freq_cli(
    by: ByOpt = None,
    level: LevelOpt = "all",
    coder: CoderOpt = None,
    status: StatusOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    json: JsonOpt = False,
    paper: PaperOpt = "a4",
    standalone: StandaloneOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Codes (as a tree, parents rolling up their sub-codes) × values of a case attribute:
    coded units, participants who mention the code, % of the group's participants, totals."""
    coders, statuses = split_values(coder), check_statuses(split_values(status))
    check_level(level)
    with open_project(project) as proj:
        table = freq_report(proj, by, statuses=statuses, coders=coders, level=level)
        _emit(proj, [table], command=command_line("report", "freq", by=by, level=None if level == "all" else level,
                                              coder=coders, status=split_values(status), lang=lang),
              filters={"by": by, "level": level, "status": "+".join(statuses)}, coders=coders,
              fmt=format, output=output, force=force, json=json, lang=lang, paper=paper,
              standalone=standalone, pseudo=pseudo, allow_leaks=allow_leaks)


@report_app.command("cooccurrence")
def cooccurrence_cli(
    unit: Annotated[str, typer.Option("--unit", help="sentence, turn or doc: where two codes must both "
                                                     "occur.")] = "sentence",
    by: ByOpt = None,
    jaccard: Annotated[bool, typer.Option("--jaccard", help="Jaccard index |A∩B|/|A∪B| instead of counts.")] = False,
    level: LevelOpt = "all",
    coder: CoderOpt = None,
    status: StatusOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    json: JsonOpt = False,
    paper: PaperOpt = "a4",
    standalone: StandaloneOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Code × code co-occurrence: in how many sentences, turns or documents both codes occur
    (one table per value of --by)."""
    if unit not in UNITS:
        raise UsageError(f"unknown unit {unit!r} (choose from {', '.join(UNITS)})")
    coders, statuses = split_values(coder), check_statuses(split_values(status))
    check_level(level)
    with open_project(project) as proj:
        tables = cooccurrence(proj, unit=unit, by=by, jaccard=jaccard, statuses=statuses, coders=coders,
                              level=level)
        _emit(proj, tables, command=command_line("report", "cooccurrence", unit=unit, by=by, jaccard=jaccard,
                                             level=None if level == "all" else level, coder=coders,
                                             status=split_values(status), lang=lang),
              filters={"unit": unit, "by": by, "measure": "jaccard" if jaccard else "count", "level": level,
                       "status": "+".join(statuses)}, coders=coders,
              fmt=format, output=output, force=force, json=json, lang=lang, paper=paper,
              standalone=standalone, pseudo=pseudo, allow_leaks=allow_leaks)


@report_app.command("matrix")
def matrix_cli(
    rows: Annotated[str, typer.Option("--rows", help="Rows: codes.")] = "codes",
    cols: Annotated[str, typer.Option("--cols", help="Columns: docs, cases, or a case attribute "
                                                     "(e.g. group).")] = "docs",
    presence: Annotated[bool, typer.Option("--presence", help="1 if the code occurs, else 0 (instead of "
                                                              "counts of coded units).")] = False,
    level: LevelOpt = "all",
    coder: CoderOpt = None,
    status: StatusOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    json: JsonOpt = False,
    paper: PaperOpt = "a4",
    standalone: StandaloneOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Codes × documents, cases or attribute values: coded units per cell (or 0/1 with --presence)."""
    if rows != "codes":
        raise UsageError(f"--rows {rows!r}: only 'codes' is supported")
    coders, statuses = split_values(coder), check_statuses(split_values(status))
    check_level(level)
    with open_project(project) as proj:
        table = code_matrix(proj, cols=cols, presence=presence, statuses=statuses, coders=coders, level=level)
        _emit(proj, [table], command=command_line("report", "matrix", rows=rows, cols=cols, presence=presence,
                                              level=None if level == "all" else level, coder=coders,
                                              status=split_values(status), lang=lang),
              filters={"rows": rows, "cols": cols, "measure": "presence" if presence else "units",
                       "level": level, "status": "+".join(statuses)}, coders=coders,
              fmt=format, output=output, force=force, json=json, lang=lang, paper=paper,
              standalone=standalone, pseudo=pseudo, allow_leaks=allow_leaks)


@report_app.command("words")
def words_cli(
    by: ByOpt = None,
    top: Annotated[int, typer.Option("--top", help="Lemmas per group.", min=1, max=MAX_COUNT)] = 20,
    include_interviewer: Annotated[bool, typer.Option("--include-interviewer",
                                                      help="Count interviewer turns too.")] = False,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="More words to leave out (lemmas or forms); repeatable or comma-separated.")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = None,
    force: ForceOpt = False,
    json: JsonOpt = False,
    paper: PaperOpt = "a4",
    standalone: StandaloneOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Lemma frequencies per group, without stop words, punctuation, numbers and hesitations."""
    extra = split_values(exclude)
    if top < 1:
        raise UsageError(f"--top must be at least 1, not {top}")
    with open_project(project) as proj:
        tables = word_frequencies(proj, by=by, top=top, include_interviewer=include_interviewer, exclude=extra)
        _emit(proj, tables, command=command_line("report", "words", by=by, top=top,
                                                 include_interviewer=include_interviewer, exclude=extra, lang=lang),
              filters={"by": by, "top": top, "turns": "all" if include_interviewer else "participant",
                       "exclude": extra}, coders=None,
              fmt=format, output=output, force=force, json=json, lang=lang, paper=paper,
              standalone=standalone, pseudo=pseudo, allow_leaks=allow_leaks)
