"""qualcode agreement, disagreements, reconcile, evaluate: agreement between coders, consensus,
and the rules against a gold coder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from qualcode.analysis.agreement import agreement, krippendorff_band, landis_koch
from qualcode.analysis.evaluate import check_show, check_system_statuses, evaluate
from qualcode.analysis.freq import check_statuses
from qualcode.analysis.units import LEVELS, check_kind
from qualcode.cli import app
from qualcode.cli._reporttable import ReportTable, min_widths, print_tables
from qualcode.cli._util import (
    MAX_WIDTH,
    AllowLeaksOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    audit_text,
    check_export_options,
    check_sheet_modes,
    command_line,
    console,
    emit_private_tables,
    is_stdout,
    open_project,
    print_json,
    privacy_notes,
    split_values,
    write_stdout,
)
from qualcode.cli.review import KeyReader
from qualcode.coders import RULES_CODER
from qualcode.errors import QualcodeError, UsageError
from qualcode.exporters.base import provenance_for
from qualcode.exporters.tables import cell_text, py_value
from qualcode.pseudo.guard import export_privacy
from qualcode.reconcile import (
    decide,
    disagreements,
    export_pending,
    import_decisions,
    log_session,
    plan,
    start,
    still_pending,
)

CodersOpt = Annotated[str, typer.Option(
    "--coders", help="The coders to compare, comma-separated (e.g. Camille,Lucas).", show_default=False)]
CodeOpt = Annotated[str | None, typer.Option("--code", help="Only this code and its sub-codes.",
                                                show_default=False)]
DocsOpt = Annotated[str | None, typer.Option("--docs", help="Comma-separated document names (default: all).",
                                                show_default=False)]
StatusOpt = Annotated[list[str] | None, typer.Option(
    "--status", help="Count codings with these statuses (proposed, accepted, rejected); repeatable or "
                     "comma-separated; default: proposed and accepted.", show_default=False)]
AllSeenOpt = Annotated[bool, typer.Option(
    "--all-seen", help="Every coder coded every selected document (a document without any of a coder's "
                       "codings counts as coded and found empty, not as missing).")]
InterviewerOpt = Annotated[bool, typer.Option("--include-interviewer", help="Compare interviewer turns too.")]


def _options(code, docs, unit, status, all_seen, include_interviewer) -> dict:
    return {"code": code, "documents": split_values(docs), "unit": unit,
            "statuses": check_statuses(split_values(status)),
            "include_interviewer": include_interviewer, "all_seen": all_seen}


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# --------------------------------------------------------------------------- agreement


@app.command("agreement")
def agreement_cli(
    coders: CodersOpt,
    code: CodeOpt = None,
    docs: DocsOpt = None,
    unit: Annotated[str, typer.Option(
        "--unit", help="sentence (recommended), turn, or char (every character, as NVivo's coding "
                       "comparison).")] = "sentence",
    status: StatusOpt = None,
    all_seen: AllSeenOpt = False,
    include_interviewer: InterviewerOpt = False,
    format: Annotated[str | None, typer.Option(
        "--format", "-f", help="Export format: csv, xlsx, md, tex, docx, json (default: from --output).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Agreement between coders per code and overall: units coded by each, by both, by neither,
    % agreement, kappa (Cohen's for two coders, Fleiss' for more) and Krippendorff's alpha, with
    their usual readings."""
    check_kind(unit, LEVELS)
    names = split_values(coders) or []
    opts = _options(code, docs, unit, status, all_seen, include_interviewer)
    if json and (format or output):
        raise UsageError("--json prints to stdout: use --format json --output FILE to write a file")
    with open_project(project) as proj:
        report = agreement(proj, names, code=code, documents=opts["documents"], unit=unit,
                           statuses=opts["statuses"], include_interviewer=include_interviewer, all_seen=all_seen)
        if json:
            print_json(report.to_dict())
            return
        table = report.to_result()
        cmd = command_line("agreement", coders=report.coders, code=code, docs=opts["documents"],
                       unit=None if unit == "sentence" else unit, status=split_values(status), all_seen=all_seen,
                       include_interviewer=include_interviewer)
        filters = {"unit": unit, "code": code, "docs": opts["documents"], "status": "+".join(opts["statuses"]),
                   "all_seen": all_seen or None, "include_interviewer": include_interviewer or None}
        if format or output:
            prov = provenance_for(proj, cmd, filters=filters, coders=report.coders)
            emit_private_tables(proj, [table], prov, command="agreement", pseudo=pseudo, allow_leaks=allow_leaks,
                                fmt=format, output=output, force=force)
            return
    print_tables(console(), [agreement_table(report)])


