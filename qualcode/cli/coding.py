"""qualcode codings, code, uncode: list the codings, and code by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from qualcode import manual
from qualcode.cli import app
from qualcode.cli._plaintable import print_table
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.codings import list_codings
from qualcode.errors import UsageError


@app.command("codings")
def codings_cli(
    code: Annotated[str | None, typer.Option(help="Code path (its sub-codes included).")] = None,
    doc: Annotated[str | None, typer.Option(help="Document name.")] = None,
    coder: Annotated[str | None, typer.Option(help="Coder ('rules' or a person).")] = None,
    status: Annotated[str | None, typer.Option(help="proposed | accepted | rejected.")] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List codings with their document, turn, code, coder, origin, status and text."""
    if status and status not in ("proposed", "accepted", "rejected"):
        raise UsageError(f"unknown status {status!r} (choose from proposed, accepted, rejected)")
    with open_project(project) as proj:
        rows = list_codings(proj, code=code, document=doc, coder=coder, status=status)
    if json:
        keys = ("id", "document", "turn", "start", "end", "code", "coder", "origin", "status", "text")
        print_json([{k: r[k] for k in keys} for r in rows])
        return

    cells = []
    for r in rows:
        text = " ".join(r["text"].split())
        cells.append([r["document"], str(r["turn"] or ""), r["code"], r["coder"], r["status"],
                      text if len(text) <= 100 else text[:99] + "…"])
    out = console()
    # thousands of rows: printed as plain text when rich would print plain text (same characters)
    print_table(out, ["document", "turn", "code", "coder", "status", "text"], cells)
    out.print(f"{len(rows)} codings")


# --------------------------------------------------------------------------- coding by hand


TurnOpt = Annotated[str | None, typer.Option(
    "--turn", "-t", help="Turn N, or turns N-M (each turn its own coding), numbered as in 'qualcode show'.",
    show_default=False)]
SentenceOpt = Annotated[str | None, typer.Option(
    "--sentence", "-s", help="N.K: the K-th sentence of turn N (both from 1).", show_default=False)]
QuoteOpt = Annotated[str | None, typer.Option(
    "--quote", "-q", help="The exact words, found in the document (must occur once).", show_default=False)]
SpanOpt = Annotated[str | None, typer.Option(
    "--span", help="START:END character offsets into the stored text.", show_default=False)]
DocArg = Annotated[str, typer.Argument(help="Document name (see 'qualcode docs').", show_default=False)]
CodeArg = Annotated[str, typer.Argument(help="Code path, e.g. identity/mining_memory.", show_default=False)]

_JSON_KEYS = ("id", "document", "turn", "start", "end", "code", "coder", "origin", "status", "unit", "memo", "text")


def _where(r: dict) -> str:
    """'turn 3 (571:624)' or 'sentence 2.3 (350:416)' or '1131:1155 (turn 6)'."""
    if r["label"].startswith(("turn ", "sentence ")):
        return f"{r['label']} ({r['start']}:{r['end']})"
    return f"{r['label']} (turn {r['turn'] or '-'})"


def _excerpt(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


@app.command("code")
def code_cli(
    document: DocArg,
    code: CodeArg,
    turn: TurnOpt = None,
    sentence: SentenceOpt = None,
    quote: QuoteOpt = None,
    span: SpanOpt = None,
    coder: Annotated[str | None, typer.Option(
        help="Coder name (default: \\[user] name in qualcode.toml, else your login).", show_default=False)] = None,
    memo: Annotated[str | None, typer.Option(help="A memo recorded on the coding.", show_default=False)] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Code a turn, a sentence, a quote or a span of a document by hand (status accepted)."""
    with open_project(project) as proj:
        rows = manual.code(proj, document, code, turn=turn, sentence=sentence, quote=quote, span=span,
                       coder=coder, memo=memo)
    if json:
        print_json([{k: r[k] for k in _JSON_KEYS} for r in rows])
        return
    out = console()
    for r in rows:
        out.print(f"coded {r['document']} {_where(r)} with {r['code']} by {r['coder']}: «{_excerpt(r['text'])}»",
                  markup=False)


@app.command("uncode")
def uncode_cli(
    document: DocArg,
    code: CodeArg,
    turn: TurnOpt = None,
    sentence: SentenceOpt = None,
    quote: QuoteOpt = None,
    span: SpanOpt = None,
    coder: Annotated[str | None, typer.Option(
        help="Whose codings to remove (default: yours; 'rules' for rule proposals).", show_default=False)] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Remove your coding(s) of CODE on exactly the given turn(s), sentence, quote or span."""
    with open_project(project) as proj:
        result = manual.uncode(proj, document, code, turn=turn, sentence=sentence, quote=quote, span=span,
                           coder=coder)
    rows = result["removed"]
    if json:
        print_json({"removed": [{k: r[k] for k in _JSON_KEYS} | {"deleted_memos": r["deleted_memos"]}
                                for r in rows],
                    "not_found": result["not_found"]})
        return
    out = console()
    if result["not_found"]:
        out.print(f"not coded with {code} by {rows[0]['coder']}, left alone: {', '.join(result['not_found'])}",
                  markup=False)
    for r in rows:
        extra = f" (and its {r['deleted_memos']} memo{'s' * (r['deleted_memos'] != 1)})" if r["deleted_memos"] else ""
        out.print(f"uncoded {r['document']} {_where(r)}: {r['code']} by {r['coder']}{extra}", markup=False)
