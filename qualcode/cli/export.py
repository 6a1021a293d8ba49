"""qualcode export excerpts, export report: files for a thesis; export qdpx, export qdc:
the project and its codebook in the REFI-QDA exchange standard.

Every export never overwrites a file without --force; the thesis files record what
produced them.
"""

from __future__ import annotations

import random
import shlex
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli import app
from qualcode.cli._util import (
    MAX_COUNT,
    MAX_ID,
    AllowLeaksOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    check_stdout_format,
    console,
    is_stdout,
    open_project,
    print_json,
    privacy_notes,
    split_values,
    write_stdout,
)
from qualcode.errors import UsageError
from qualcode.exporters.base import atomic_write, temp_folder
from qualcode.exporters.excerpts import DEFAULT_STATUSES, export_excerpts, output_format
from qualcode.exporters.report import build_report, report_format
from qualcode.pseudo.guard import export_privacy
from qualcode.pseudo.transcripts import export_pseudonymized
from qualcode.refi.writer import export_qdc, export_qdpx, qdc_xml

export_app = typer.Typer(
    help="Write files for a thesis: coded excerpts (docx, md, tex, csv, xlsx) and more. "
         "Every file records what produced it and is never overwritten without --force.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]
CiteOpt = Annotated[str | None, typer.Option(
    "--cite", help="Citation template, e.g. '{pseudonym}, {role}, {age} ans': any case attribute, "
                   "{case}, {pseudonym}, {turn}, {time}, {speaker}, {document} (default: [export] cite of "
                   "qualcode.toml, else case, pseudonym, group, turn and time).", show_default=False)]
LangOpt = Annotated[str | None, typer.Option(
    "--lang", help="Language of the exported words and numbers: fr | en (default: [export] language, "
                   "else the project's language).", show_default=False)]



@export_app.command("excerpts")
def excerpts_cli(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write ('-': standard output, "
                                         "with --format md, tex or csv).", show_default=False)],
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="docx | md | tex | csv | xlsx (default: from the output's extension).",
        show_default=False)] = None,
    code: Annotated[list[str] | None, typer.Option(
        "--code", help="Code path, its sub-codes included (repeatable; default: every active code).",
        show_default=False)] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Group the excerpts of each code by this case attribute (e.g. group).",
        show_default=False)] = None,
    coder: Annotated[list[str] | None, typer.Option(
        "--coder", help="Only the codings of this coder ('rules' or a person; repeatable).",
        show_default=False)] = None,
    status: Annotated[list[str] | None, typer.Option(
        "--status", help="Coding statuses to export (repeatable; default: proposed and accepted).",
        show_default=False)] = None,
    max_: Annotated[int | None, typer.Option(
        "--max", help="A random sample of at most N excerpts per code (and per value of --by).",
        max=MAX_COUNT, show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of the --max sample: the same seed gives the same excerpts (default: drawn "
                       "and recorded).", min=0, max=MAX_ID, show_default=False)] = None,
    cite: CiteOpt = None,
    lang: LangOpt = None,
    context: Annotated[int, typer.Option(
        "--context", help="Sentences of the same turn shown before and after each excerpt (in italics, "
                          "outside the quotation).", min=0, max=MAX_COUNT)] = 0,
    min_words: Annotated[int | None, typer.Option(
        "--min-words", help="Reproduce (and sample) only excerpts of at least N words; the counts still "
                            "count every excerpt.", min=0, max=MAX_COUNT, show_default=False)] = None,
    force: ForceOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Coded excerpts, code by code, with citations (docx, md, tex, csv, xlsx).

    One section per code, following the code tree, with its label and definition, then its
    excerpts (grouped by the value of --by) as block quotes with a citation:
    « … » (P07, Josiane, habitants, tour 12, 00:14:32) — the document's name only if
    --cite asks for {document}. DOCX uses Word's built-in styles (Heading 1-3, Quote,
    Table Grid) and the character style 'Excerpt Citation' for citations.

    When the project has a pseudonym key, its names are replaced and the file is audited
    before it is written: refused when it leaks (see 'qualcode pseudo').
    """
    if seed is not None and max_ is None:
        raise UsageError("--seed only applies with --max N")
    to_stdout = is_stdout(output)
    if to_stdout and json:
        raise UsageError("--json prints a summary to stdout: it cannot go with --output -")
    if to_stdout:
        check_stdout_format(fmt, frozenset({"md", "tex", "csv"}))
    fmt = output_format(f"excerpts.{fmt}" if to_stdout else output, fmt)
    if max_ is not None and seed is None:  # drawn here so that the recorded command holds it
        seed = random.SystemRandom().randrange(1, 1_000_000)
    codes, coders = (split_values(code) or []), (split_values(coder) or [])
    statuses = (split_values(status) or []) or list(DEFAULT_STATUSES)
    with open_project(project) as proj, temp_folder("stdout") as scratch:
        target = scratch / f"excerpts.{fmt}" if to_stdout else output
        with export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="export excerpts") as privacy:
            data, prov = export_excerpts(
                proj, target, fmt, codes=codes or None, by=by, coders=coders or None, statuses=statuses,
                max_per_code=max_, seed=seed, force=force, cite=cite, language=lang, context=context,
                min_words=min_words, pseudo=privacy.pseudo,
                command=_command(output, fmt, codes, by, coders, status and statuses, max_, seed, cite, lang,
                                 context, min_words))
        if to_stdout:
            write_stdout(target.read_text(encoding="utf-8-sig"), fmt)  # no BOM in a pipe
    if not json:
        privacy_notes(privacy)
    if to_stdout:  # the file was the output: the summary goes to the error output
        if not data.total:
            console(stderr=True).print("warning: no coding matches the filters: the output lists the codes only",
                                       markup=False)
        _warn_unbalanced(console(stderr=True), data)
        return
    if json:
        print_json({"output": str(output), "format": fmt, **data.to_dict(), "provenance": prov.to_dict(),
                    "privacy": privacy.to_dict()})
        return
    out = console()
    sample = ""
    if data.max_per_code:
        per = " and value" if data.by else ""
        sample = f" (sample: at most {data.max_per_code} per code{per}, seed {data.seed})"
    n = len(data.codes)
    out.print(f"wrote {data.shown} of {data.total} excerpts of {n} code{'s' if n != 1 else ''} to {output}{sample}",
              markup=False, highlight=False)
    err = console(stderr=True)
    if not data.total:
        err.print("warning: no coding matches the filters: the file lists the codes only", markup=False)
    _warn_unbalanced(err, data)


def _warn_unbalanced(err, data) -> None:
    """Report the excerpts whose quotation marks the transcript itself leaves unpaired."""
    bad = data.unbalanced
    if not bad:
        return
    where = ", ".join(f"{e.document}" + (f" turn {e.turn}" if e.turn is not None else f" {e.start}:{e.end}")
                      for e in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    err.print(f"warning: {len(bad)} excerpt{'s' * (len(bad) != 1)} with unpaired quotation marks or brackets "
              f"in the transcript: {where}{more} (check the transcript)", markup=False, highlight=False)


def _command(output, fmt, codes, by, coders, statuses, max_, seed, cite=None, lang=None, context=0,
             min_words=None) -> str:
    args = ["qualcode", "export", "excerpts"]
    for c in codes:
        args += ["--code", c]
    if by:
        args += ["--by", by]
    for c in coders:
        args += ["--coder", c]
    for s in statuses or []:
        args += ["--status", s]
    if max_ is not None:
        args += ["--max", str(max_)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if cite is not None:
        args += ["--cite", cite]
    if lang is not None:
        args += ["--lang", lang]
    if context:
        args += ["--context", str(context)]
    if min_words is not None:
        args += ["--min-words", str(min_words)]
    args += ["--format", fmt, "--output", str(output)]
    return shlex.join(args)


# --------------------------------------------------------------------------- report


@export_app.command("report")
def report_cli(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .docx file to write.", show_default=False)],
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="docx (the only report format; default: from the output's extension).",
        show_default=False)] = None,
    by: Annotated[str, typer.Option("--by", help="Case attribute whose values are the groups.")] = "group",
    unit: Annotated[str, typer.Option(
        "--unit", help="Co-occurrence unit: sentence | turn | doc.")] = "sentence",
    level: Annotated[str, typer.Option(
        "--level", help="Tables and charts: all (codes and sub-codes) | top (top-level codes only).")] = "all",
    status: Annotated[list[str] | None, typer.Option(
        "--status", help="Coding statuses counted (repeatable; default: proposed and accepted).",
        show_default=False)] = None,
    coder: Annotated[list[str] | None, typer.Option(
        "--coder", help="Only the codings of this coder ('rules' or a person; repeatable).",
        show_default=False)] = None,
    max_excerpts: Annotated[int | None, typer.Option(
        "--max-excerpts", help="A random sample of at most N excerpts per code and group.",
        max=MAX_COUNT, show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of the --max-excerpts sample (default: drawn and recorded).",
        min=0, max=MAX_ID, show_default=False)] = None,
    excerpts: Annotated[bool, typer.Option("--excerpts/--no-excerpts", help="Include the excerpts by code.")]
    = True,
    paper: Annotated[str, typer.Option(
        "--paper", help="Page size: a4 or letter (tables are fitted to its text block).")] = "a4",
    heading_level: Annotated[int, typer.Option(
        "--heading-level", help="Heading level of the report's sections (2: they go under a chapter's "
                                "Heading 1; the title becomes a heading one level up).", min=1, max=7)] = 1,
    toc: Annotated[bool, typer.Option("--toc/--no-toc", help="A table of contents after the title (a Word "
                                                              "field, filled when the file is opened).")] = True,
    cite: CiteOpt = None,
    lang: LangOpt = None,
    context: Annotated[int, typer.Option(
        "--context", help="Sentences of the same turn shown before and after each excerpt.", min=0,
        max=MAX_COUNT)] = 0,
    min_words: Annotated[int | None, typer.Option(
        "--min-words", help="Reproduce (and sample) only excerpts of at least N words.", min=0, max=MAX_COUNT,
        show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Report document: codes by group (table and bar chart), co-occurrence (table and heat map), excerpts.

    Word's built-in styles (Title, Heading 1/2, Table Grid, Caption, Quote); what produced it
    is recorded in its first paragraph and page footer. With a pseudonym key, names are
    replaced and the file is audited before it is written (see 'qualcode pseudo').
    """
    if is_stdout(output):
        raise UsageError("--output -: a report is a .docx file and cannot be written to standard output; "
                         "give a file name")
    report_format(output, fmt)
    if seed is not None and max_excerpts is None:
        raise UsageError("--seed only applies with --max-excerpts N")
    with open_project(project) as proj, \
            export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="export report") as privacy:
        result = build_report(proj, output, by=by, force=force, unit=unit, level=level,
                              statuses=(split_values(status) or []) or None, coders=(split_values(coder) or []) or None,
                              max_excerpts=max_excerpts, seed=seed, excerpts=excerpts, cite=cite,
                              language=lang, context=context, min_words=min_words, paper=paper,
                              heading_level=heading_level, toc=toc, pseudo=privacy.pseudo)
    if json:
        print_json({**result.to_dict(), "privacy": privacy.to_dict()})
        return
    privacy_notes(privacy)
    parts = [f"{result.tables} tables", f"{result.figures} figures"]
    if excerpts:
        shown = (f"{result.excerpts} of {result.excerpts_total}" if result.excerpts != result.excerpts_total
                 else str(result.excerpts))
        parts.append(f"{shown} excerpts of {result.codes} codes")
        if result.seed is not None:
            parts[-1] += f" (sample seed {result.seed})"
    console().print(f"wrote report to {output}: " + ", ".join(parts), markup=False, highlight=False)
    if result.unbalanced:
        more = f" and {len(result.unbalanced) - 5} more" if len(result.unbalanced) > 5 else ""
        console(stderr=True).print(
            f"warning: {len(result.unbalanced)} excerpt{'s' * (len(result.unbalanced) != 1)} with unpaired "
            f"quotation marks or brackets in the transcript: {', '.join(result.unbalanced[:5])}{more} "
            "(check the transcript)", markup=False, highlight=False)