def agreement_table(report) -> ReportTable:
    """The terminal's table: the code tree (labels), counts, %, κ and α with their bands, notes
    (numbers never cut: see :mod:`qualcode.cli._reporttable`)."""
    two = len(report.coders) == 2
    level = {"sentence": "sentences", "turn": "turns", "char": "characters"}[report.level]
    title = f"Agreement between {', '.join(report.coders)} ({level})" + (f": {report.code}" if report.code else "")
    counts_headers = ["chars" if report.level == "char" else "units", *report.coders,
                      *(("both", "neither") if two else ("all", "none")), "%"]
    rows = [*report.rows, report.pooled, report.mean]
    notes = any(r.note for r in rows)
    headers = ["code", *counts_headers, "κ", "κ band", "α", "α band", *(["note"] if notes else [])]
    right = [False, *[True] * len(counts_headers), True, False, True, False, *([False] if notes else [])]
    cells_rows: list[list[str]] = []
    styles: list[str] = []
    sections: list[bool] = []

    def num(v, d):
        return "n/a" if v is None else f"{v:.{d}f}"

    for r in rows:
        s = r.stats
        counts = r is not report.mean
        cells = ["  " * r.depth + r.label]
        if counts:
            cells += [str(s.units), *[str(s.coded.get(c, 0)) for c in report.coders], str(s.all), str(s.none)]
        else:
            cells += [""] * (3 + len(report.coders))
        cells.append(num(s.percent, 1))
        cells += [num(s.kappa, 3), landis_koch(s.kappa) or ""]
        cells += [num(s.alpha, 3), krippendorff_band(s.alpha) or ""] + ([r.note] if notes else [])
        if r is report.pooled and sections:
            sections[-1] = True
        cells_rows.append(cells)
        styles.append("bold" if r.depth == 0 and r in (report.pooled, report.mean) else "")
        sections.append(False)
    widths = min_widths(headers, right, cells_rows)
    widths[0] = max(widths[0], 12)
    return ReportTable(title, headers, right, widths, cells_rows, styles, sections, "\n".join(report.notes))


# --------------------------------------------------------------------------- disagreements


@app.command("disagreements")
def disagreements_cli(
    coders: CodersOpt,
    code: CodeOpt = None,
    docs: DocsOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="sentence or turn.")] = "sentence",
    status: StatusOpt = None,
    all_seen: AllSeenOpt = False,
    include_interviewer: InterviewerOpt = False,
    width: Annotated[int, typer.Option(
        "--width", help="Characters of unit text shown (0: all).", min=0, max=MAX_WIDTH)] = 160,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List the units where the coders differ, code by code, with the text and each coder's codes."""
    opts = _options(code, docs, unit, status, all_seen, include_interviewer)
    with open_project(project) as proj:
        items, cmp = disagreements(proj, split_values(coders) or [], **opts)
    if json:
        print_json({"coders": cmp.coders, "unit": cmp.unit_kind, "skipped_documents": cmp.skipped,
                    "disagreements": [it.to_dict() for it in items]})
        return

    out = console()
    by_code: dict[str, list] = {}
    for it in items:
        by_code.setdefault(it.code, []).append(it)
    for path in cmp.paths:
        group = by_code.get(path)
        if not group:
            continue
        out.print(f"[bold]{escape(path)}[/] ({len(group)})", markup=True)
        for it in group:
            line = Text(f"  {it.document}:{it.turn}", style="dim")
            line.append(f" {it.speaker or '—'}", style="dim")
            line.append("  coded by " + ", ".join(it.coded_by), style="green")
            line.append(" · not by " + ", ".join(it.not_coded_by), style="red")
            out.print(line)
            text = " ".join(it.text.split())
            out.print("    " + (_clip(text, width) if width else text))
            for c in cmp.coders:
                others = [x for x in it.codes.get(c, []) if x != it.code]
                if others:
                    out.print(f"    [dim]{escape(c)} also: {escape(', '.join(others))}[/]", markup=True)
    for doc, who in cmp.skipped.items():
        out.print(f"[dim]skipped {escape(doc)}: not coded by {escape(', '.join(who))}[/]", markup=True)
    noun = {"sentence": "sentences", "turn": "turns"}[cmp.unit_kind]
    out.print(f"{len(items)} disagreement{'s' * (len(items) != 1)} between {', '.join(cmp.coders)} "
              f"({noun}, codes as applied)", markup=False)


