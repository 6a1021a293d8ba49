"""qualcode review: step through proposed codings in the terminal, or through a spreadsheet."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Group
from rich.errors import StyleSyntaxError
from rich.markup import escape
from rich.panel import Panel
from rich.style import Style
from rich.text import Text
from typer.exceptions import Abort

from qualcode.cli import app
from qualcode.cli._plaintable import print_table
from qualcode.cli._util import (
    AllowLeaksOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    audit_text,
    check_export_options,
    check_sheet_modes,
    console,
    is_stdout,
    open_project,
    print_json,
    privacy_notes,
    write_stdout,
)
from qualcode.coders import RULES_CODER
from qualcode.errors import QualcodeError, UsageError
from qualcode.pseudo.guard import export_privacy
from qualcode.review import (
    Highlighter,
    context,
    decide,
    export_review,
    find_codes,
    get_item,
    import_review,
    pending,
    undo,
)

CONTEXT_CHARS = 280  # characters of the previous / next turn shown around the unit
PICK_MAX = 40  # codes listed at most by the code picker

KEYS_HELP = [
    ("a", "accept the proposal"),
    ("r", "reject it"),
    ("c", "change the code: reject it and code the same text with another code (search the tree)"),
    ("+", "add another code to the same text (the proposal stays to be decided)"),
    ("1-9", "for a coding waiting after a split: assign it the numbered code"),
    ("s", "skip: decide later (skipped items come last in the next session)"),
    ("u", "undo your last decision (also from an earlier session)"),
    ("q", "quit (every decision is already saved; Ctrl-C too)"),
    ("?", "this help"),
]

WORDS = {"accept": "a", "reject": "r", "change": "c", "add": "+", "skip": "s", "undo": "u", "quit": "q",
         "help": "?", "h": "?"}


class KeyReader:
    """The reviewer's input, injectable for tests.

    On a terminal ``key()`` reads one key press (``typer.getchar``); otherwise it reads one
    line (``typer.prompt``), so that a script or click's CliRunner can drive a session
    with ``input="a\\nr\\nq\\n"``. ``line()`` always reads a line (code search, numbers).
    End of input raises EOFError; Ctrl-C raises KeyboardInterrupt (or EOFError in line mode).
    """

    def __init__(self, out, terminal: bool | None = None):
        self.out = out
        self.terminal = sys.stdin.isatty() if terminal is None else terminal

    def key(self, prompt: str) -> str:
        if not self.terminal:
            return self.line(prompt).lower()
        self.out.print(prompt + "> ", end="")
        ch = typer.getchar()
        self.out.print(ch if ch.isprintable() else "")
        if ch in ("\x04",):
            raise EOFError
        if ch == "\x03":
            raise KeyboardInterrupt
        return ch.strip().lower()  # Enter or space: "" (shows the help)

    def line(self, prompt: str) -> str:
        try:
            return str(typer.prompt(prompt, default="", show_default=False, prompt_suffix="> ")).strip()
        except (click.exceptions.Abort, Abort):  # end of input or Ctrl-C at a prompt
            raise EOFError from None


@dataclass
class SessionStats:
    accepted: int = 0
    rejected: int = 0
    changed: int = 0  # recoded proposals and codings assigned after a split
    added: int = 0
    skipped: int = 0
    undone: int = 0
    log_ids: dict[int, str] = field(default_factory=dict)  # review_log id -> counter, this session

    def count(self, decision) -> None:
        name = {"accept": "accepted", "reject": "rejected", "recode": "changed", "assign": "changed",
                "add": "added", "skip": "skipped"}[decision.action]
        setattr(self, name, getattr(self, name) + 1)
        self.log_ids[decision.log_id] = name

    def uncount(self, decision) -> None:
        self.undone += 1
        name = self.log_ids.pop(decision.log_id, None)
        if name:
            setattr(self, name, getattr(self, name) - 1)

    @property
    def decisions(self) -> int:
        return self.accepted + self.rejected + self.changed + self.added + self.skipped

    def line(self) -> str:
        text = (f"{self.accepted} accepted, {self.rejected} rejected, {self.changed} changed, "
                f"{self.added} added, {self.skipped} skipped")
        return text + (f" ({self.undone} undone)" if self.undone else "")

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("accepted", "rejected", "changed", "added", "skipped", "undone")}


# --------------------------------------------------------------------------- rendering


def _swatch(color: str | None):
    if not color:
        return Text("")
    try:
        return Text("■ ", style=Style.parse(color))
    except StyleSyntaxError:  # a CSS name rich does not know
        return Text("■ ")


def _clip(text: str, keep: str) -> str:
    text = text.strip()
    if len(text) <= CONTEXT_CHARS:
        return text
    return "…" + text[-CONTEXT_CHARS:] if keep == "end" else text[:CONTEXT_CHARS] + "…"


def render(out, ctx, position: int, total: int) -> None:
    """One item: header, previous turn (dim), the unit in its turn, next turn (dim), the code."""
    it = ctx.item
    head = Text()
    head.append(f"{position}/{total}  ", style="bold")
    head.append(it.document, style="bold")
    if ctx.turn is not None:
        head.append(f" · turn {ctx.turn.index} · {ctx.turn.speaker or 'no speaker'} ({ctx.turn.role})")
    head.append(f" · #{it.coding_id}", style="dim")
    code = Text()
    code.append_text(_swatch(ctx.code.get("color")))
    code.append(it.code, style="bold")
    if it.code_label and it.code_label != it.code:
        code.append(f" — {it.code_label}")
    if it.queued:
        code.append(f"  waits for a code: {it.queue_reason}", style="bold yellow")
    else:
        code.append(f"  {it.coder}: {it.origin}", style="dim")
        if it.skipped:
            code.append("  (skipped before)", style="dim")

    body: list = []
    if ctx.previous is not None:
        body.append(Text(f"{ctx.previous.speaker or '—'}: {_clip(ctx.previous.text, 'end')}", style="dim"))
    if ctx.turn is not None:
        t = ctx.turn
        turn = Text(t.text)
        turn.stylize("bold", it.start - t.start, it.end - t.start)
        for a, b in ctx.matches:
            turn.stylize("bold reverse", a - t.start, b - t.start)
        body.append(turn)
    else:
        unit = Text(it.text, style="bold")
        for a, b in ctx.matches:
            unit.stylize("bold reverse", a - it.start, b - it.start)
        body.append(unit)
    if ctx.next is not None:
        body.append(Text(f"{ctx.next.speaker or '—'}: {_clip(ctx.next.text, 'start')}", style="dim"))

    about = Text()
    if ctx.code.get("definition"):
        about.append("Definition: ", style="bold")
        about.append(ctx.code["definition"].strip() + "\n")
    if ctx.code.get("when_not_to_use"):
        about.append("Not when: ", style="bold")
        about.append(ctx.code["when_not_to_use"].strip() + "\n")
    if ctx.others:
        about.append("Also on this text: ", style="bold")
        about.append(", ".join(f"{o['code']} ({o['coder']}, {o['status']})" for o in ctx.others) + "\n")
    if it.queued:
        about.append("Choose: ", style="bold")
        about.append("  ".join(f"[{i}] {c}" for i, c in enumerate(it.choices or [], 1)))
    about.rstrip()

    parts = [code, Text(""), *body]
    if about.plain:
        parts += [Text(""), about]
    out.print(Panel(Group(*parts), title=head, title_align="left"), soft_wrap=False)


def _prompt(item) -> str:
    if item.queued:
        n = len(item.choices or [])
        return f"[1-{n}] assign  c other code  s skip  u undo  q quit  ? help "
    return "a accept  r reject  c change code  + add code  s skip  u undo  q quit  ? help "


# --------------------------------------------------------------------------- code picker


def pick_code(project, reader: KeyReader, out, *, exclude: str | None = None) -> str | None:
    """Search the code tree, list the matches numbered, read a number. None: cancelled.

    Always asks for the number (even for one match), so that what a script types is
    interpreted the same way whatever the codebook holds."""
    while True:
        query = reader.line("search codes (words of the path or label; empty: all; q: cancel) ")
        if query.lower() == "q":
            return None
        found = [c for c in find_codes(project, query) if c["path"] != exclude]
        # a path typed in full comes first; the choice is always confirmed by its number
        found.sort(key=lambda c: c["path"] != query)
        if not found:
            out.print(f"no code matches {query!r}")
            continue
        for i, c in enumerate(found[:PICK_MAX], 1):
            line = _swatch(c["color"])
            line.append(f"{'  ' * c['depth']}{c['path']}", style="bold")
            if c["label"] != c["path"].rsplit("/", 1)[-1]:
                line.append(f"  {c['label']}")
            out.print(f"{i:>3}. ", end="")
            out.print(line)
        if len(found) > PICK_MAX:
            out.print(f"… {len(found) - PICK_MAX} more: refine the search")
        answer = reader.line("number (empty: search again, q: cancel) ")
        if answer.lower() == "q":
            return None
        if answer.isdigit() and 1 <= int(answer) <= min(len(found), PICK_MAX):
            return found[int(answer) - 1]["path"]
        if answer:
            out.print(f"not a number from the list: {answer!r}")


# --------------------------------------------------------------------------- session


def review_session(project, items: list, *, reader: KeyReader, out, highlighter=None,
                   on_error: Callable[[str], None] | None = None) -> SessionStats:
    """Step through ``items``; every decision is saved at once. Returns this session's counts.

    Ends at the end of the list, on ``q``, at the end of input or on Ctrl-C.
    """
    hl = highlighter if highlighter is not None else Highlighter(project)
    stats = SessionStats()
    err = on_error or (lambda msg: out.print(f"[bold red]error:[/] {escape(msg)}", markup=True))
    i = 0
    try:
        while i < len(items):
            try:
                item = get_item(project, items[i].coding_id)
            except QualcodeError:  # deleted meanwhile (autocode in another terminal)
                item = None
            if item is None or not item.pending:
                i += 1
                continue
            items[i] = item
            render(out, context(project, item, highlighter=hl), i + 1, len(items))
            key = reader.key(_prompt(item))
            key = WORDS.get(key, key)
            try:
                if key == "q":
                    break
                if key in ("", "?"):
                    for k, what in KEYS_HELP:
                        out.print(f"  [bold]{escape(k):>4}[/]  {escape(what)}", markup=True)
                    continue
                if key == "u":
                    done = undo(project)
                    if done is None:
                        out.print("nothing to undo")
                        continue
                    stats.uncount(done)
                    out.print(f"undone: {done.describe()}")
                    if done.coding_id is not None:
                        j = next((n for n, x in enumerate(items) if x.coding_id == done.coding_id), None)
                        if j is None:
                            items.insert(i, get_item(project, done.coding_id))
                        else:
                            i = j
                    continue
                decision = None
                if key == "s":
                    decision = decide(project, item.coding_id, "skip")
                elif item.queued and item.choices and key.isdigit() and 1 <= int(key) <= len(item.choices):
                    decision = decide(project, item.coding_id, "assign", to_code=item.choices[int(key) - 1])
                elif item.queued and key == "c":
                    path = pick_code(project, reader, out)
                    if path:
                        decision = decide(project, item.coding_id, "assign", to_code=path)
                elif item.queued:
                    out.print(f"unknown key {key!r}: ? for help")
                    continue
                elif key == "a":
                    decision = decide(project, item.coding_id, "accept")
                elif key == "r":
                    decision = decide(project, item.coding_id, "reject")
                elif key in ("c", "+"):
                    path = pick_code(project, reader, out, exclude=item.code)
                    if path:
                        decision = decide(project, item.coding_id, "recode" if key == "c" else "add", to_code=path)
                else:
                    out.print(f"unknown key {key!r}: ? for help")
                    continue
                if decision is None:
                    out.print("cancelled")
                    continue
                stats.count(decision)
                out.print(f"[dim]saved:[/] {escape(decision.describe())}", markup=True)
                if decision.action in ("add", "assign"):
                    continue  # same item again: still to accept or reject
                i += 1
            except QualcodeError as exc:
                err(str(exc))
        else:
            out.print("End of the list.")
    except EOFError:
        out.print()
    except KeyboardInterrupt:
        out.print("\ninterrupted")
    return stats


def _summary(project, stats: SessionStats, out, *, code, doc, coder) -> int:
    left = pending(project, code=code, doc=doc, coder=coder)
    skipped = sum(1 for it in left if it.skipped)
    out.print(f"This session: {stats.line()}. Every decision is saved.")
    if left:
        out.print(f"{len(left)} left to review" + (f" ({skipped} skipped)" if skipped else "")
                  + ": run 'qualcode review' again to continue.")
    else:
        out.print("Nothing left to review.")
    if stats.decisions or stats.undone:
        with project.store.transaction():
            project.store.history.log(project.user, "review", "review", f"review session: {stats.line()}",
                              {**stats.to_dict(), "left": len(left), "code": code, "doc": doc, "coder": coder})
    return len(left)


# --------------------------------------------------------------------------- command


@app.command("review")
def review_cli(
    code: Annotated[str | None, typer.Option(help="Only this code and its sub-codes.")] = None,
    doc: Annotated[str | None, typer.Option(help="Only this document.")] = None,
    coder: Annotated[str, typer.Option(help="Whose proposals ('rules': autocode's; 'all': anyone's).")] = RULES_CODER,
    export: Annotated[Path | None, typer.Option(
        "--export", help="Write the pending proposals to FILE.xlsx or FILE.csv with a decision column "
                        "('-': the CSV on standard output).")] = None,
    import_file: Annotated[Path | None, typer.Option(
        "--import", help="Apply the decisions of a filled review sheet (all or nothing).")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --export: overwrite FILE.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --import: check and count, change nothing.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List what is left to review and exit.")] = False,
    undo_: Annotated[bool, typer.Option("--undo", help="Undo your last review decision and exit.")] = False,
    codebook: Annotated[Path | None, typer.Option(
        "--codebook", help="Codebook used to highlight matched words (default: the project's).")] = None,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Review proposed codings one by one: accept, reject, change or add a code, skip, undo.

    Keys: a accept, r reject, c change code, + add code, s skip, u undo, q quit, ? help.

    Each decision is saved at once; run it again to continue where you stopped.

    With --export FILE.xlsx|csv and --import FILE the review goes through a spreadsheet.
    The sheet can leave the project (a second coder): with a pseudonym key it is
    pseudonymized (document names, speakers, labels, texts; the ids the import reads stay)
    and audited like every export — refused when it leaks, unless --allow-leaks;
    --no-pseudo writes the names (still audited). Its import works the same either way.
    """
    check_sheet_modes(
        {"--export": export is not None, "--import": import_file is not None, "--list": list_, "--undo": undo_},
        force=force, exporting=export is not None, dry_run=dry_run, importing=import_file is not None, json=json,
        json_hint="--list, --export, --import or --undo (the review itself is interactive)")
    check_export_options(export, pseudo, allow_leaks)
    who = None if coder == "all" else coder
    if import_file is not None:
        return _import(import_file, dry_run, json, project)
    with open_project(project) as proj:
        if export is not None:
            return _export(proj, export, code, doc, who, force, json, pseudo, allow_leaks)
        if undo_:
            return _undo(proj, json)

        items = pending(proj, code=code, doc=doc, coder=who)
        if list_:
            return _list(items, json)
        out = console()
        if not items:
            out.print("Nothing to review.")
            return
        queued = sum(1 for it in items if it.queued)
        skipped = sum(1 for it in items if it.skipped)
        out.print(f"{len(items)} to review" + (f", {queued} waiting for a code after a split" if queued else "")
                  + (f", {skipped} skipped earlier (at the end)" if skipped else "")
                  + ". Keys: a accept · r reject · c change code · + add code · s skip · u undo · q quit · ? help")
        stats = review_session(proj, items, reader=KeyReader(out), out=out,
                               highlighter=Highlighter(proj, codebook))
        _summary(proj, stats, out, code=code, doc=doc, coder=who)


