"""qualcode cases, cases import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qualcode.cases import cases_table, import_cases, pseudonymize_cases
from qualcode.cli import app
from qualcode.cli._util import (
    AllowLeaksOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    check_stdout_format,
    command_line,
    console,
    is_stdout,
    open_project,
    print_json,
    privacy_notes,
    split_values,
    write_stdout,
)
from qualcode.exporters.base import atomic_write, provenance_for, temp_folder
from qualcode.exporters.tables import TEXT_FORMATS, format_for, render_text, write_tables
from qualcode.i18n import export_language, labels_for
from qualcode.pseudo.guard import export_privacy

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


CASES_REMEDY = ("publish fewer attributes (--attributes) or coarser values (an age group rather than an age, "
                "a type of commune rather than its name) until every row fits at least k participants")


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
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    ner: Annotated[bool, typer.Option(
        "--ner/--no-ner", help="With a pseudonym key, also list the names spaCy's recogniser finds in the table "
                               "that are not in the key (warnings: a case id or a value that may name "
                               "someone).")] = True,
    project: ProjectOpt = None,
) -> None:
    """The table of interviewees (tableau des enquêtés): one row per case, with the chosen attributes.

    Documents (DOCX, Markdown, LaTeX) show the display labels of [labels] and French
    headers in a French project; data files (CSV, XLSX, JSON) keep the attribute names
    and typed values.

    With a pseudonym key (see 'qualcode pseudo'), every format is pseudonymized — case
    ids, document names and values that hold a name of the key come out as their
    replacement — and audited before it is written: a name of the key, or a row whose
    attributes together fit fewer than k participants ([pseudo] k, default 3: the only
    participant aged 85 in Liévin), refuses the file with the list of rows; publish fewer
    --attributes or coarser values, or write it anyway with --allow-leaks (the report is
    printed, the history records it). The working copy to edit and import again with
    'cases import' keeps the stored ids and values only when asked: --no-pseudo
    --allow-leaks (recorded in the history as an export written with leaks; keep it with
    the key, not with the data). 'cases import' refuses a pseudonymized sheet that would
    put pseudonyms in place of the stored values.
    """
    to_stdout = is_stdout(output)  # "-": the text formats, on standard output
    fmt = check_stdout_format(fmt, TEXT_FORMATS) if to_stdout else format_for(fmt, output)
    chosen = split_values(attributes)
    with open_project(project) as proj:
        language = export_language(proj.config, lang)
        table = cases_table(proj, chosen, labels=labels_for(proj.config, language),
                            display=fmt in ("docx", "md", "tex"))
        args = ["cases", "export", str(output)]
        prov = provenance_for(proj, command_line(*args, attributes=chosen, lang=lang, no_pseudo=pseudo is False,
                                                 allow_leaks=allow_leaks),
                              filters={"attributes": ",".join(chosen) if chosen else None})
        with export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="cases export", ner=ner,
                            remedy=CASES_REMEDY) as privacy:
            written = pseudonymize_cases(table, privacy.pseudo)
            if to_stdout:
                text = render_text([written], fmt, prov, language=language)
                if privacy.audited:  # the audit reads files: the text goes through a scratch file first
                    with temp_folder("stdout") as scratch, atomic_write(scratch / f"cases.{fmt}") as tmp:
                        tmp.write_text(text, encoding="utf-8")
            else:
                write_tables([written], fmt, output, prov, force=force, language=language)
    privacy_notes(privacy)
    if to_stdout:
        write_stdout(text, fmt)
        return
    n = len(table)
    console().print(f"wrote {output} ({fmt}, {n} case{'s' * (n != 1)}, {len(table.columns) - 1} columns)",
                    markup=False, highlight=False)