# --------------------------------------------------------------------------- reconcile


KEYS_HELP = [
    ("k", "keep: the consensus codes this unit with this code"),
    ("d", "drop: it does not"),
    ("s", "skip: decide later"),
    ("q", "quit (every decision is already saved; Ctrl-C too)"),
    ("?", "this help"),
]
WORDS = {"keep": "k", "drop": "d", "skip": "s", "quit": "q", "help": "?", "h": "?"}


def render_item(out, item, position: int, total: int) -> None:
    head = Text()
    head.append(f"{position}/{total}  ", style="bold")
    head.append(item.document, style="bold")
    head.append(f" · turn {item.turn} · {item.speaker or 'no speaker'} · {item.start}:{item.end}")
    code = Text()
    code.append(item.code, style="bold")
    if item.label and item.label != item.code:
        code.append(f" — {item.label}")
    body = Text(item.text.strip())
    lines = [code, Text(""), body, Text("")]
    for c, spans in item.spans.items():
        t = Text(f"{c}: ", style="bold green")
        t.append("coded")
        for s in spans:
            if (s["start"], s["end"]) != (item.start, item.end):
                t.append(f" «{_clip(s['text'], 120)}»", style="italic")
        lines.append(t)
    for c in item.not_coded_by:
        t = Text(f"{c}: ", style="bold red")
        others = item.codes.get(c, [])
        t.append("not coded" + (f" (codes here: {', '.join(others)})" if others else ""))
        lines.append(t)
    out.print(Panel(Group(*lines), title=head, title_align="left"), soft_wrap=False)


def reconcile_session(project, items: list, consensus: str, *, reader, out) -> dict:
    """Step through the pending disagreements; each decision is saved at once."""
    counts = {"kept": 0, "dropped": 0, "skipped": 0}
    try:
        i = 0
        while i < len(items):
            item = items[i]
            if not still_pending(project, item, consensus):
                i += 1
                continue
            render_item(out, item, i + 1, len(items))
            key = reader.key("k keep  d drop  s skip  q quit  ? help ")
            key = WORDS.get(key, key)
            if key == "q":
                break
            if key in ("", "?"):
                for k, what in KEYS_HELP:
                    out.print(f"  [bold]{escape(k):>2}[/]  {escape(what)}", markup=True)
                continue
            if key == "s":
                counts["skipped"] += 1
            elif key in ("k", "d"):
                decision = "keep" if key == "k" else "drop"
                try:
                    decide(project, item, decision, consensus)
                except QualcodeError as exc:
                    out.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
                else:
                    counts["kept" if key == "k" else "dropped"] += 1
                    out.print(f"[dim]saved:[/] {decision} {escape(item.code)} for {escape(consensus)}", markup=True)
            else:
                out.print(f"unknown key {key!r}: ? for help")
                continue
            i += 1
        else:
            out.print("End of the list.")
    except EOFError:
        out.print()
    except KeyboardInterrupt:
        out.print("\ninterrupted")
    return counts