def _list(items, json: bool) -> None:
    if json:
        print_json([it.to_dict() for it in items])
        return

    rows = []
    for it in items:
        state = "queued" if it.queued else ("skipped" if it.skipped else it.status)
        text = " ".join(it.text.split())
        rows.append([str(it.coding_id), it.document, str(it.turn or ""), it.code, state,
                     text if len(text) <= 90 else text[:89] + "…"])
    out = console()
    print_table(out, ["id", "document", "turn", "code", "state", "text"], rows)  # as text when not a terminal
    out.print(f"{len(items)} to review")


def _export(proj, path: Path, code, doc, coder, force: bool, json: bool, pseudo: bool | None = None,
            allow_leaks: bool = False) -> None:
    cmd = "qualcode review --export " + str(path) + "".join(
        f" --{k} {v}" for k, v in (("code", code), ("doc", doc), ("coder", coder or "all")) if v)
    if is_stdout(path) and json:
        raise UsageError("--json prints a summary on standard output: give --export a file name, not '-'")
    with export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="review --export") as privacy:
        report = export_review(proj, path, code=code, doc=doc, coder=coder, force=force, command=cmd,
                               pseudo=privacy.pseudo)
        if report.text is not None:
            audit_text(privacy, report.text, "csv", "review")
    privacy_notes(privacy)
    if report.text is not None:  # "--export -": the CSV sheet on standard output
        write_stdout(report.text, "csv")
        if report.queued_left_out:
            console(stderr=True).print(f"{report.queued_left_out} codings waiting for a code after a split are "
                                       "not in the sheet: review them with 'qualcode review'", markup=False)
        return
    if json:
        print_json(report.to_dict())
        return
    out = console()
    out.print(f"wrote {path}: {report.rows} proposals to review. Fill the 'decision' column (accept, reject, "
              f"or a code path), then run: qualcode review --import {path}", markup=False)
    if report.queued_left_out:
        out.print(f"{report.queued_left_out} codings waiting for a code after a split are not in the sheet: "
                  "review them with 'qualcode review'", markup=False)


