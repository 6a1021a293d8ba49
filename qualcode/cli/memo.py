"""qualcode memo add, list, edit, delete."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from qualcode.cli import app
from qualcode.cli._util import MAX_ID, JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.memos import add_memo, delete_memo, edit_memo, list_memos

memo_app = typer.Typer(help="Memos on the project, a document, a case, a code or a coding.",
                       no_args_is_help=True)
app.add_typer(memo_app, name="memo")

CodeOpt = Annotated[str | None, typer.Option("--code", help="A code path.", show_default=False)]
DocOpt = Annotated[str | None, typer.Option("--doc", help="A document name.", show_default=False)]
CodingOpt = Annotated[int | None, typer.Option(
    "--coding", help="A coding id (see 'qualcode show DOC --json').", min=1, max=MAX_ID, show_default=False)]
CaseOpt = Annotated[str | None, typer.Option("--case", help="A case (participant).", show_default=False)]
ProjectMemoOpt = Annotated[bool, typer.Option(
    "--project-memo", help="The project as a whole (--project is the project folder).")]
TextArg = Annotated[str, typer.Argument(help="The memo text ('-' reads it from standard input).",
                                        show_default=False)]

_JSON_KEYS = ("id", "target_type", "target_id", "target", "document", "code", "text", "author",
              "created_at", "updated_at")


def _read(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


def _print(memo: dict, verb: str) -> None:
    console().print(f"memo {memo['id']} {verb} on {memo['target']}", markup=False)


@memo_app.command("add")
def add_cli(
    text: TextArg,
    code: CodeOpt = None,
    doc: DocOpt = None,
    coding: CodingOpt = None,
    case: CaseOpt = None,
    project_memo: ProjectMemoOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Write a memo on exactly one target: --code, --doc, --coding, --case or --project-memo."""
    with open_project(project) as proj:
        memo = add_memo(proj, _read(text), code=code, document=doc, coding=coding, case=case,
                        project_memo=project_memo)
    if json:
        print_json({k: memo[k] for k in _JSON_KEYS})
    else:
        _print(memo, "added")


@memo_app.command("list")
def list_cli(
    code: CodeOpt = None,
    doc: DocOpt = None,
    coding: CodingOpt = None,
    case: CaseOpt = None,
    project_memo: ProjectMemoOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List memos; --code and --doc include the memos on their codings (sub-codes included)."""
    with open_project(project) as proj:
        memos = list_memos(proj, code=code, document=doc, coding=coding, case=case, project_memo=project_memo)
    if json:
        print_json([{k: m[k] for k in _JSON_KEYS} for m in memos])
        return
    out = console()
    if not memos:
        out.print("No memos.")
        return

    table = Table("id", "on", "author", "date", "text", box=None)
    table.columns[-1].ratio = 1
    for m in memos:
        if m["target_type"] == "project":
            on = "project"
        elif m["target_type"] == "coding":
            on = f"coding {m['target_id']} {m['code'] or '(deleted)'}"
        else:
            on = f"{m['target_type']} {m['target']}"
        table.add_row(str(m["id"]), Text(on), Text(m["author"]), m["updated_at"][:10], Text(m["text"]))
    out.print(table)
    out.print(f"{len(memos)} memo{'s' * (len(memos) != 1)}")


@memo_app.command("edit")
def edit_cli(
    memo_id: Annotated[int, typer.Argument(
        metavar="ID", help="Memo id (see 'qualcode memo list').", min=1, max=MAX_ID)],
    text: TextArg,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Replace a memo's text (the old text stays in 'qualcode history')."""
    with open_project(project) as proj:
        memo = edit_memo(proj, memo_id, _read(text))
    if json:
        print_json({k: memo[k] for k in _JSON_KEYS})
    else:
        _print(memo, "edited")


@memo_app.command("delete")
def delete_cli(
    memo_id: Annotated[int, typer.Argument(
        metavar="ID", help="Memo id (see 'qualcode memo list').", min=1, max=MAX_ID)],
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Delete a memo (its text stays in 'qualcode history')."""
    with open_project(project) as proj:
        memo = delete_memo(proj, memo_id)
    if json:
        print_json({k: memo[k] for k in _JSON_KEYS})
    else:
        _print(memo, "deleted")
