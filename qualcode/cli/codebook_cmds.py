"""qualcode codebook check, codebook show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import Exit

from qualcode.cli import JsonOpt, ProjectOpt, app, console, open_project, print_json

codebook_app = typer.Typer(help="Codebooks: lint, show, diff, export and revise (rename, merge, move, split…).",
                           no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")


@codebook_app.command("check")
def check_cli(
    file: Annotated[Path, typer.Argument(help="Codebook YAML file.")],
    json: JsonOpt = False,
) -> None:
    """Lint a codebook: every problem as FILE:LINE:COL: code path: message; exit 1 on errors."""
    from qualcode.codebook import lint_codebook

    problems = lint_codebook(file)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if json:
        print_json({"file": str(file), "errors": errors, "warnings": warnings,
                    "problems": [p.to_dict() for p in problems]})
    else:
        out = console()
        for p in problems:
            out.print(str(p), style="red" if p.is_error else "yellow", markup=False)
        if problems:
            out.print(f"{file}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
                      markup=False)
        else:
            out.print(f"{file}: ok", markup=False)
    if errors:
        raise Exit(1)


@codebook_app.command("show")
def show_cli(
    file: Annotated[Optional[Path], typer.Argument(help="Codebook YAML file (default: the project's).")] = None,
    definitions: Annotated[bool, typer.Option(help="Show definitions under each code.")] = True,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Print the codebook as a tree with labels and definitions."""
    from qualcode.cli.render import codebook_tree
    from qualcode.codebook import codebook_tree_json, load_codebook

    if file is None:
        with open_project(project) as proj:
            file = proj.codebook_path()
    elif not file.is_file():
        from qualcode.errors import QualcodeError

        raise QualcodeError(f"no such codebook file: {file}")
    cb = load_codebook(file)
    if json:
        print_json(codebook_tree_json(cb))
    else:
        console().print(codebook_tree(cb, definitions=definitions))
