"""qualcode backups, backups restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qualcode.backups import RestoreReport, list_backups, restore_backup, restore_damaged
from qualcode.cli import app
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.errors import DamagedProject, QualcodeError
from qualcode.project_core import ProjectCore

backups_app = typer.Typer(help="Backups of the project taken before codebook revisions and restores.",
                          invoke_without_command=True)
app.add_typer(backups_app, name="backups")


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@backups_app.callback()
def backups_cli(
    ctx: typer.Context,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List the backups (the last 20 are kept): id, time, reason, size."""
    if ctx.invoked_subcommand is not None:
        return

    try:
        with open_project(project) as proj:
            rows = list_backups(proj)
    except DamagedProject:  # the backups are what a damaged project needs
        rows = list_backups(ProjectCore.find(project))
    if json:
        print_json([b.to_dict() for b in rows])
        return

    table = Table("id", "when (UTC)", "reason", "who", "size", "codebook", box=None)
    for b in rows:
        table.add_row(b.id, b.created[:19].replace("T", " "), b.reason, b.user, _size(b.size),
                      (b.codebook or "") if b.has_codebook else "")
    console().print(table if rows else "No backups yet.")


@backups_app.command("restore")
def restore_cli(
    backup_id: Annotated[str, typer.Argument(metavar="ID", help="Backup id (or a unique prefix of it).")],
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Put the project database and codebook back as they were in a backup.

    The current state is backed up first, so a restore can be undone."""
    try:
        proj = open_project(project)
    except DamagedProject:
        report = _restore_damaged(project, backup_id)
    else:
        with proj:
            report = restore_backup(proj, backup_id)
    if json:
        print_json(report.to_dict())
        return
    out = console()
    out.print(f"restored backup {report.restored}" + (f" (database and {report.codebook})" if report.codebook
                                                       else " (database)"), markup=False)
    out.print(f"the state before the restore is backup {report.saved_as}", style="dim", markup=False)


def _restore_damaged(project: Path | None, backup_id: str) -> RestoreReport:
    """Restore over a database that cannot be opened (the damaged file is kept as a backup)."""
    settings = ProjectCore(ProjectCore.find(project), open_store=False)
    try:
        codebook = settings.codebook_path()
    except QualcodeError:
        codebook = None
    return restore_damaged(settings.root, backup_id, user=settings.user, codebook=codebook)
