"""qualcode export report: a DOCX report with tables, charts and excerpts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from qualcode.cli import JsonOpt, ProjectOpt, console, open_project, print_json, split_values
from qualcode.cli.export import export_app


@export_app.command("report")
def report_cli(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .docx file to write.", show_default=False)],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="docx (the only report format; default: from the output's extension).",
        show_default=False)] = None,
    by: Annotated[str, typer.Option("--by", help="Case attribute whose values are the groups.")] = "group",
    unit: Annotated[str, typer.Option(
        "--unit", help="Co-occurrence unit: sentence | turn | doc.")] = "sentence",
    level: Annotated[str, typer.Option(
        "--level", help="Tables and charts: all (codes and sub-codes) | top (top-level codes only).")] = "all",
    status: Annotated[Optional[List[str]], typer.Option(
        "--status", help="Coding statuses counted (repeatable; default: proposed and accepted).",
        show_default=False)] = None,
    coder: Annotated[Optional[List[str]], typer.Option(
        "--coder", help="Only the codings of this coder ('rules' or a person; repeatable).",
        show_default=False)] = None,
    max_excerpts: Annotated[Optional[int], typer.Option(
        "--max-excerpts", help="A random sample of at most N excerpts per code and group.",
        show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option(
        "--seed", help="Seed of the --max-excerpts sample (default: drawn and recorded).",
        show_default=False)] = None,
    excerpts: Annotated[bool, typer.Option("--excerpts/--no-excerpts", help="Include the excerpts by code.")]
    = True,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Report document: codes by group (table and bar chart), co-occurrence (table and heat map), excerpts.

    Word's built-in styles (Title, Heading 1/2, Table Grid, Caption, Quote); what produced it
    is recorded in its first paragraph and page footer.
    """
    from qualcode.errors import UsageError
    from qualcode.exporters.report import build_report, report_format

    report_format(output, fmt)
    if seed is not None and max_excerpts is None:
        raise UsageError("--seed only applies with --max-excerpts N")
    with open_project(project) as proj:
        result = build_report(proj, output, by=by, force=force, unit=unit, level=level,
                              statuses=(split_values(status) or []) or None, coders=(split_values(coder) or []) or None,
                              max_excerpts=max_excerpts, seed=seed, excerpts=excerpts)
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
