"""qualcode export excerpts, export report: files for a thesis.

A later export joins the same group (``@export_app.command("refi-qda")``); every export
records what produced it and never overwrites a file without --force.
"""

from __future__ import annotations

import random
import shlex
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli import app
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json, split_values
from qualcode.errors import UsageError
from qualcode.exporters.excerpts import DEFAULT_STATUSES, export_excerpts, output_format
from qualcode.exporters.report import build_report, report_format

export_app = typer.Typer(
    help="Write files for a thesis: coded excerpts (docx, md, tex, csv, xlsx) and more. "
         "Every file records what produced it and is never overwritten without --force.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]


@export_app.command("excerpts")
def excerpts_cli(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.", show_default=False)],
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
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of the --max sample: the same seed gives the same excerpts (default: drawn "
                       "and recorded).", show_default=False)] = None,
    force: ForceOpt = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Coded excerpts, code by code, with citations (docx, md, tex, csv, xlsx).

    One section per code, following the code tree, with its label and definition, then its
    excerpts (grouped by the value of --by) as block quotes with a citation:
    « … » (P07, Josiane, resident, entretien_07, tour 12, 00:14:32).
    DOCX uses Word's built-in styles (Heading 1-3, Quote, Table Grid).
    """
    if seed is not None and max_ is None:
        raise UsageError("--seed only applies with --max N")
    fmt = output_format(output, fmt)
    if max_ is not None and seed is None:  # drawn here so that the recorded command holds it
        seed = random.SystemRandom().randrange(1, 1_000_000)
    codes, coders = (split_values(code) or []), (split_values(coder) or [])
    statuses = (split_values(status) or []) or list(DEFAULT_STATUSES)
    with open_project(project) as proj:
        data, prov = export_excerpts(
            proj, output, fmt, codes=codes or None, by=by, coders=coders or None, statuses=statuses,
            max_per_code=max_, seed=seed, force=force,
            command=_command(output, fmt, codes, by, coders, status and statuses, max_, seed))
    if json:
        print_json({"output": str(output), "format": fmt, **data.to_dict(), "provenance": prov.to_dict()})
        return
    out = console()
    sample = ""
    if data.max_per_code:
        per = " and value" if data.by else ""
        sample = f" (sample: at most {data.max_per_code} per code{per}, seed {data.seed})"
    n = len(data.codes)
    out.print(f"wrote {data.shown} of {data.total} excerpts of {n} code{'s' if n != 1 else ''} to {output}{sample}",
              markup=False, highlight=False)
    if not data.total:
        console(stderr=True).print("warning: no coding matches the filters: the file lists the codes only",
                                   markup=False)


def _command(output, fmt, codes, by, coders, statuses, max_, seed) -> str:
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
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed of the --max-excerpts sample (default: drawn and recorded).",
        show_default=False)] = None,
    excerpts: Annotated[bool, typer.Option("--excerpts/--no-excerpts", help="Include the excerpts by code.")]
    = True,
    paper: Annotated[str, typer.Option(
        "--paper", help="Page size: a4 or letter (tables are fitted to its text block).")] = "a4",
    heading_level: Annotated[int, typer.Option(
        "--heading-level", help="Heading level of the report's sections (2: they go under a chapter's "
                                "Heading 1; the title becomes a heading one level up).")] = 1,
    toc: Annotated[bool, typer.Option("--toc/--no-toc", help="A table of contents after the title (a Word "
                                                              "field, filled when the file is opened).")] = True,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Report document: codes by group (table and bar chart), co-occurrence (table and heat map), excerpts.

    Word's built-in styles (Title, Heading 1/2, Table Grid, Caption, Quote); what produced it
    is recorded in its first paragraph and page footer.
    """
    report_format(output, fmt)
    if seed is not None and max_excerpts is None:
        raise UsageError("--seed only applies with --max-excerpts N")
    with open_project(project) as proj:
        result = build_report(proj, output, by=by, force=force, unit=unit, level=level,
                              statuses=(split_values(status) or []) or None, coders=(split_values(coder) or []) or None,
                              max_excerpts=max_excerpts, seed=seed, excerpts=excerpts, paper=paper,
                              heading_level=heading_level, toc=toc)
    if json:
        print_json(result.to_dict())
        return
    parts = [f"{result.tables} tables", f"{result.figures} figures"]
    if excerpts:
        shown = (f"{result.excerpts} of {result.excerpts_total}" if result.excerpts != result.excerpts_total
                 else str(result.excerpts))
        parts.append(f"{shown} excerpts of {result.codes} codes")
        if result.seed is not None:
            parts[-1] += f" (sample seed {result.seed})"
    console().print(f"wrote report to {output}: " + ", ".join(parts), markup=False, highlight=False)
