"""qualcode import, docs (docs rename, docs remove, docs orphans), show, speakers."""

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
from qualcode.lifecycle import (
    list_orphans,
    merge_speakers,
    removal_counts,
    remove_document,
    rename_document,
    rename_speaker,
)
from qualcode.manual import turn_codes
from qualcode.pseudo.key import active_pseudonymizer
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
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace changed documents of the same name; their codings are re-anchored on the new "
                          "text.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what the import would do (re-anchored codings included); change nothing.")] = False,
    label_pattern: Annotated[str | None, typer.Option(
        "--label-pattern", metavar="REGEX",
        help="Lines (or cue lines) starting with a match of REGEX open a turn; its named group "
             "(?P<label>...) is the speaker, an optional (?P<time>...) the timestamp.")] = None,
    split_on: Annotated[str | None, typer.Option(
        "--split-on", metavar="REGEX",
        help="Split txt/md files into one document per part at lines matching REGEX (removed); "
             "the first capture group names the part, consecutive parts with the same name "
             "form one document, named STEM-NAME.")] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Import transcripts (txt, md, docx, vtt, srt, Transcriber trs) or a REFI-QDA project (.qdpx).

    Transcripts come in with their speakers and timestamps. A .qdpx package (NVivo,
    ATLAS.ti, MAXQDA, QualCoder…) brings its text sources, codes, every coder's codings,
    cases with their attributes and notes; every coding is checked and reported."""
    if format not in FORMAT_CHOICES:
        raise UsageError(f"unknown format {format!r} (choose from {', '.join(FORMAT_CHOICES)})")
    interviewers = [x.strip() for x in interviewer.split(",") if x.strip()] if interviewer else None
    out, err = console(), console(stderr=True)
    refi = [p for p in paths if p.lower().endswith(".qdpx")]
    if refi:
        if len(paths) > 1:
            raise UsageError("import a .qdpx package on its own (one per command)")
        unused = [name for name, value in (("--format", format != "auto"), ("--interviewer", interviewer),
                                           ("--case", case), ("--replace", replace),
                                           ("--label-pattern", label_pattern), ("--split-on", split_on)) if value]
        if unused:
            raise UsageError(f"{', '.join(unused)}: not for a .qdpx package")
        with open_project(project) as proj:
            refi_report = import_qdpx(proj, refi[0], dry_run=dry_run)
        if json:
            print_json(refi_report.to_dict())
        else:
            _print_refi(refi_report, out, err)
        return
    with open_project(project) as proj:
        progress = None
        on_file = None
        if sys.stdout.isatty() and len(paths) > 0 and not json:
            total = len(expand_paths(paths)[0])
            if total > 1:
                progress = Progress(transient=True, console=out)
                task = progress.add_task("Importing", total=total)

                def on_file(path, _p=progress, _t=task):
                    _p.update(_t, advance=1, description=f"Importing {path.name}")
        if progress:
            with progress:
                report = import_paths(proj, paths, fmt=format, interviewers=interviewers, case=case,
                                      replace=replace, on_file=on_file, debug=_state["debug"], dry_run=dry_run,
                                      label_pattern=label_pattern, split_on=split_on)
        else:
            report = import_paths(proj, paths, fmt=format, interviewers=interviewers, case=case,
                                  replace=replace, debug=_state["debug"], dry_run=dry_run,
                                  label_pattern=label_pattern, split_on=split_on)
    if json:
        print_json({"dry_run": report.dry_run, "backup": report.backup,
                    "files": [r.to_dict() for r in report.results], "ignored": report.ignored})
        if report.skipped:
            raise typer.Exit(1)
        return
    would = "would be " if dry_run else ""
    for r in report.results:
        if r.status == "skipped":
            err.print(f"[red]skipped[/] {escape(str(r.path))}: {escape(str(r.reason))}", markup=True)
        elif r.status == "unchanged":
            out.print(f"unchanged {r.path}: already imported as {r.name}")
        else:
            roles = ", ".join(f"{s['label']} ({s['role']})" for s in r.speakers) or "no speakers"
            if r.interjections:
                roles += f"; {r.interjections} interjection{'s' * (r.interjections != 1)} in brackets"
            out.print(f"{would}{r.status} {escape(str(r.path))} as [bold]{escape(str(r.name))}[/]: {r.turns} turns; "
                      f"{escape(roles)}", markup=True)
        for warning in r.warnings:
            err.print(f"[yellow]warning[/] {escape(warning)}", markup=True)
        if r.codings is not None:
            _print_placements(out, r)
    summary = f"{report.imported} imported, {report.unchanged} unchanged, {report.skipped} skipped"
    if report.ignored:
        summary += f" ({len(report.ignored)} other files in folders ignored)"
    if dry_run:
        summary = f"dry run, nothing changed: {report.imported} would be imported, {report.unchanged} unchanged, " \
                  f"{report.skipped} skipped"
    out.print(summary)
    if report.backup:
        out.print(f"backup taken first: {report.backup} (see 'qualcode backups')")
    if report.skipped:
        raise typer.Exit(1)


def _print_refi(report: RefiImportReport, out, err) -> None:
    """The report of a REFI-QDA import: what came in, and every coding accounted for."""
    would = "would be " if report.dry_run else ""
    for d in report.documents:
        notes = f"; {'; '.join(d.notes)}" if d.notes else ""
        if d.verified:
            notes += f"; {d.verified} selections checked against the text the file records"
        out.print(f"{would}imported {d.name}: {d.turns} turns, {d.codings} codings, offsets as "
                  f"{d.convention}{notes}", markup=False, highlight=False)
    if report.codebook_file:
        where = "the project's codebook" if report.codebook_is_project_codebook else (
            "not the project's codebook: merge it by hand or point [project] codebook at it")
        out.print(f"{report.codes} codes {'would be ' if report.dry_run else ''}written to {report.codebook_file} "
                  f"({where})", markup=False, highlight=False)
    coders = ", ".join(f"{c} {n}" for c, n in report.coders.items()) or "none"
    out.print(f"codings: {report.exact} placed exactly, {len(report.adjusted)} adjusted, "
              f"{len(report.impossible)} impossible (coders: {coders})"
              + (f"; {report.duplicates} duplicates merged" if report.duplicates else ""),
              markup=False, highlight=False)
    reasons: dict[tuple[str, str], int] = {}
    for a in report.adjusted:
        reasons[(a["document"], a["reason"])] = reasons.get((a["document"], a["reason"]), 0) + 1
    for (doc, reason), count in reasons.items():
        out.print(f"  adjusted {count} in {doc}: {reason} (the list: --json)", markup=False, highlight=False)
    for i in report.impossible:
        who = f" ({escape(str(i['code']))}, {escape(str(i['coder']))})" if i.get("code") else ""
        err.print(f"[yellow]impossible[/] {escape(str(i['document']))} {i['start']}:{i['end']}{who}: "
                  f"{escape(str(i['reason']))}", markup=True, highlight=False)
    out.print(f"{report.cases} cases, {report.attributes} attributes, {report.memos} memos", highlight=False)
    for line in report.renamed:
        err.print(f"[yellow]renamed[/] {escape(line)}", markup=True, highlight=False)
    for line in report.not_carried:
        err.print(f"[yellow]not imported[/] {escape(line)}", markup=True, highlight=False)
    for line in report.codebook_notes:
        out.print(f"note: {line}", markup=False, highlight=False)
    if report.dry_run:
        out.print("dry run, nothing changed", highlight=False)


def _clip(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _print_placements(out, r) -> None:
    """The codings of a replaced document: counts, then one line per coding that did not
    simply stay or move with its text."""
    c = r.codings
    out.print(f"  codings: {c['kept']} kept, {c['moved']} moved, {c['changed']} text changed (flagged), "
              f"{c['orphaned']} could not be placed", markup=False)
    for p in r.placements:
        if p["placement"] == "changed":
            flag = f", now {p['new_status']}" if p.get("new_status") else ""
            out.print(f"  changed  coding {p['id']} {p['code']} ({p['coder']}, {p['status']}{flag}) "
                      f"{p['old_start']}:{p['old_end']} -> {p['start']}:{p['end']}: "
                      f"«{_clip(p['old_text'])}» -> «{_clip(p['new_text'])}»", markup=False)
        elif p["placement"] == "orphaned":
            out.print(f"  orphaned coding {p['id']} {p['code']} ({p['coder']}, {p['status']}) "
                      f"{p['old_start']}:{p['old_end']} «{_clip(p['old_text'])}»: {p['reason']}", markup=False)
    if c["orphaned"]:
        out.print(f"  the codings that could not be placed are kept aside: 'qualcode docs orphans {r.name}'",
                  markup=False)


docs_app = typer.Typer(help="List documents: name, format, turns, words, speakers, case.",
                       invoke_without_command=True)
app.add_typer(docs_app, name="docs")


@docs_app.callback()
def docs_cli(ctx: typer.Context, json: JsonOpt = False, project: ProjectOpt = None) -> None:
    """List documents: name, format, turns, words, speakers, case (or run a subcommand:
    rename, remove, orphans)."""
    if ctx.invoked_subcommand is not None:
        return
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


@docs_app.command("rename")
def docs_rename_cli(
    old: Annotated[str, typer.Argument(help="The document's name.", show_default=False)],
    new: Annotated[str, typer.Argument(help="Its new name.", show_default=False)],
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Rename a document; its codings, memos and cases follow it."""
    with open_project(project) as proj:
        result = rename_document(proj, old, new)
    if json:
        print_json(result)
        return
    console().print(f"renamed {result['from']} to {result['to']}" if result["changed"]
                    else f"{result['from']} already has this name", markup=False)


