"""qualcode import, docs, show, speakers."""

from __future__ import annotations

import difflib
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from qualcode.cli import _state, app
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.cli.render import code_colors, initials
from qualcode.errors import QualcodeError, UsageError
from qualcode.importers.speakers import format_timestamp
from qualcode.ingest import expand_paths, import_paths, set_speaker_roles
from qualcode.manual import turn_codes
from qualcode.refi.importer import RefiImportReport, import_qdpx

FORMAT_CHOICES = ("auto", "txt", "md", "docx", "vtt", "srt", "trs")


@app.command("import")
def import_cli(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or glob patterns.",
                                                show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f",
                                        help="auto|txt|md|docx|vtt|srt|trs (auto: from the extension).")] = "auto",
    interviewer: Annotated[str | None, typer.Option(
        help="Comma-separated speaker labels that are interviewers (overrides the default list).")] = None,
    case: Annotated[str | None, typer.Option(help="Attach the imported documents to this case.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace changed documents of the same name.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Import transcripts (txt, md, docx, vtt, srt, Transcriber trs) with speakers and timestamps,
    or a REFI-QDA project (.qdpx: documents, codes, codings, cases, notes)."""
    if format not in FORMAT_CHOICES:
        raise UsageError(f"unknown format {format!r} (choose from {', '.join(FORMAT_CHOICES)})")
    interviewers = [x.strip() for x in interviewer.split(",") if x.strip()] if interviewer else None
    out, err = console(), console(stderr=True)
    refi = [p for p in paths if p.lower().endswith(".qdpx")]
    if refi:
        if len(paths) > 1:
            raise UsageError("import a .qdpx package on its own (one per command)")
        with open_project(project) as proj:
            _print_refi(import_qdpx(proj, refi[0]), out, err)
        return
    with open_project(project) as proj:
        progress = None
        on_file = None
        if sys.stdout.isatty() and len(paths) > 0:
            total = len(expand_paths(paths)[0])
            if total > 1:
                progress = Progress(transient=True, console=out)
                task = progress.add_task("Importing", total=total)

                def on_file(path, _p=progress, _t=task):
                    _p.update(_t, advance=1, description=f"Importing {path.name}")
        if progress:
            with progress:
                report = import_paths(proj, paths, fmt=format, interviewers=interviewers, case=case,
                                      replace=replace, on_file=on_file, debug=_state["debug"])
        else:
            report = import_paths(proj, paths, fmt=format, interviewers=interviewers, case=case,
                                  replace=replace, debug=_state["debug"])
    for r in report.results:
        if r.status == "skipped":
            err.print(f"[red]skipped[/] {escape(str(r.path))}: {escape(str(r.reason))}", markup=True)
        elif r.status == "unchanged":
            out.print(f"unchanged {r.path}: already imported as {r.name}")
        else:
            roles = ", ".join(f"{s['label']} ({s['role']})" for s in r.speakers) or "no speakers"
            out.print(f"{r.status} {escape(str(r.path))} as [bold]{escape(str(r.name))}[/]: {r.turns} turns; "
                      f"{escape(roles)}", markup=True)
        for warning in r.warnings:
            err.print(f"[yellow]warning[/] {escape(warning)}", markup=True)
    summary = f"{report.imported} imported, {report.unchanged} unchanged, {report.skipped} skipped"
    if report.ignored:
        summary += f" ({len(report.ignored)} other files in folders ignored)"
    out.print(summary)
    if report.skipped:
        raise typer.Exit(1)


def _print_refi(report: RefiImportReport, out, err) -> None:
    """The report of a REFI-QDA import: what came in, and every coding accounted for."""
    for d in report.documents:
        notes = f"; {'; '.join(d.notes)}" if d.notes else ""
        out.print(f"imported {escape(d.name)}: {d.turns} turns, {d.codings} codings, offsets as "
                  f"{d.convention}{escape(notes)}", markup=True, highlight=False)
    where = "the project's codebook" if report.codebook_is_project_codebook else (
        "not the project's codebook: merge it by hand or point [project] codebook at it")
    out.print(f"{report.codes} codes written to {escape(str(report.codebook_file))} ({where})",
              markup=True, highlight=False)
    coders = ", ".join(f"{c} {n}" for c, n in report.coders.items()) or "none"
    out.print(f"codings: {report.exact} placed exactly, {len(report.adjusted)} adjusted, "
              f"{len(report.impossible)} impossible (coders: {escape(coders)})"
              + (f"; {report.duplicates} duplicates merged" if report.duplicates else ""),
              markup=True, highlight=False)
    for a in report.adjusted:
        out.print(f"  adjusted {escape(a['document'])} {a['start']}:{a['end']} -> {a['to'][0]}:{a['to'][1]} "
                  f"({escape(a['code'])}, {escape(a['coder'])}): {escape(a['reason'])}", markup=True,
                  highlight=False)
    for i in report.impossible:
        err.print(f"[yellow]impossible[/] {escape(str(i['document']))} {i['start']}:{i['end']}: "
                  f"{escape(str(i['reason']))}", markup=True, highlight=False)
    out.print(f"{report.cases} cases, {report.attributes} attributes, {report.memos} memos", highlight=False)
    for r in report.renamed:
        err.print(f"[yellow]renamed[/] {escape(r)}", markup=True, highlight=False)
    for n in report.not_carried:
        err.print(f"[yellow]not imported[/] {escape(n)}", markup=True, highlight=False)


@app.command("docs")
def docs_cli(json: JsonOpt = False, project: ProjectOpt = None) -> None:
    """List documents: name, format, turns, words, speakers, case."""
    with open_project(project) as proj:
        rows = proj.store.documents.all()
    if json:
        print_json([
            {k: d[k] for k in ("name", "format", "encoding", "turns", "words", "speakers", "cases", "codings")}
            for d in (r.to_dict() for r in rows)
        ])
        return
    if not rows:
        console().print("No documents yet: see 'qualcode import'.")
        return

    table = Table("document", "format", "turns", "words", "speakers", "case", box=None)
    for r in rows:
        speakers = ", ".join(f"{label}{'*' if role == 'interviewer' else ''}" for label, role in r.speakers.items())
        table.add_row(r.name, r.format, str(r.turns), str(r.words), speakers, ", ".join(r.cases))
    out = console()
    out.print(table)
    out.print(f"{len(rows)} documents, {sum(r.words for r in rows)} words (* = interviewer)")


def _document(proj, name: str):
    doc = proj.store.documents.by_name(name)
    if doc is None:
        known = list(proj.store.documents.names().values())
        hint = ""
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            hint = f" (did you mean {close[0]!r}?)"
        raise QualcodeError(f"no document named {name!r}{hint}")
    return doc


@app.command("show")
def show_cli(
    document: Annotated[str, typer.Argument(help="Document name (see 'qualcode docs').")],
    coder: Annotated[list[str] | None, typer.Option(
        "--coder", help="Only the codings of this coder ('rules' or a person; repeatable).",
        show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Show rejected codings too.")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Show a document's turns, numbered from 1, with speaker, timestamp and the codes of each
    turn in the margin (coloured by code, like coding stripes)."""
    with open_project(project) as proj:
        doc = _document(proj, document)
        turns = proj.store.documents.turns(doc.id)
        text = doc.text
        margins = turn_codes(proj, doc.id, turns, coders=coder, include_rejected=all_)
        colors = code_colors(proj)
    rows = [
        {"index": t.idx, "speaker": t.speaker, "role": t.role, "start": t.start, "end": t.end,
         "time_start": t.time_start, "time_end": t.time_end, "text": text[t.start:t.end],
         "codes": codes}
        for t, codes in zip(turns, margins)
    ]
    if json:
        print_json({"document": doc.name, "format": doc.format, "turns": rows})
        return

    coders = sorted({c["coder"] for codes in margins for c in codes})
    marks = initials(coders) if len(coders) > 1 else {}
    statuses = {c["status"] for codes in margins for c in codes}

    def margin(codes: list[dict]) -> Text:
        # One line per (code, coder, status), in order of first appearance, ×N if repeated.
        seen: dict[tuple, int] = {}
        for c in codes:
            key = (c["code"], c["coder"], c["status"])
            seen[key] = seen.get(key, 0) + 1
        out = Text()
        for i, ((path, who, status), n) in enumerate(seen.items()):
            color = colors.get(path, "default")
            if i:
                out.append("\n")
            out.append("▌", style=color)
            style = color + (" strike" if status == "rejected" else " italic" if status == "proposed" else "")
            out.append(path, style=style)
            if status == "proposed":
                out.append("?", style=color)
            if n > 1:
                out.append(f" ×{n}", style="dim")
            if marks:
                out.append(f" {marks[who]}", style="dim")
        return out

    cells = [margin(r["codes"]) for r in rows]
    widest = max((len(line) for cell in cells for line in cell.plain.split("\n")), default=0)
    table = Table(box=None, show_lines=False, expand=True)
    table.add_column("#", justify="right")
    table.add_column("time")
    table.add_column("speaker")
    table.add_column("text", ratio=1)
    if widest:  # the margin, only when some turn has codes
        table.add_column("codes", min_width=min(widest, 45), overflow="fold")
    for r, cell in zip(rows, cells):
        style = "dim" if r["role"] == "interviewer" else ""
        table.add_row(str(r["index"]), format_timestamp(r["time_start"]) or "", r["speaker"] or "",
                      Text(r["text"]), *([cell] if widest else []), style=style)
    out = console()
    out.print(Text.assemble((doc.name, "bold"), f" ({doc.format}, {len(rows)} turns)"))
    out.print(table)
    notes = []
    if "proposed" in statuses:
        notes.append("? = proposed, not reviewed")
    if "rejected" in statuses:
        notes.append("struck out = rejected")
    if marks:
        notes.append("coders: " + ", ".join(f"{m} = {c}" for c, m in marks.items()))
    if notes:
        out.print("; ".join(notes), style="dim", markup=False, highlight=False)


@app.command("speakers")
def speakers_cli(
    document: Annotated[str, typer.Argument(help="Document name.")],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="LABEL=ROLE with ROLE interviewer|participant|other (repeatable).")] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List a document's speakers and roles, or fix roles with --set LABEL=ROLE."""
    assignments = {}
    for item in set_ or []:
        if "=" not in item:
            raise UsageError(f"--set expects LABEL=ROLE, got {item!r}")
        label, role = item.rsplit("=", 1)
        assignments[label.strip()] = role.strip()
    with open_project(project) as proj:
        doc = _document(proj, document)
        changes = set_speaker_roles(proj, document, assignments) if assignments else []
        speakers = proj.store.documents.speakers(doc.id)
    if json:
        print_json({"document": document, "speakers": [s.to_dict() for s in speakers], "changes": changes})
        return
    out = console()
    for c in changes:
        out.print(f"{c['speaker']}: {c['from']} -> {c['to']}")

    table = Table("speaker", "role", "turns", "case", box=None)
    for s in speakers:
        table.add_row(s.label, s.role, str(s.turns), s.case or "")
    out.print(table)