@app.command("reconcile")
def reconcile_cli(
    coders: CodersOpt,
    as_: Annotated[str, typer.Option("--as", help="Name of the consensus coder to build.")] = "consensus",
    code: CodeOpt = None,
    docs: DocsOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="sentence or turn.")] = "sentence",
    status: StatusOpt = None,
    all_seen: AllSeenOpt = False,
    include_interviewer: InterviewerOpt = False,
    export: Annotated[Path | None, typer.Option(
        "--export", help="Write the disagreements to decide to FILE.xlsx or FILE.csv with a decision column "
                        "('-': the CSV on standard output).",
        show_default=False)] = None,
    import_file: Annotated[Path | None, typer.Option(
        "--import", help="Apply the decisions of a filled sheet (all or nothing).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="With --export: overwrite FILE.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --import: check and count, change nothing.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the disagreements left to decide and exit.")] = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Build a consensus coder: units every coder coded go in automatically; disagreements are
    decided one by one (k keep, d drop, s skip, q quit) or through a spreadsheet.

    Each decision is saved at once; run it again to continue where you stopped.

    The sheet of --export can leave the project (the other coder): with a pseudonym key it
    is pseudonymized (document names, speakers, labels, texts; the offsets and codes the
    import reads stay) and audited like every export — refused when it leaks, unless
    --allow-leaks; --no-pseudo writes the names (still audited). --import reads either.
    """
    check_sheet_modes(
        {"--export": export is not None, "--import": import_file is not None, "--list": list_},
        force=force, exporting=export is not None, dry_run=dry_run, importing=import_file is not None, json=json,
        json_hint="--list, --export or --import (the reconciliation itself is interactive)")
    check_export_options(export, pseudo, allow_leaks)
    opts = _options(code, docs, unit, status, all_seen, include_interviewer)
    names = split_values(coders) or []
    cmd = command_line("reconcile", coders=names, **{"as": as_}, code=code, docs=opts["documents"], unit=unit)
    to_stdout = is_stdout(export)  # "--export -": the CSV sheet on standard output, the rest on stderr
    if to_stdout and json:
        raise UsageError("--json prints a summary on standard output: give --export a file name, not '-'")
    if export is not None and not to_stdout and export.suffix.lower() not in (".csv", ".xlsx"):
        raise QualcodeError(f"unsupported file type {export.suffix!r} for --export (use .xlsx or .csv, "
                            "or - for CSV on standard output)")
    with open_project(project) as proj:
        out = console(stderr=json or to_stdout)
        if list_ or (import_file is not None and dry_run):
            run, p = None, plan(proj, names, as_, **opts)  # writes nothing
            _skipped(out, p)
            if list_:
                return _list(p, json, out)
            assert import_file is not None  # not --list: --import with --dry-run
            return _import(proj, p, import_file, dry_run, json, cmd)
        if import_file is not None:
            # one transaction: the agreed part and the import or nothing
            with proj.store.transaction():
                run, p = start(proj, names, as_, command=cmd, **opts)
                _import(proj, p, import_file, dry_run, json, cmd)
                _ran(out, run, p)
                return
        if export is not None:
            # one transaction: the agreed part and the file or nothing (the audit's entry
            # in the history is written after it, also when the file is refused)
            with (export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks,
                                 command="reconcile --export") as privacy,
                  proj.store.transaction()):
                run, p = start(proj, names, as_, command=cmd, **opts)
                _ran(out, run, p)
                n, text = export_pending(proj, p, export, force=force, command=cmd + f" --export {export}",
                                         pseudo=privacy.pseudo)
                if text is not None:
                    audit_text(privacy, text, "csv", "reconcile")
            privacy_notes(privacy)
            if text is not None:
                write_stdout(text, "csv")
                return
            if json:
                print_json({"path": str(export), "rows": n, "run": run.to_dict()})
                return
            out.print(f"wrote {export}: {n} disagreement{'s' * (n != 1)} to decide. Fill the 'decision' column "
                      f"(keep or drop), then run: {cmd} --import {export}", markup=False)
            return
        run, p = start(proj, names, as_, command=cmd, **opts)
        _ran(out, run, p)
        if not p.pending:
            out.print(f"Nothing to decide: {p.agreed} agreed, {p.decided} disagreements decided.", markup=False)
            return

        out.print(f"{len(p.pending)} disagreements to decide ({p.decided} decided before). "
                  "Keys: k keep · d drop · s skip · q quit · ? help", markup=False)
        counts = reconcile_session(proj, list(p.pending), p.consensus, reader=KeyReader(out), out=out)
        left = len(plan(proj, names, as_, **opts).pending)
        log_session(proj, p.consensus, p.comparison.coders, counts["kept"], counts["dropped"], counts["skipped"],
                    left, command=cmd)
        out.print(f"This session: {counts['kept']} kept, {counts['dropped']} dropped, {counts['skipped']} skipped. "
                  "Every decision is saved.", markup=False)
        out.print(f"{left} left to decide: run 'qualcode reconcile' again to continue." if left
                  else "Nothing left to decide.", markup=False)


def _skipped(out, p) -> None:
    for doc, who in p.comparison.skipped.items():
        out.print(f"skipped {doc}: not coded by {', '.join(who)}", markup=False)


def _ran(out, run, p) -> None:
    if run.added or run.removed:
        out.print(f"{p.consensus}: {run.added} agreed coding{'s' * (run.added != 1)} added"
                  + (f", {run.removed} no longer agreed removed" if run.removed else ""), markup=False)
    _skipped(out, p)


def _list(p, json: bool, out) -> None:
    """What is left to decide (nothing is written: the agreed part is applied by the other modes)."""
    if json:
        print_json({"consensus": p.consensus, "coders": p.comparison.coders, "unit": p.comparison.unit_kind,
                    "agreed": p.agreed, "decided": p.decided, "to_add": len(p.add), "to_remove": len(p.remove),
                    "skipped_documents": p.comparison.skipped, "pending": [it.to_dict() for it in p.pending]})
        return
    for it in p.pending:
        out.print(f"{it.document}:{it.turn} {it.code}  coded by {', '.join(it.coded_by)} · not by "
                  f"{', '.join(it.not_coded_by)}  {_clip(it.text, 100)}", markup=False)
    out.print(f"{len(p.pending)} disagreements to decide ({p.decided} decided, {p.agreed} agreed"
              + (f", {len(p.add)} agreed codings to add" if p.add else "") + ")", markup=False)


def _import(proj, p, path: Path, dry_run: bool, json: bool, cmd: str) -> None:
    report = import_decisions(proj, p, path, dry_run=dry_run, command=cmd + f" --import {path}")
    if json:
        print_json(report.to_dict())
        return
    verb = "would apply" if dry_run else "applied"
    console().print(f"{path}: {report.rows} rows; {verb}: {report.kept} kept, {report.dropped} dropped; "
                    f"{report.empty} without decision; {report.already} decided before"
                    + (" (dry run: nothing changed)" if dry_run else ""), markup=False)


# --------------------------------------------------------------------------- evaluate


@app.command("evaluate")
def evaluate_cli(
    gold: Annotated[str, typer.Option("--gold", help="The coder whose hand coding is the reference.",
                                      show_default=False)],
    system: Annotated[str, typer.Option("--system", help="The coder evaluated.")] = RULES_CODER,
    unit: Annotated[str, typer.Option("--unit", help="sentence or turn: what is compared.")] = "sentence",
    docs: Annotated[str | None, typer.Option(
        "--docs", help="Comma-separated document names (default: every document the gold coder coded).",
        show_default=False)] = None,
    code: Annotated[list[str] | None, typer.Option(
        "--code", help="Only these codes and their sub-codes; repeatable or comma-separated.",
        show_default=False)] = None,
    status: Annotated[list[str] | None, typer.Option(
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
    show: Annotated[list[str] | None, typer.Option(
        "--show", help="Also list: fp (false positives with the rule that fired, and the table per rule), "
                       "fn (false negatives), rules (the table per rule only); repeatable or "
                       "comma-separated.", show_default=False)] = None,
    width: Annotated[int, typer.Option("--width", help="Characters of unit text shown on the terminal "
                                                       "(0: all; files always have the whole text).",
                                                 min=0, max=MAX_WIDTH)] = 120,
    format: Annotated[str | None, typer.Option(
        "--format", "-f", help="Export format: csv, xlsx, md, tex, docx, json (default: from --output).",
        show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.",
                                                   show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Evaluate the rules against a gold coder: precision, recall, F1 and support per code, micro
    and macro averages; with --show fp the false positives and the rule that fired, with --show fn
    what the rules missed. Only documents the gold coder coded are compared."""
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

        cmd = command_line("evaluate", gold=ev.gold, system=None if ev.system == RULES_CODER else ev.system,
                       unit=None if unit == "sentence" else unit, docs=documents, code=codes,
                       status=split_values(status), rollup=rollup, include_stale=include_stale, all_seen=all_seen,
                       include_interviewer=include_interviewer, show=list(shown))
        filters = {"unit": unit, "docs": documents, "code": codes, "status": "+".join(statuses),
                   "rollup": rollup or None, "include_stale": include_stale or None,
                   "all_seen": all_seen or None, "include_interviewer": include_interviewer or None}
        prov = provenance_for(proj, cmd, filters=filters, coders=[ev.gold, ev.system])
        if emit_private_tables(proj, tables, prov, command="evaluate", pseudo=pseudo, allow_leaks=allow_leaks,
                               fmt=format, output=output, force=force, json=json):
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
            print_tables(out, [scores_table(t)])


def scores_table(t) -> ReportTable:
    """The per-code table: code paths (what --code and the rules name), counts, P/R/F1 with three
    decimals, n/a where undefined; the averages in bold (numbers never cut)."""
    headers = ["code", "gold", "system", "TP", "FP", "FN", "precision", "recall", "F1"]
    right = [False] + [True] * 8
    rows: list[list[str]] = []
    styles: list[str] = []
    sections: list[bool] = []
    for rec in t.records():
        total = rec["code"] in t.meta.get("total_rows", [])
        cells = [str(rec["label"]) if total else str(rec["code"])]
        cells += [cell_text(rec[c]) for c in ("gold", "system", "TP", "FP", "FN")]
        cells += ["n/a" if py_value(rec[c]) is None else f"{py_value(rec[c]):.3f}"
                  for c in ("precision", "recall", "F1")]
        if total and rec["code"] == t.meta["total_rows"][0] and sections:
            sections[-1] = True
        rows.append(cells)
        styles.append("bold" if total else "")
        sections.append(False)
    return ReportTable(t.title, headers, right, min_widths(headers, right, rows), rows, styles, sections,
                       "\n".join(t.notes))


def render_rules(t):
    """The per-rule table: rule, units, TP, FP, precision, matched words of the false positives."""
    table = Table(title=Text(t.title, style="bold"), box=None, title_justify="left", caption_justify="left",
                  show_edge=False, pad_edge=False)
    table.add_column("rule", no_wrap=True)
    for c in ("units", "TP", "FP", "precision"):
        table.add_column(c, justify="right", no_wrap=True)
    table.add_column("FP matches", overflow="fold", ratio=1)
    for rec in t.records():
        table.add_row(*[Text(x) for x in (str(rec["rule"]), cell_text(rec["units"]), cell_text(rec["TP"]),
                                          cell_text(rec["FP"]), cell_text(rec["precision"], 3),
                                          str(rec["FP matches"]))])
    table.caption = Text("\n".join(t.notes), style="dim")
    return table


def render_errors(t, width: int):
    """False positives or negatives grouped by code: ``document:turn`` and the rule(s), then the
    unit's text (cut to ``width`` characters unless 0)."""
    lines = [Text(t.title, style="bold")]
    current = None
    for rec in t.records():
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