# --------------------------------------------------------------------------- REFI-QDA


@export_app.command("qdpx")
def qdpx_cli(
    output: Annotated[Path, typer.Argument(help="The .qdpx file to write.", show_default=False)],
    coder: Annotated[list[str] | None, typer.Option(
        "--coder", help="Only the codings of this coder ('rules' or a person; repeatable; default: every coder).",
        show_default=False)] = None,
    status: Annotated[list[str] | None, typer.Option(
        "--status", help="Coding statuses to export (repeatable; default: proposed and accepted).",
        show_default=False)] = None,
    document: Annotated[list[str] | None, typer.Option(
        "--document", "--doc", help="Only this document, its cases and codings (repeatable; default: all).",
        show_default=False)] = None,
    force: ForceOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
    project: ProjectOpt = None,
) -> None:
    """The whole project as a REFI-QDA package (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    Documents as UTF-8 texts, the code tree with definitions and colours, every coding of
    every coder (one selection per coder and span), users, cases with their attributes as
    typed variables, memos as notes. The same project exported twice gives the same file.
    With a pseudonym key, the texts (selections' offsets mapped), names, attribute values and
    memos are pseudonymized and the package is audited before it is written.
    """
    if is_stdout(output):
        raise UsageError("a .qdpx package is a zip file and cannot be written to standard output; "
                         "give a file name")
    coders, statuses = split_values(coder), split_values(status)
    with open_project(project) as proj, \
            export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="export qdpx") as privacy:
            summary = export_qdpx(proj, output, coders=coders or None, statuses=statuses or None,
                                  documents=split_values(document) or None, force=force, pseudo=privacy.pseudo)
    if json:
        print_json({**summary.to_dict(), "privacy": privacy.to_dict()})
        return
    privacy_notes(privacy)
    s = summary
    console().print(f"wrote {output}: {s.documents} documents, {s.codes} codes, {s.codings} codings in "
                    f"{s.selections} selections by {len(s.coders)} coder{'s' * (len(s.coders) != 1)}, "
                    f"{s.cases} cases, {s.variables} variables, {s.notes} notes", markup=False, highlight=False)
    for left, n in s.left_out.items():
        console(stderr=True).print(f"note: {n} {left} coding{'s' * (n != 1)} left out (REFI-QDA has no status; "
                                   f"--status {left} adds them as ordinary codings)", markup=False, highlight=False)