@docs_app.command("remove")
def docs_remove_cli(
    name: Annotated[str, typer.Argument(help="The document's name.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (required when not on "
                                                          "a terminal).")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Remove a document with its codings, memos and review decisions, after a backup; asks first (--yes not to)."""
    with open_project(project) as proj:
        counts = removal_counts(proj, name)
        if not yes:
            if not _on_terminal():
                raise UsageError(f"removing {counts['document']} deletes its {counts['codings']} codings and "
                                 f"{counts['memos']} memos: add --yes to confirm (not on a terminal)")
            if not typer.confirm(f"Remove document {counts['document']} with its {counts['codings']} codings, "
                                 f"{counts['memos']} memos and {counts['decisions']} review decisions? "
                                 "(a backup is taken first)", default=False):
                console().print("nothing removed", markup=False)
                raise typer.Exit(1)
        result = remove_document(proj, name)
    if json:
        print_json(result)
        return
    console().print(f"removed {result['document']}: {result['codings']} codings, {result['memos']} memos, "
                    f"{result['decisions']} review decisions, {result['turns']} turns "
                    f"(backup {result['backup']}: 'qualcode backups restore {result['backup']}' brings it back)",
                    markup=False)


@docs_app.command("orphans")
def docs_orphans_cli(
    name: Annotated[str | None, typer.Argument(help="Only this document's.", show_default=False)] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List the codings a corrected transcript ('import --replace') could not place, kept with their old text."""
    with open_project(project) as proj:
        rows = list_orphans(proj, name)
    if json:
        print_json([r.to_dict() for r in rows])
        return
    out = console()
    if not rows:
        out.print("No orphaned codings.", markup=False)
        return
    table = Table("document", "version", "coding", "code", "coder", "status", "text", "reason", box=None)
    for r in rows:
        table.add_row(r.document, str(r.document_version), str(r.coding_id), r.code, r.coder, r.status,
                      _clip(r.text, 80), r.reason)
    out.print(table)
    out.print(f"{len(rows)} orphaned codings (offsets and text are those of the version they were coded on)",
              markup=False)


def _on_terminal() -> bool:
    """Whether a person can answer a question (stdin is a terminal)."""
    return sys.stdin.isatty()


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
    pseudo: Annotated[bool, typer.Option(
        "--pseudo", help="Replace the names of the pseudonym key in the text, speakers and document name "
                         "(offsets in --json stay those of the stored text; see 'qualcode pseudo').")] = False,
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
        interjections = proj.store.interjections.of_document(doc.id)
        hider = active_pseudonymizer(proj, True) if pseudo else None
    hidden = hider.document(text) if hider is not None else None
    name = doc.name if hider is None else hider.name(doc.name)

    def at(offset: int, end: bool = False) -> int:  # the offset in the text shown
        return offset if hidden is None else hidden.position(offset, end=end)

    rows = [
        {"index": t.idx, "speaker": t.speaker if hider is None else hider.text(t.speaker), "role": t.role,
         "start": t.start, "end": t.end, "time_start": t.time_start, "time_end": t.time_end,
         "text": text[t.start:t.end] if hidden is None else hidden.slice(t.start, t.end), "codes": codes}
        for t, codes in zip(turns, margins)
    ]
    if json:
        print_json({"document": name, "format": doc.format, "turns": rows, "pseudonymized": hider is not None,
                    "interjections": [] if hider is not None else [x.to_dict() for x in interjections]})
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
        body = Text(r["text"])
        for x in interjections:  # another speaker's bracketed words inside the turn
            if r["start"] <= x.start and x.end <= r["end"]:
                body.stylize("italic dim" if x.role == "interviewer" else "italic", at(x.start) - at(r["start"]),
                             at(x.end, True) - at(r["start"]))
        table.add_row(str(r["index"]), format_timestamp(r["time_start"]) or "", r["speaker"] or "",
                      body, *([cell] if widest else []), style=style)
    out = console()
    out.print(Text.assemble((name, "bold"), f" ({doc.format}, {len(rows)} turns)"))
    out.print(table)
    notes = []
    if "proposed" in statuses:
        notes.append("? = proposed, not reviewed")
    if "rejected" in statuses:
        notes.append("struck out = rejected")
    if interjections:
        n = len(interjections)
        speakers = sorted({x.speaker if hider is None else (hider.text(x.speaker) or "") for x in interjections})
        notes.append(f"{n} interjection{'s' * (n != 1)} of another speaker in italics ({', '.join(speakers)})")
    if marks:
        notes.append("coders: " + ", ".join(f"{m} = {c}" for c, m in marks.items()))
    if notes:
        out.print("; ".join(notes), style="dim", markup=False, highlight=False)


@app.command("speakers")
def speakers_cli(
    document: Annotated[str, typer.Argument(help="Document name.")],
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="LABEL=ROLE with ROLE interviewer|participant|other (repeatable).")] = None,
    rename: Annotated[list[str] | None, typer.Option(
        "--rename", help="OLD=NEW: give a speaker another label (repeatable).", show_default=False)] = None,
    merge: Annotated[list[str] | None, typer.Option(
        "--merge", help="A,B=C: merge speakers A and B into C (one of them, another speaker or a new label; "
                        "repeatable).", show_default=False)] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """List a document's speakers and roles; fix roles (--set), rename (--rename) or merge (--merge) speakers."""
    assignments = {}
    for item in set_ or []:
        if "=" not in item:
            raise UsageError(f"--set expects LABEL=ROLE, got {item!r}")
        label, role = item.rsplit("=", 1)
        assignments[label.strip()] = role.strip()
    renames = []
    for item in rename or []:
        if "=" not in item:
            raise UsageError(f"--rename expects OLD=NEW, got {item!r}")
        old, new = item.rsplit("=", 1)
        renames.append((old.strip(), new.strip()))
    merges = []
    for item in merge or []:
        if "=" not in item:
            raise UsageError(f"--merge expects A,B=C, got {item!r}")
        sources, target = item.rsplit("=", 1)
        merges.append(([x.strip() for x in sources.split(",") if x.strip()], target.strip()))
    with open_project(project) as proj:
        doc = _document(proj, document)
        with proj.store.transaction():  # all the changes, or none
            edits = [rename_speaker(proj, document, old, new) for old, new in renames]
            edits += [merge_speakers(proj, document, sources, target) for sources, target in merges]
            changes = set_speaker_roles(proj, document, assignments) if assignments else []
        speakers = proj.store.documents.speakers(doc.id)
    if json:
        print_json({"document": document, "speakers": [s.to_dict() for s in speakers], "changes": changes,
                    "edits": edits})
        return
    out = console()
    for e in edits:
        if e["action"] == "rename":
            out.print(f"renamed {e['from']} to {e['to']}", markup=False)
        else:
            out.print(f"merged {', '.join(e['from'])} into {e['to']} ({e['role']}, {e['turns_moved']} turns moved)",
                      markup=False)
            if e["roles_changed"]:
                out.print(f"  {', '.join(e['roles_changed'])} now {e['role']}", markup=False)
    for c in changes:
        out.print(f"{c['speaker']}: {c['from']} -> {c['to']}")

    table = Table("speaker", "role", "turns", "case", box=None)
    for s in speakers:
        table.add_row(s.label, s.role, str(s.turns), s.case or "")
    out.print(table)
