"""qualcode cases, cases import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qualcode.cases import cases_table, import_cases
from qualcode.cli import app
from qualcode.cli._util import (
    JsonOpt,
    ProjectOpt,
    check_stdout_format,
    console,
    is_stdout,
    open_project,
    print_json,
    split_values,
    write_stdout,
)
from qualcode.exporters.base import provenance_for
from qualcode.exporters.tables import TEXT_FORMATS, format_for, render_text, write_tables
from qualcode.i18n import export_language, labels_for

cases_app = typer.Typer(help="Cases (participants) and their attributes.", invoke_without_command=True)
app.add_typer(cases_app, name="cases")


@cases_app.callback()
def cases_cli(ctx: typer.Context, json: JsonOpt = False, project: ProjectOpt = None) -> None:
    """List cases with their attributes and documents (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    with open_project(project) as proj:
        rows = proj.store.cases.all()
    if json:
        print_json([r.to_dict() for r in rows])
        return
    if not rows:
        console().print("No cases yet: see 'qualcode cases import FILE'.")
        return

    attrs: list[str] = []
    for r in rows:
        attrs += [a for a in r.attributes if a not in attrs]
    table = Table("case", *attrs, "documents", box=None)
    for r in rows:
        table.add_row(r.name, *[str(r.attributes.get(a, "")) for a in attrs], ", ".join(r.documents))
    console().print(table)


@cases_app.command("import")
def cases_import_cli(
    file: Annotated[Path, typer.Argument(help="CSV (comma/semicolon, UTF-8 or cp1252) or XLSX file.")],
    project: ProjectOpt = None,
) -> None:
    """Import participants: a 'case' column, a 'document' column (names separated by |), attributes."""
    with open_project(project) as proj:
        report = import_cases(proj, file)
    out = console()
    out.print(f"{report.cases} cases ({report.created} new), {report.attributes} attribute values, "
              f"{report.links} document links from {file}")
    err = console(stderr=True)
    for line, case, doc in report.unknown_documents:
        err.print(f"warning: {file}:{line}: case {case}: no document named {doc!r} in the project")


@cases_app.command("export")
def cases_export_cli(
    output: Annotated[Path, typer.Argument(help="The file to write: .csv, .xlsx, .docx, .md, .tex or .json "
                                                "('-': standard output, with --format csv, md, tex or json).",
                                           show_default=False)],
    attributes: Annotated[list[str] | None, typer.Option(
        "--attributes", "-a", help="The columns after the case, in this order (comma-separated or repeated; "
                                   "default: every attribute; 'documents' adds the document names).",
        show_default=False)] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="csv | xlsx | docx | md | tex | json (default: from the extension).",
        show_default=False)] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Language of the headers and notes: fr | en (default: [export] language, else the "
                       "project's language).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    project: ProjectOpt = None,
) -> None:
    """The table of interviewees (tableau des enquêtés): one row per case, with the chosen attributes.

    Documents (DOCX, Markdown, LaTeX) show the display labels of [labels] and French
    headers in a French project; data files (CSV, XLSX, JSON) keep the identifiers and
    typed values.
    """
    to_stdout = is_stdout(output)  # "-": the text formats, on standard output
    fmt = check_stdout_format(fmt, TEXT_FORMATS) if to_stdout else format_for(fmt, output)
    chosen = split_values(attributes)
    with open_project(project) as proj:
        language = export_language(proj.config, lang)
        table = cases_table(proj, chosen, labels=labels_for(proj.config, language),
                            display=fmt in ("docx", "md", "tex"))
        args = ["qualcode", "cases", "export", str(output)]
        if chosen:
            args += ["--attributes", ",".join(chosen)]
        if lang:
            args += ["--lang", lang]
        prov = provenance_for(proj, " ".join(args), filters={"attributes": ",".join(chosen) if chosen else None})
    if to_stdout:
        write_stdout(render_text([table], fmt, prov, language=language), fmt)
        return
    write_tables([table], fmt, output, prov, force=force, language=language)
    n = len(table)
    console().print(f"wrote {output} ({fmt}, {n} case{'s' * (n != 1)}, {len(table.columns) - 1} columns)",
                    markup=False, highlight=False)