@export_app.command("qdc")
def qdc_cli(
    output: Annotated[Path, typer.Argument(help="The .qdc file to write ('-': standard output).",
                                           show_default=False)],
    force: ForceOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
    project: ProjectOpt = None,
) -> None:
    """The project's codebook alone as a REFI-QDA codebook (.qdc): names, tree, definitions, colours.

    With a pseudonym key, the names of the key in the codes' names, definitions and examples
    are replaced and the file is audited before it is written (see 'qualcode pseudo').
    """
    to_stdout = is_stdout(output)
    if to_stdout and json:
        raise UsageError("--json prints a summary on standard output: give a file name, not '-'")
    with open_project(project) as proj, temp_folder("stdout") as scratch, \
            export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="export qdc") as privacy:
        if to_stdout:  # the XML on standard output, nothing else there; audited as a file first
            xml, _ = qdc_xml(proj, privacy.pseudo)
            with atomic_write(scratch / "codebook.qdc") as tmp:
                tmp.write_bytes(xml)
        else:
            summary = export_qdc(proj, output, force=force, pseudo=privacy.pseudo)
    if to_stdout:
        write_stdout(xml.decode("utf-8"), "xml")
        privacy_notes(privacy)
        return
    if json:
        print_json({"output": str(output), "codes": summary.codes, "privacy": privacy.to_dict()})
        return
    privacy_notes(privacy)
    console().print(f"wrote {output}: {summary.codes} codes", markup=False, highlight=False)


