"""qualcode demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qualcode.cli import app, console


@app.command("demo")
def demo_cli(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo project.")] = Path("qualcode-demo"),
    sample: Annotated[Optional[Path], typer.Option(help="Folder of transcripts (default: the bundled sample).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild the demo project if it exists.")] = False,
) -> None:
    """Build a project from the bundled sample (transcripts_sample/) and print what it holds."""
    from rich.table import Table

    from qualcode.demo import build_demo_project, sample_paths

    out = console()
    paths = sample_paths(sample)
    out.print(f"Building a demo project in [bold]{directory}[/] from {paths.transcripts}")
    result = build_demo_project(directory, paths, force=force)
    with result.project as project:
        rep = result.imports
        out.print(f"1. import: {rep.imported} transcripts imported")
        docs = project.store.documents()
        cases = {c["case"]: c for c in project.store.cases()}
        table = Table("document", "format", "turns", "words", "case", "group", box=None)
        for d in docs:
            case = d["cases"][0] if d["cases"] else ""
            group = str(cases.get(case, {}).get("attributes", {}).get("group", ""))
            table.add_row(d["name"], d["format"], str(d["turns"]), str(d["words"]), case, group)
        out.print(table)
        if result.cases:
            cr = result.cases
            out.print(f"2. cases: {cr.cases} participants with attributes, {cr.links} linked to documents")
        total = sum(d["words"] for d in docs)
        out.print(f"Project ready: {len(docs)} documents, {total} words. Try:\n"
                  f"  cd {directory} && qualcode docs && qualcode show {docs[0]['name'] if docs else 'DOC'}")
