"""qualcode codebook rename, merge, move, split, retire, restore, add, history."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from qualcode.cli import JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.cli.codebook_cmds import codebook_app

CodebookOpt = Annotated[Optional[Path], typer.Option(
    "--codebook", "-c", help="Codebook YAML (default: the project's, see README).")]


def _done(report, json: bool) -> None:
    if json:
        print_json(report.to_dict())
        return
    out = console()
    out.print(report.summary, markup=False)
    out.print(f"codebook {report.codebook}: version {report.version_before} -> {report.version_after}; "
              f"backup {report.backup} ('qualcode backups restore {report.backup}' undoes this)",
              style="dim", markup=False)


@codebook_app.command("rename")
def rename_cli(
    old: Annotated[str, typer.Argument(help="Code path, e.g. identity/stigma.")],
    new: Annotated[str, typer.Argument(help="New path, same parent, e.g. identity/stigma_image.")],
    label: Annotated[Optional[str], typer.Option(help="Also set the code's label.")] = None,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Rename a code (and its sub-codes) in the codebook and the project; codings follow.

    If the codebook was already renamed by hand, only the project is renamed."""
    from qualcode.codebook.revise import rename

    with open_project(project) as proj:
        report = rename(proj, old, new, label=label, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("merge")
def merge_cli(
    codes: Annotated[List[str], typer.Argument(help="Codes to merge (paths).")],
    into: Annotated[str, typer.Option("--into", help="Target code (created if missing: give --label).")],
    label: Annotated[Optional[str], typer.Option(help="Label of the target, when it is created.")] = None,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Merge codes into one; their codings move to it.

    A duplicate (same document, span and coder) collapses, keeping the most decided status:
    accepted > rejected > proposed. The merged codes are commented out in the codebook."""
    from qualcode.codebook.revise import merge

    with open_project(project) as proj:
        report = merge(proj, codes, into, label=label, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("move")
def move_cli(
    code: Annotated[str, typer.Argument(help="Code path to move (with its sub-codes).")],
    under: Annotated[Optional[str], typer.Option("--under", help="New parent code path.")] = None,
    top: Annotated[bool, typer.Option("--top", help="Move to the top level.")] = False,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Move a code under another parent (it goes last among its children); codings follow."""
    from qualcode.codebook.revise import move
    from qualcode.errors import UsageError

    if bool(under) == top:
        raise UsageError("give exactly one of --under PARENT and --top")
    with open_project(project) as proj:
        report = move(proj, code, None if top else under, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("split")
def split_cli(
    code: Annotated[str, typer.Argument(help="Code path to split.")],
    targets: Annotated[List[str], typer.Argument(
        metavar="X Y...", help="Target codes: slugs (siblings of CODE) or paths.")],
    into: Annotated[bool, typer.Option("--into", help="Optional, for readability: split CODE --into X Y.")] = False,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Split a code: its codings go to the review queue, to be assigned to X or Y.

    New targets take the code's place in the codebook; the code is retired (kept, hidden).
    Queued: the codings made or accepted by people; pending rule proposals are left to
    autocode and rejected codings stay on the retired code."""
    from qualcode.codebook.revise import split

    with open_project(project) as proj:
        report = split(proj, code, targets, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("retire")
def retire_cli(
    code: Annotated[str, typer.Argument(help="Code path to retire (with its sub-codes).")],
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Retire a code (and its sub-codes): hidden from reports, codings kept.

    Its entry is commented out in the codebook, so its rules no longer apply;
    'qualcode codebook restore CODE' brings it back."""
    from qualcode.codebook.revise import retire

    with open_project(project) as proj:
        report = retire(proj, code, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("restore")
def restore_cli(
    code: Annotated[str, typer.Argument(help="Retired code path.")],
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Bring a retired code back into the codebook and the reports."""
    from qualcode.codebook.revise import restore

    with open_project(project) as proj:
        report = restore(proj, code, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("add")
def add_cli(
    path: Annotated[str, typer.Argument(help="Path of the new code, e.g. identity/nostalgia.")],
    label: Annotated[str, typer.Option(help="Label of the code.")],
    definition: Annotated[Optional[str], typer.Option(help="Short definition.")] = None,
    color: Annotated[Optional[str], typer.Option(help="#rgb, #rrggbb or a CSS colour name.")] = None,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Add a code to the codebook (last among its parent's children)."""
    from qualcode.codebook.revise import add

    with open_project(project) as proj:
        report = add(proj, path, label=label, definition=definition, color=color, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("history")
def history_cli(
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Codebook revisions and auto-coding runs: when, who, what, codebook version, codings moved."""
    from qualcode.codebook.revise import codebook_history

    with open_project(project) as proj:
        rows = codebook_history(proj)
    if json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("#", "when (UTC)", "who", "operation", "version", "summary", box=None)
    for r in rows:
        table.add_row(str(r["id"]), r["at"].replace("+00:00", ""), r["user"], r["operation"],
                      r["version"] or "", r["summary"])
    console().print(table if rows else "No codebook history yet.")


def confirm_renames(project, error) -> bool:
    """For ``qualcode autocode`` on a terminal: ask whether each suspected hand-made rename
    (:class:`~qualcode.codebook.revise.RenameSuspected`) is one, and rename in the project
    those confirmed. Returns True when all were confirmed (autocode can run again)."""
    from qualcode.codebook.revise import accept_rename

    if not sys.stdin.isatty():
        return False
    out = console(stderr=True)
    confirmed = True
    for c in error.candidates:
        out.print(f"{c.old} ({c.codings} codings by people) disappeared from the codebook and {c.new} "
                  "looks the same.", markup=False)
        if typer.confirm(f"Did you rename {c.old} to {c.new}?", default=False):
            report = accept_rename(project, c.old, c.new)
            out.print(report.summary, markup=False)
        else:
            confirmed = False
    return confirmed