@export_app.command("pseudonymized")
def pseudonymized_cli(
    folder: Annotated[Path, typer.Argument(help="The folder to write to (created if missing).", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="txt | docx.")] = "txt",
    document: Annotated[list[str] | None, typer.Option(
        "--document", "--doc", help="Only this document (repeatable; default: all).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist in the folder.")] = False,
    allow_leaks: AllowLeaksOpt = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Pseudonymized transcripts (txt or docx) for archiving or sharing, with turns.csv mapping every turn.

    Each document is written whole with the names of the pseudonym key replaced, under its
    pseudonymized name; turns.csv gives each turn's speaker, time and its start and end in
    the stored and the written text. Needs a key; every file is audited before it is
    written. The key's folder is refused.
    """
    with open_project(project) as proj, \
            export_privacy(proj, pseudo=True, allow_leaks=allow_leaks, command="export pseudonymized") as privacy:
        assert privacy.pseudo is not None  # pseudo=True: a key with entries, or an error
        result = export_pseudonymized(proj, folder, privacy.pseudo, fmt=fmt, documents=split_values(document),
                                      force=force, key_path=privacy.key)
    if json:
        print_json({**result.to_dict(), "privacy": privacy.to_dict()})
        return
    privacy_notes(privacy)
    n = sum(d["replacements"] for d in result.documents)
    console().print(f"wrote {len(result.documents)} pseudonymized transcript{'s' * (len(result.documents) != 1)} "
                    f"({fmt}, {n} replacements) and turns.csv to {folder}", markup=False, highlight=False)
