"""qualcode demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from qualcode.cli import app
from qualcode.cli._util import console
from qualcode.demo import build_demo_project, sample_paths


@app.command("demo")
def demo_cli(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo project.")] = Path("qualcode-demo"),
    sample: Annotated[Path | None, typer.Option(help="Folder of transcripts (default: the bundled sample).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Rebuild the demo project if it exists (only a folder the demo made, "
                        "holding nothing else than what it writes).")] = False,
) -> None:
    """Build a project from the bundled sample (transcripts_sample/) and print what it holds."""
    out = console()
    paths = sample_paths(sample)
    out.print(f"Building a demo project in [bold]{escape(str(directory))}[/] from {escape(str(paths.transcripts))}",
              markup=True)
    result = build_demo_project(directory, paths, force=force)
    with result.project as project:
        rep = result.imports
        out.print(f"1. import: {rep.imported} transcripts imported")
        docs = project.store.documents.all()
        cases = {c.name: c for c in project.store.cases.all()}
        table = Table("document", "format", "turns", "words", "case", "group", box=None)
        for d in docs:
            case = d.cases[0] if d.cases else ""
            group = str(cases[case].attributes.get("group", "")) if case in cases else ""
            table.add_row(d.name, d.format, str(d.turns), str(d.words), case, group)
        out.print(table)
        if result.cases:
            cr = result.cases
            out.print(f"2. cases: {cr.cases} participants with attributes, {cr.links} linked to documents")
        if result.autocode:
            ac = result.autocode
            out.print(f"3. autocode: codebook {ac.codebook} (version {ac.version}), pipeline {ac.pipeline}: "
                      f"{ac.added} proposals in {ac.documents} documents")
        if result.freq:
            out.print("4. codes by group (units coded / participants who mention the code, % of the group):")
            out.print(freq_table(result.freq))
        if result.report or result.tables:
            out.print("5. exports:")
            if result.report:
                out.print(f"   {result.report}  (report: codes by group, co-occurrence, charts, excerpts)",
                          markup=False)
            if result.tables:
                out.print(f"   {result.tables}  (tables: codes by group, co-occurrence, codes × cases)",
                          markup=False)
        total = sum(d.words for d in docs)
        out.print(f"Project ready: {len(docs)} documents, {total} words. Try:\n"
                  f"  cd {directory} && qualcode docs && qualcode codings --code identity && "
                  f"qualcode explain {docs[0].name if docs else 'DOC'} 2")


def freq_table(freq):
    """Rich table of a FreqTable: one row per code (indented), units and participants per group."""
    table = Table(box=None)
    table.add_column("code")
    for g in freq.groups:
        table.add_column(f"{g} (n={freq.group_sizes[g]})", justify="right")
    table.add_column("all", justify="right")
    for r in freq.rows:
        cells = []
        for g in freq.groups:
            n = freq.group_sizes[g]
            pct = 100 * r.participants[g] / n if n else 0
            cells.append(f"{r.units[g]} / {r.participants[g]} ({pct:.0f}%)")
        table.add_row("  " * r.depth + r.label, *cells, f"{r.total_units} / {r.total_participants}",
                      style="bold" if r.depth == 0 else "")
    statuses = "+".join(freq.statuses)
    table.caption = (f"Counted: codings with status {statuses}, all coders; "
                     f"{freq.unreviewed} rule proposals not reviewed yet.")
    return table