def _import(path: Path, dry_run: bool, json: bool, project) -> None:
    with open_project(project) as proj:
        report = import_review(proj, path, dry_run=dry_run)
    if json:
        print_json(report.to_dict())
        return
    out = console()
    for ch in report.changes:
        what = f"recoded as {ch['to_code']}" if ch["decision"] == "recode" else ch["decision"] + "ed"
        out.print(f"#{ch['id']} {ch['from_code']}: {what}", markup=False)
    verb = "would apply" if dry_run else "applied"
    out.print(f"{path}: {report.rows} rows; {verb}: {report.accepted} accepted, {report.rejected} rejected, "
              f"{report.recoded} recoded; {report.unchanged} unchanged"
              + (f"; {report.notes} note{'s' * (report.notes != 1)} saved as memos"
                 if report.notes and not dry_run else "")
              + (" (dry run: nothing changed)" if dry_run else ""), markup=False)


def _undo(proj, json: bool) -> None:
    done = undo(proj)
    if json:
        print_json(None if done is None else {
            "action": done.action, "coding_id": done.coding_id, "from_status": done.from_status,
            "to_status": done.to_status, "from_code": done.from_code, "to_code": done.to_code,
            "deleted_coding_id": done.created_coding_id})
        return
    out = console()
    if done is None:
        out.print(f"nothing to undo for {proj.user}", markup=False)
        return
    status = ""
    if done.coding_id is not None:
        with suppress(QualcodeError):
            status = f" (now {get_item(proj, done.coding_id).status})"
    out.print(f"undone: {done.describe()}{status}", markup=False)
