"""qualcode evaluate: the rules (or any coder) against a gold coder's hand coding."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qualcode.cli import JsonOpt, ProjectOpt, app, command_line, console, emit_tables, open_project, split_values
from qualcode.errors import UsageError


@app.command("evaluate")
def evaluate_cli(
    gold: Annotated[str, typer.Option("--gold", help="The coder whose hand coding is the reference.",
                                      show_default=False)],
    system: Annotated[str, typer.Option("--system", help="The coder evaluated.")] = "rules",
    unit: Annotated[str, typer.Option("--unit", help="sentence or turn: what is compared.")] = "sentence",
    docs: Annotated[Optional[str], typer.Option(
        "--docs", help="Comma-separated document names (default: every document the gold coder coded).",
        show_default=False)] = None,
    code: Annotated[Optional[list[str]], typer.Option(
        "--code", help="Only these codes and their sub-codes; repeatable or comma-separated.",
        show_default=False)] = None,
    status: Annotated[Optional[list[str]], typer.Option(
        "--status", help="System codings with these statuses (proposed, accepted, rejected); repeatable or "
                         "comma-separated; default: all three (everything the rules proposed).",
        show_default=False)] = None,
    rollup: Annotated[bool, typer.Option(
        "--rollup", help="A code also counts its sub-codes' codings (default: codes as applied).")] = False,
    include_stale: Annotated[bool, typer.Option(
        "--include-stale", help="Count reviewed rule codings that the last autocode run no longer "
                                "proposes.")] = False,
    all_seen: Annotated[bool, typer.Option(
        "--all-seen", help="The gold coder read every selected document (one without gold codings "
                           "needs no code), instead of only the documents they coded.")] = False,
    include_interviewer: Annotated[bool, typer.Option(
        "--include-interviewer", help="Compare interviewer turns too.")] = False,
    show: Annotated[Optional[list[str]], typer.Option(
        "--show", help="Also list: fp (false positives with the rule that fired, and the table per rule), "
                       "fn (false negatives), rules (the table per rule only); repeatable or "
                       "comma-separated.", show_default=False)] = None,
    width: Annotated[int, typer.Option("--width", help="Characters of unit text shown on the terminal "
                                                       "(0: all; files always have the whole text).")] = 120,
    format: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="Export format: csv, xlsx, md, tex, docx, json (default: from --output).",
        show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write.",
                                                   show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Evaluate the rules against a gold coder: precision, recall, F1 and support per code, micro
    and macro averages; with --show fp the false positives and the rule that fired, with --show fn
    what the rules missed. Only documents the gold coder coded are compared."""
    from qualcode.analysis.evaluate import check_show, check_system_statuses, evaluate
    from qualcode.analysis.units import check_kind

    check_kind(unit)
    shown = check_show(split_values(show))
    statuses = check_system_statuses(split_values(status))
    codes = split_values(code)
    documents = split_values([docs]) if docs else None
    if json and (format or output):
        raise UsageError("--json prints to stdout: use --format json --output FILE to write a file")
    if width < 0:
        raise UsageError(f"--width must be 0 or more, not {width}")
    with open_project(project) as proj:
        ev = evaluate(proj, gold, system=system, unit=unit, documents=documents, codes=codes,
                      statuses=statuses, rollup=rollup, include_interviewer=include_interviewer,
                      include_stale=include_stale, all_seen=all_seen)
        tables = ev.tables(shown)
        from qualcode.exporters.base import provenance_for

        cmd = command_line("evaluate", gold=ev.gold, system=None if ev.system == "rules" else ev.system,
                       unit=None if unit == "sentence" else unit, docs=documents, code=codes,
                       status=split_values(status), rollup=rollup, include_stale=include_stale, all_seen=all_seen,
                       include_interviewer=include_interviewer, show=list(shown))
        filters = {"unit": unit, "docs": documents, "code": codes, "status": "+".join(statuses),
                   "rollup": rollup or None, "include_stale": include_stale or None,
                   "all_seen": all_seen or None, "include_interviewer": include_interviewer or None}
        prov = provenance_for(proj, cmd, filters=filters, coders=[ev.gold, ev.system])
    if emit_tables(tables, prov, fmt=format, output=output, force=force, json=json):
        return
    out = console()
    for i, t in enumerate(tables):
        if i:
            out.print()
        kind = t.meta.get("kind")
        if kind == "evaluate_rules":
            out.print(render_rules(t))
        elif kind in ("evaluate_fp", "evaluate_fn"):
            out.print(render_errors(t, width))
        else:
            out.print(render_scores(t))


def render_scores(t):
    """The per-code table: code paths (what --code and the rules name), counts, P/R/F1 with three
    decimals, n/a where undefined; the averages in bold."""
    from rich.table import Table
    from rich.text import Text

    from qualcode.exporters.tables import cell_text, py_value

    table = Table(title=Text(t.title, style="bold"), box=None, title_justify="left", caption_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("code", no_wrap=True, overflow="ellipsis")
    for c in ("gold", "system", "TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(c, justify="right", no_wrap=True)
    for rec in t.df.to_dict("records"):
        total = rec["code"] in t.meta.get("total_rows", [])
        cells = [str(rec["label"]) if total else str(rec["code"])]
        cells += [cell_text(rec[c]) for c in ("gold", "system", "TP", "FP", "FN")]
        cells += ["n/a" if py_value(rec[c]) is None else f"{py_value(rec[c]):.3f}"
                  for c in ("precision", "recall", "F1")]
        if total and rec["code"] == t.meta["total_rows"][0] and table.rows:
            table.rows[-1].end_section = True
        table.add_row(*[Text(c) for c in cells], style="bold" if total else "")
    table.caption = Text("\n".join(t.notes), style="dim")
    return table


def render_rules(t):
    """The per-rule table: rule, units, TP, FP, precision, matched words of the false positives."""
    from rich.table import Table
    from rich.text import Text

    from qualcode.exporters.tables import cell_text

    table = Table(title=Text(t.title, style="bold"), box=None, title_justify="left", caption_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("rule", no_wrap=True)
    for c in ("units", "TP", "FP", "precision"):
        table.add_column(c, justify="right", no_wrap=True)
    table.add_column("FP matches", overflow="fold", ratio=1)
    for rec in t.df.to_dict("records"):
        table.add_row(*[Text(x) for x in (str(rec["rule"]), cell_text(rec["units"]), cell_text(rec["TP"]),
                                          cell_text(rec["FP"]), cell_text(rec["precision"], 3),
                                          str(rec["FP matches"]))])
    table.caption = Text("\n".join(t.notes), style="dim")
    return table


def render_errors(t, width: int):
    """False positives or negatives grouped by code: ``document:turn`` and the rule(s), then the
    unit's text (cut to ``width`` characters unless 0)."""
    from rich.console import Group
    from rich.text import Text

    lines = [Text(t.title, style="bold")]
    current = None
    for rec in t.df.to_dict("records"):
        if rec["code"] != current:
            current = rec["code"]
            lines.append(Text(current, style="bold"))
        head = Text(f"  {rec['document']}:{rec['turn']}", style="dim")
        if rec.get("rule"):
            head.append("  " + rec["rule"], style="yellow")
        lines.append(head)
        text = str(rec["text"])
        if width and len(text) > width:
            text = text[:width - 1] + "…"
        lines.append(Text("    " + text))
    if len(lines) == 1:
        lines.append(Text("none", style="dim"))
    return Group(*lines)
