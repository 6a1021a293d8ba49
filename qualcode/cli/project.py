"""qualcode init, history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from qualcode.cli import app
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.project_core import ProjectCore


@app.command("init")
def init_cli(
    directory: Annotated[Path, typer.Argument(help="Folder of the new project (created if missing).")] = Path("."),
    language: Annotated[str, typer.Option("--language", "-l", help="Language of the transcripts.")] = "fr",
    name: Annotated[str | None, typer.Option(help="Project name (default: the folder name).")] = None,
) -> None:
    """Create a project: qualcode.toml and the database in .qualcode/."""
    project = ProjectCore.init(directory, language=language, name=name)
    console().print(f"Created project [bold]{escape(project.name)}[/] in {escape(str(project.root))} "
                    f"(language: {escape(project.language)})", markup=True)
    project.close()


@app.command("history")
def history_cli(
    operation: Annotated[str | None, typer.Option(help="Only this operation (import, cases, speakers, …).")] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Show the history of bulk operations: imports, auto-coding runs, codebook revisions, reviews…"""
    with open_project(project) as proj:
        rows = proj.store.history.entries(operation)
    if json:
        print_json([r.to_dict() for r in rows])
        return

    table = Table("#", "when (UTC)", "who", "operation", "summary", box=None)
    for r in rows:
        table.add_row(str(r.id), r.at.replace("+00:00", ""), r.user, r.operation, r.summary)
    console().print(table if rows else "No history yet.")
