"""qualcode cases, cases import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qualcode.cases import import_cases
from qualcode.cli import app
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json

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
